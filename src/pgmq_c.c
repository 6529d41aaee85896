/*-------------------------------------------------------------------------
 *
 * pgmq_c.c
 *		Module entry point: module magic, configuration parameters and the
 *		callbacks the other files rely on.
 *
 * Everything in pgmq_c works without shared_preload_libraries; the library
 * is loaded by the first call of one of its functions.  Loading it through
 * shared_preload_libraries only matters for later capabilities (background
 * worker, in-server waiting).
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/pgmq_c.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/guc.h"

#include "pgmq_c.h"

PG_MODULE_MAGIC;

int			pgmqc_max_message_size = 1024 * 1024;
int			pgmqc_metrics_exact_limit = 100000;

void		_PG_init(void);

static void
pgmqc_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			pgmqc_lwm_xact_end(true);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			pgmqc_lwm_xact_end(false);
			break;
		default:
			break;
	}
}

static void
pgmqc_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	/*
	 * A watermark advanced inside a subtransaction that rolls back may have
	 * counted on deletes that are now undone: drop every tentative advance.
	 */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		pgmqc_lwm_xact_end(false);
}

void
_PG_init(void)
{
	DefineCustomIntVariable("pgmq_c.max_message_size",
							"Largest message plus headers accepted by send, in bytes.",
							"Measured on the binary jsonb values.",
							&pgmqc_max_message_size,
							1024 * 1024,
							1024,
							256 * 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("pgmq_c.metrics_exact_limit",
							"Queues holding up to this many messages get exact counts from metrics().",
							"Above it, lengths are estimated from table statistics.",
							&pgmqc_metrics_exact_limit,
							100000,
							0,
							INT_MAX / 2,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pgmq_c");
#else
	EmitWarningsOnPlaceholders("pgmq_c");
#endif

	pgmqc_cache_init();
	RegisterXactCallback(pgmqc_xact_callback, NULL);
	RegisterSubXactCallback(pgmqc_subxact_callback, NULL);
}
