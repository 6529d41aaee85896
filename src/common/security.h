/*-------------------------------------------------------------------------
 *
 * security.h
 *		Who pgmq_c acts as, and who may use a queue or topic.
 *
 * Every SQL entry point runs its statements inside an "extension context"
 * (pgmqc_enter / pgmqc_leave): search_path is pinned to
 * "pg_catalog, pg_temp" and the current user is the role that owns the
 * extension, which owns every table, sequence and partition pgmq_c makes.
 * Before touching a queue, an entry point checks that the role that called
 * it (pgmqc_caller) holds the privilege the operation needs
 * (pgmqc_open / pgmqc_check_access).  docs/design.md, section 12 "Security model".
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/common/security.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMQC_SECURITY_H
#define PGMQC_SECURITY_H

#include "pgmq_c.h"
#include "common/object_cache.h"

/* privileges on a queue or topic: bits of pgmq_c.access.privileges */
#define PGMQC_PRIV_SEND		0x01	/* send, send_batch */
#define PGMQC_PRIV_CONSUME	0x02	/* read, pop, delete, ack, ... */
#define PGMQC_PRIV_MONITOR	0x04	/* metrics, list_groups */
#define PGMQC_PRIV_ADMIN	0x08	/* purge, drop, groups, seek, grants */
#define PGMQC_PRIV_ALL		0x0F
#define PGMQC_PRIV_ANY		PGMQC_PRIV_ALL	/* "some privilege" */

/* their names, in the order they are listed (common/access.c) */
typedef struct PgmqcPrivilege
{
	const char *name;
	int			bit;
} PgmqcPrivilege;

#define PGMQC_NUM_PRIVILEGES	4
extern const PgmqcPrivilege pgmqc_privileges[PGMQC_NUM_PRIVILEGES];

/* the search_path every pgmq_c statement runs with */
#define PGMQC_PINNED_PATH	"pg_catalog, pg_temp"

/*
 * The background worker waits at most this long for a lock a client holds,
 * then leaves that queue for its next pass (pgmqc_pin_worker_settings).
 */
#define PGMQC_WORKER_LOCK_TIMEOUT	"1s"

/*
 * State saved by pgmqc_enter, restored by pgmqc_leave; and, between
 * pgmqc_spi_connect and pgmqc_spi_finish, what the entry point is doing,
 * for the CONTEXT of an error in the meantime (a cancel, a lock timeout):
 * action, such as "creating queue \"x\"", set by the entry point around
 * its DDL (NULL: none).  The text of pgmq_c's own statements is left out
 * of such contexts (statements.c).
 */
typedef struct PgmqcContext
{
	Oid			save_userid;
	int			save_sec_context;
	Oid			save_caller;
	struct PgmqcContext *save_current;
	int			guc_level;		/* PostgreSQL 17 and later: search_path */
	const char *action;
	ErrorContextCallback action_context;
} PgmqcContext;

/*
 * Enter and leave the extension context.  Calls nest.  An error between the
 * two needs no leave: transaction (or subtransaction) abort restores the
 * user and the settings.  Leave before SPI_commit and enter again after it.
 */
extern void pgmqc_enter(PgmqcContext *cxt);
extern void pgmqc_leave(PgmqcContext *cxt);

/* SPI_connect / SPI_finish / SPI_commit of an entry point, with the context */
extern void pgmqc_spi_connect(PgmqcContext *cxt);
extern void pgmqc_spi_connect_ext(PgmqcContext *cxt, int options);
extern void pgmqc_spi_finish(PgmqcContext *cxt);
extern void pgmqc_spi_commit(void);

/* the role whose privileges are checked: the caller of the current entry */
extern Oid	pgmqc_caller(void);

/* the role that owns the extension, and so every object pgmq_c makes */
extern Oid	pgmqc_extension_owner(void);

/*
 * False while the catalog is older than 0.4.0 (the library was updated but
 * ALTER EXTENSION pgmq_c UPDATE has not run): then functions act as their
 * caller, as 0.3.0 did, and no per-queue privilege is checked.
 */
extern bool pgmqc_security_active(void);

/*
 * Around pgmq_c's CREATE TABLE, SEQUENCE or INDEX: the caller's
 * default_tablespace and friends must not decide where or how.  Pin returns
 * the GUC nest level to give back to unpin, in the same subtransaction.
 */
extern int	pgmqc_pin_ddl_settings(void);
extern void pgmqc_unpin_ddl_settings(int level);

/* For the background worker: pin search_path and friends for good. */
extern void pgmqc_pin_worker_settings(void);
extern int	pgmqc_lock_timeout_begin(const char *value);
extern void pgmqc_lock_timeout_end(int level);
extern void pgmqc_worker_lock_timeout_reset(void);

/*
 * Per-queue privileges (access.c).  pgmqc_open looks a queue or topic up
 * (kind as for pgmqc_lookup_kind; an unknown name is an error) and raises
 * 42501 unless the caller holds every bit of priv; pgmqc_open_locked also
 * takes its first lock, looking the name up again after a drop and create
 * it waited for.  pgmqc_access_mask is
 * what the caller holds, from the per-backend cache.
 */
extern PgmqcQueue *pgmqc_open(const char *name, char kind, int priv);
extern PgmqcQueue *pgmqc_open_locked(const char *name, char kind, int priv);
extern void pgmqc_check_access(PgmqcQueue *queue, const char *name, int priv);
extern int	pgmqc_access_mask(PgmqcQueue *queue);
extern int	pgmqc_access_mask_by_id(int32 queue_id, Oid owner);
extern int	pgmqc_role_access_mask(int32 queue_id, Oid owner, Oid role);
extern const char *pgmqc_privilege_name(int priv);
extern void pgmqc_access_init(void);
extern void pgmqc_access_invalidate(void);
extern void pgmqc_access_changed(void);
extern Oid	pgmqc_access_relid(void);
extern int	pgmqc_read_grants(int32 queue_id, Oid **roles, int **masks);
extern void pgmqc_forget_dropped_roles(void);

#endif							/* PGMQC_SECURITY_H */
