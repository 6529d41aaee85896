/*-------------------------------------------------------------------------
 *
 * arguments.c
 *		Checks of every argument a caller can pass, before any data is read
 *		or written.  Each failure is an ERROR with a specific SQLSTATE.
 *
 * Copyright (c) 2026, pgmq_c developers
 *
 * IDENTIFICATION
 *	  src/functions/arguments.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pgmq_c.h"
#include "common/intervals.h"
#include "functions/arguments.h"

/*
 * Queue names: 1 to 80 characters, ASCII letters, digits, '_' and '-'.
 * Case is significant.  The name is never used as an SQL identifier.
 */
/* Whether name is a valid name (as pgmqc_check_name_as, without an error). */
bool
pgmqc_name_is_valid(const char *name)
{
	size_t		len = strlen(name);
	const char *p;

	if (len == 0 || len > PGMQC_MAX_NAME_LEN)
		return false;
	for (p = name; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/*
 * A caller's string as an error message shows it: at most its first
 * PGMQC_MESSAGE_CLIP bytes (whole characters), then "..." when it is
 * longer, so that a huge argument is copied neither into the message nor
 * into the server log.
 */
char *
pgmqc_clip_for_message(const char *s)
{
	int			len = strlen(s);
	int			clip;

	if (len <= PGMQC_MESSAGE_CLIP)
		return pstrdup(s);
	clip = pg_mbcliplen(s, len, PGMQC_MESSAGE_CLIP);
	return psprintf("%.*s...", clip, s);
}

void
pgmqc_check_name_as(const char *name, const char *what)
{
	size_t		len = strlen(name);
	const char *p;

	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("%s name must not be empty", what)));
	/* the characters first: a valid name has as many bytes as characters */
	for (p = name; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 len <= PGMQC_MAX_NAME_LEN ?
					 errmsg("invalid %s name \"%s\"", what, name) :
					 errmsg("invalid %s name", what),
					 errdetail("Names of queues, topics and groups may contain only ASCII letters, digits, \"_\" and \"-\".")));
	}
	if (len > PGMQC_MAX_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("%s name is too long", what),
				 errdetail("Names of queues, topics and groups have at most %d characters; this one has %zu.",
						   PGMQC_MAX_NAME_LEN, len)));
}

void
pgmqc_check_name(const char *name)
{
	pgmqc_check_name_as(name, "queue");
}

void
pgmqc_check_not_null(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname)));
}

/* Fetch and validate the queue name argument. */
char *
pgmqc_arg_name(FunctionCallInfo fcinfo, int argno)
{
	return pgmqc_arg_name_as(fcinfo, argno, "queue");
}

/*
 * A name argument of a topic function: what is "topic" or "group" (the
 * argument is topic_name or group_name).
 */
char *
pgmqc_arg_name_as(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *name;
	char		argname[32];

	snprintf(argname, sizeof(argname), "%s_name", what);
	pgmqc_check_not_null(fcinfo, argno, argname);
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	pgmqc_check_name_as(name, what);
	return name;
}

static Interval *
make_secs_interval(int64 secs, int32 months)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = secs * USECS_PER_SEC;
	iv->month = months;
	return iv;
}

/*
 * A visibility timeout (lease): 0 (when allowed) up to 12 hours.  The check
 * adds the interval to the current time so that months and days count as
 * the calendar does.
 */
void
pgmqc_check_vt(Interval *vt, const char *argname, bool allow_zero)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz end = pgmqc_ts_plus(now, vt);

	pgmqc_check_interval_parts(vt, argname);
	if (end < now || (!allow_zero && end == now))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be %s", argname,
						allow_zero ? "zero or positive" : "positive")));
	if (end > pgmqc_ts_plus(now, make_secs_interval(PGMQC_MAX_VT_SECS, 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not exceed 12 hours", argname)));
}

/*
 * Refuse an interval whose months, days and time have opposite signs, such
 * as '1 mon -31 days 1 hour': how long it lasts depends on the date it is
 * counted from (an hour from November 1st, 23 hours back from December
 * 1st) and on whether it is counted forwards or backwards, so that a
 * setting checked today could mean something else, even a negative time,
 * when it is applied later.
 */
void
pgmqc_check_interval_parts(Interval *interval, const char *argname)
{
	bool		positive = interval->month > 0 || interval->day > 0 ||
	interval->time > 0;
	bool		negative = interval->month < 0 || interval->day < 0 ||
	interval->time < 0;

	if (positive && negative)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not mix positive and negative parts", argname),
				 errdetail("Its months, days and time have opposite signs, so its length depends on the date."),
				 errhint("Give it with parts of one sign, such as '1 hour' or '29 days 1 hour'.")));
}

/* A delivery delay: 0 up to 1 year. */
void
pgmqc_check_delay(Interval *delay)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz end = pgmqc_ts_plus(now, delay);

	pgmqc_check_interval_parts(delay, "delay");
	if (end < now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delay must not be negative")));
	if (end > pgmqc_ts_plus(now, make_secs_interval(0, 12)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delay must not exceed 1 year")));
}

int32
pgmqc_check_qty(FunctionCallInfo fcinfo, int argno)
{
	int32		qty;

	pgmqc_check_not_null(fcinfo, argno, "qty");
	qty = PG_GETARG_INT32(argno);
	if (qty < 1 || qty > PGMQC_MAX_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qty must be between 1 and %d", PGMQC_MAX_BATCH),
				 errdetail("qty was %d.", qty)));
	return qty;
}

/* A message body must be a JSON object or array. */
void
pgmqc_check_message(Jsonb *message)
{
	if (JB_ROOT_IS_SCALAR(message))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("message must be a JSON object or array"),
				 errhint("Wrap a scalar value in an object, for example '{\"value\": 42}'.")));
}

/* Headers must be a JSON object. */
void
pgmqc_check_headers(Jsonb *headers)
{
	if (!JB_ROOT_IS_OBJECT(headers))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("headers must be a JSON object")));
}

void
pgmqc_check_size(Jsonb *message, Jsonb *headers)
{
	Size		size = VARSIZE(message) + (headers ? VARSIZE(headers) : 0);

	if (size > (Size) pgmqc_max_message_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("message is too large"),
				 errdetail("The message and its headers take %zu bytes; the limit is %d bytes.",
						   size, pgmqc_max_message_size),
				 errhint("Raise \"%s\" or store large payloads elsewhere and send a reference.",
						 "pgmq_c.max_message_size")));
}

/*
 * Functions that write refuse clearly in read-only transactions, on a
 * standby and in parallel mode.
 */
void
pgmqc_check_writable(const char *funcname)
{
	PreventCommandDuringRecovery(funcname);
	PreventCommandIfReadOnly(funcname);
	PreventCommandIfParallelMode(funcname);
}

/*
 * A one-dimensional array argument of at most PGMQC_MAX_BATCH elements,
 * without NULL elements unless allow_nulls.
 */
ArrayType *
pgmqc_check_array_nulls(FunctionCallInfo fcinfo, int argno,
						const char *argname, bool allow_empty, bool allow_nulls)
{
	ArrayType  *arr;
	int			n;

	pgmqc_check_not_null(fcinfo, argno, argname);
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (n == 0 && !allow_empty)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	if (n > PGMQC_MAX_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s has too many elements", argname),
				 errdetail("The limit is %d elements; %d were given.",
						   PGMQC_MAX_BATCH, n)));
	if (!allow_nulls && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", argname)));
	return arr;
}

/*
 * A one-dimensional array argument without NULL elements, of at most
 * PGMQC_MAX_BATCH elements.
 */
ArrayType *
pgmqc_check_array(FunctionCallInfo fcinfo, int argno, const char *argname,
				  bool allow_empty)
{
	return pgmqc_check_array_nulls(fcinfo, argno, argname, allow_empty, false);
}

/* A receipt's read_ct: not negative. */
void
pgmqc_check_read_ct(int32 read_ct)
{
	if (read_ct < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("read_ct must not be negative")));
}

/*
 * The read_cts array argument argno, named cts_name (NULL when the argument
 * is): as many elements as the n msg_ids of the argument named ids_name,
 * none NULL or negative.
 */
static ArrayType *
check_read_cts_named(FunctionCallInfo fcinfo, int argno, int n,
					 const char *ids_name, const char *cts_name)
{
	ArrayType  *read_cts;
	int			nct;
	int32	   *ct;
	int			i;

	if (PG_ARGISNULL(argno))
		return NULL;
	read_cts = pgmqc_check_array(fcinfo, argno, cts_name, true);
	nct = ArrayGetNItems(ARR_NDIM(read_cts), ARR_DIMS(read_cts));
	ct = (int32 *) ARR_DATA_PTR(read_cts);
	if (nct != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s and %s must have the same number of elements",
						ids_name, cts_name),
				 errdetail("%s has %d elements, %s has %d.",
						   ids_name, n, cts_name, nct)));
	for (i = 0; i < nct; i++)
		pgmqc_check_read_ct(ct[i]);
	return read_cts;
}

/*
 * The read_cts array argument argno (NULL when the argument is): as many
 * elements as the n msg_ids, none NULL or negative.
 */
ArrayType *
pgmqc_check_read_cts(FunctionCallInfo fcinfo, int argno, int n)
{
	return check_read_cts_named(fcinfo, argno, n, "msg_ids", "read_cts");
}

/*
 * The receipts a read acknowledges before it leases (delete_ids and
 * delete_read_cts of read() and receive(), ack_ids and ack_read_cts of
 * read_group() and receive_group()): the msg_ids, argument ids_arg named
 * ids_name (NULL when it is NULL or the call has no such argument, as
 * through the SQL declarations of an older version), *n of them, and their
 * read_cts, argument cts_arg named cts_name, in *read_cts (NULL: none, the
 * messages are acknowledged whoever holds them).  read_cts without msg_ids
 * is an error rather than nothing.
 */
ArrayType *
pgmqc_check_receipts(FunctionCallInfo fcinfo, int ids_arg, int cts_arg,
					 const char *ids_name, const char *cts_name,
					 ArrayType **read_cts, int *n)
{
	ArrayType  *ids;

	*read_cts = NULL;
	*n = 0;
	if (PG_NARGS() <= ids_arg)
		return NULL;
	if (PG_ARGISNULL(ids_arg))
	{
		if (PG_NARGS() > cts_arg && !PG_ARGISNULL(cts_arg))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is given without %s", cts_name, ids_name),
					 errhint("Pass the msg_ids of the receipts in %s.", ids_name)));
		return NULL;
	}
	ids = pgmqc_check_array(fcinfo, ids_arg, ids_name, true);
	*n = ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids));
	if (PG_NARGS() > cts_arg)
		*read_cts = check_read_cts_named(fcinfo, cts_arg, *n, ids_name, cts_name);
	return ids;
}

/* The reason of a nack: at most 1000 bytes, kept with the message. */
void
pgmqc_check_reason(text *reason)
{
	if (VARSIZE_ANY_EXHDR(reason) > PGMQC_MAX_REASON_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("reason must not exceed %d bytes", PGMQC_MAX_REASON_LEN),
				 errdetail("reason has %zu bytes.", (size_t) VARSIZE_ANY_EXHDR(reason))));
}

/*
 * An ordering key or deduplication id (argname says which): 1 to
 * PGMQC_MAX_KEY_LEN bytes of any text.
 */
void
pgmqc_check_key(text *key, const char *argname)
{
	int			len = VARSIZE_ANY_EXHDR(key);

	if (len == 0 || len > PGMQC_MAX_KEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be 1 to %d bytes long", argname, PGMQC_MAX_KEY_LEN),
				 errdetail("It is %d bytes long.", len),
				 errhint("Use NULL for none.")));
}

/*
 * A text[] argument of keys or ids, one per message of a batch of n (NULL
 * elements: none for that message), each checked.  Returns NULL when the
 * argument is NULL; else the elements, and their NULL flags in *elem_nulls.
 */
Datum *
pgmqc_check_key_array(FunctionCallInfo fcinfo, int argno, const char *argname,
					  const char *elemname, int n, bool **elem_nulls)
{
	ArrayType  *arr;
	Datum	   *elems;
	int			nelems;
	int			i;

	*elem_nulls = NULL;
	if (PG_ARGISNULL(argno))
		return NULL;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, elem_nulls, &nelems);
	if (nelems != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("messages and %s must have the same number of elements", argname),
				 errdetail("messages has %d elements, %s has %d.", n, argname, nelems)));
	for (i = 0; i < nelems; i++)
		if (!(*elem_nulls)[i])
			pgmqc_check_key(DatumGetTextPP(elems[i]), elemname);
	return elems;
}
