/*
 * bench/wakeup.c -- the client behind bench/wakeup.sh.
 *
 * Built by wakeup.sh into its output directory:
 *     cc -O2 -pthread -I$(pg_config --includedir) wakeup.c -L$(pg_config --libdir) -lpq -lm
 * Connects with the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE).
 *
 *   wakeup lat METHOD COUNT GAP_MIN_MS GAP_MAX_MS SEED OUTFILE
 *
 *     Wake-up latency.  Two threads, two connections: a producer sends COUNT
 *     messages, each in its own transaction (BEGIN; send; COMMIT), the
 *     message number in the payload ({"wk_n": i, ...}), and records
 *     clock_gettime(CLOCK_MONOTONIC) right after PQexec("COMMIT") returns; a
 *     consumer waits for messages with METHOD and records the same clock
 *     right after the call that hands it the row returns (so the consumer's
 *     own lease commit is included, as for every method).  latency =
 *     received - commit returned; it can be slightly negative, since the
 *     server wakes the consumer before the COMMIT reply reaches the producer.
 *     The consumer deletes each message after timing it.
 *
 *     Gaps are uniform in [GAP_MIN_MS, GAP_MAX_MS].  For the event-driven
 *     methods the producer starts each gap only once the consumer has
 *     finished the previous message (deleted it and gone back to waiting),
 *     so every message finds the consumer asleep: this measures wake-up, not
 *     queueing.  The poller is not synchronised (that would phase-lock the
 *     sends to its 100 ms ticks): the producer sends on its own schedule.
 *
 *     METHOD (objects created by wakeup.sh):
 *       read     SELECT * FROM pgmq_c.read('wk_read', '30 s', 1, '10 s') in a loop
 *       receive  CALL pgmq_c.receive('wk_read', '30 s', 1, '10 s') in a loop
 *       listen   plain table public.wk_trig with an AFTER INSERT trigger calling
 *                pg_notify('wk_trig', msg_id); LISTEN wk_trig, poll() on
 *                PQsocket, PQconsumeInput/PQnotifies, then claim until empty
 *                with UPDATE ... SET vt = now + 30 s, read_ct = read_ct + 1
 *                WHERE msg_id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED)
 *                RETURNING * (what pgmq_c.read does)
 *       qnotify  pgmq_c queue wk_notify with enable_notify(); LISTEN pgmq_c,
 *                then pgmq_c.read('wk_notify', '30 s', 1) until empty
 *       poll     plain table public.wk_poll (no trigger): the same claim;
 *                sleep 100 ms when it returns nothing
 *       read_tx  (diagnostic) BEGIN; SELECT * FROM pgmq_c.read('wk_read',
 *                '30 s', 1, '10 s'); [timed here]; delete; COMMIT -- the
 *                row arrives before the reader's own commit, so the
 *                difference to "read" is that commit's WAL flush
 *
 *     OUTFILE gets one line per message received:
 *       msg_no  latency_ms  notify_latency_ms  commit_ms  received_ms
 *     (notify_latency_ms: commit returned -> notification read by the client,
 *     "nan" for methods without notifications).  stdout gets one summary
 *     line: RESULT method=... sent=... received=... lost=... dup=...
 *     p50=... p90=... p99=... max=... (ms).
 *
 *   wakeup listen CHANNEL...
 *
 *     LISTENs on the channels and reads notifications until SIGTERM/SIGINT,
 *     then prints "notifications=N" (also, within 50 ms, on SIGUSR1).  (A listener present during the
 *     throughput runs, as in real use.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

enum method
{
	M_READ, M_RECEIVE, M_LISTEN, M_QNOTIFY, M_POLL, M_READ_TX
};

#define N_METHODS 6
static const char *method_names[N_METHODS] = {"read", "receive", "listen", "qnotify", "poll", "read_tx"};

static enum method method;
static int	count;
static double gap_min_ms, gap_max_ms;
static unsigned int seed;

static double *commit_ms;		/* producer: COMMIT returned */
static double *recv_ms;			/* consumer: row in hand (NAN: not yet) */
static double *notif_ms;		/* consumer: notification read (NAN: none) */

/* consumer progress, for the producer's synchronisation */
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int	consumer_done;		/* messages fully handled (deleted) */
static int	consumer_ready;		/* connected, LISTENing, about to wait */
static int	producer_finished;
static double producer_end_ms;

static int	received, dups, bad;

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t report_flag;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t) (ms / 1000);
	ts.tv_nsec = (long) ((ms - ts.tv_sec * 1000.0) * 1e6);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
die(const char *what, PGconn *conn)
{
	fprintf(stderr, "wakeup: %s: %s\n", what, conn ? PQerrorMessage(conn) : "");
	exit(2);
}

static PGconn *
connect_db(const char *appname)
{
	const char *keys[] = {"application_name", "fallback_application_name", NULL};
	const char *vals[] = {appname, "wakeup", NULL};
	PGconn	   *conn = PQconnectdbParams(keys, vals, 1);

	if (PQstatus(conn) != CONNECTION_OK)
		die("connect", conn);
	return conn;
}

/* run a command that returns no rows (or ignore them); die on error */
static void
exec_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "wakeup: %s\n", sql);
		die("query failed", conn);
	}
	PQclear(res);
}

static void
prepare(PGconn *conn, const char *name, const char *sql, int nparams)
{
	PGresult   *res = PQprepare(conn, name, sql, nparams, NULL);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "wakeup: prepare %s: %s\n", name, sql);
		die("prepare failed", conn);
	}
	PQclear(res);
}

static PGresult *
exec_prepared(PGconn *conn, const char *name, int nparams, const char *const *params)
{
	PGresult   *res = PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "wakeup: execute %s\n", name);
		die("query failed", conn);
	}
	return res;
}

/* the message number: the integer after "wk_n" in a text (any quoting) */
static int
parse_msg_no(const char *text)
{
	const char *p = strstr(text, "wk_n");

	if (p == NULL)
		return -1;
	p += 4;
	while (*p && (*p < '0' || *p > '9'))
		p++;
	if (!*p)
		return -1;
	return (int) strtol(p, NULL, 10);
}

/* ------------------------------------------------------------ producer */

static int
is_pgmq_method(void)
{
	return method == M_READ || method == M_RECEIVE || method == M_QNOTIFY ||
		method == M_READ_TX;
}

static void *
producer_main(void *arg)
{
	PGconn	   *conn = arg;
	unsigned int rs = seed;
	int			sync = (method != M_POLL);
	const char *queue = (method == M_QNOTIFY) ? "wk_notify" : "wk_read";
	const char *table = (method == M_LISTEN) ? "wk_trig" : "wk_poll";
	char		sql[512];
	char		payload[256];
	int			i;

	if (is_pgmq_method())
		prepare(conn, "send", "SELECT pgmq_c.send($1, $2::jsonb)", 2);
	else
	{
		snprintf(sql, sizeof(sql),
				 "INSERT INTO public.%s (msg_id, vt, message) "
				 "VALUES (nextval('public.%s_seq'), clock_timestamp(), $1::jsonb)",
				 table, table);
		prepare(conn, "send", sql, 1);
	}

	/* wait until the consumer is about to wait */
	pthread_mutex_lock(&mtx);
	while (!consumer_ready)
		pthread_cond_wait(&cond, &mtx);
	pthread_mutex_unlock(&mtx);

	for (i = 0; i < count; i++)
	{
		double		gap;
		PGresult   *res;

		if (sync)
		{
			struct timespec deadline;

			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_sec += 30;
			pthread_mutex_lock(&mtx);
			while (consumer_done < i)
				if (pthread_cond_timedwait(&cond, &mtx, &deadline) == ETIMEDOUT)
				{
					fprintf(stderr, "wakeup: %s: message %d not handled after 30 s, sending on\n",
							method_names[method], i - 1);
					break;
				}
			pthread_mutex_unlock(&mtx);
		}
		gap = gap_min_ms + (gap_max_ms - gap_min_ms) * ((double) rand_r(&rs) / RAND_MAX);
		sleep_ms(gap);

		snprintf(payload, sizeof(payload),
				 "{\"wk_n\": %d, \"order_id\": 123456, \"customer\": \"c-42\", "
				 "\"amount\": 19.99, \"status\": \"new\", \"items\": [1, 2, 3]}", i);
		exec_ok(conn, "BEGIN");
		if (is_pgmq_method())
		{
			const char *params[2] = {queue, payload};

			res = exec_prepared(conn, "send", 2, params);
		}
		else
		{
			const char *params[1] = {payload};

			res = exec_prepared(conn, "send", 1, params);
		}
		PQclear(res);
		res = PQexec(conn, "COMMIT");
		commit_ms[i] = now_ms();
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die("COMMIT", conn);
		PQclear(res);
	}
	pthread_mutex_lock(&mtx);
	producer_finished = 1;
	producer_end_ms = now_ms();
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
	return NULL;
}

/* ------------------------------------------------------------ consumer */

/* record message n received at t; returns 1 when it is a new one */
static int
record(int n, double t, double tnotif)
{
	if (n < 0 || n >= count)
	{
		bad++;
		return 0;
	}
	if (!isnan(recv_ms[n]))
	{
		dups++;
		return 0;
	}
	recv_ms[n] = t;
	notif_ms[n] = tnotif;
	received++;
	return 1;
}

static void
mark_done(void)
{
	pthread_mutex_lock(&mtx);
	consumer_done++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
}

static void
mark_ready(void)
{
	pthread_mutex_lock(&mtx);
	consumer_ready = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
}

/* stop when everything came, or 15 s after the producer finished */
static int
consumer_should_stop(void)
{
	int			stop;

	if (received >= count)
		return 1;
	pthread_mutex_lock(&mtx);
	stop = producer_finished && now_ms() - producer_end_ms > 15000;
	pthread_mutex_unlock(&mtx);
	return stop;
}

static void
delete_pgmq(PGconn *conn, const char *queue, const char *msg_id)
{
	const char *params[2] = {queue, msg_id};
	PGresult   *res = exec_prepared(conn, "del", 2, params);

	PQclear(res);
}

static void
delete_plain(PGconn *conn, const char *msg_id)
{
	const char *params[1] = {msg_id};
	PGresult   *res = exec_prepared(conn, "del", 1, params);

	PQclear(res);
}

/*
 * Claim rows with the prepared "claim" statement until it returns none;
 * returns how many.  Columns as pgmq_c.message: msg_id, ..., message (4).
 */
static int
claim_all(PGconn *conn, int pgmq, const char *queue, double tnotif)
{
	int			got = 0;

	for (;;)
	{
		PGresult   *res = exec_prepared(conn, "claim", 0, NULL);
		double		t = now_ms();
		int			rows = PQntuples(res);
		int			r;

		if (rows == 0)
		{
			PQclear(res);
			return got;
		}
		/* one row is asked for; should a claim ever return more, count all */
		for (r = 0; r < rows; r++)
		{
			char		msg_id[32];

			snprintf(msg_id, sizeof(msg_id), "%s", PQgetvalue(res, r, 0));
			record(parse_msg_no(PQgetvalue(res, r, 4)), t, tnotif);
			if (pgmq)
				delete_pgmq(conn, queue, msg_id);
			else
				delete_plain(conn, msg_id);
			got++;
			mark_done();
		}
		PQclear(res);
	}
}

/*
 * Block until a notification arrives (or 1 s passes: NAN); returns when the
 * socket became readable with it (or now, for one already buffered by a
 * previous query).  Drains every pending notification.
 */
static double
wait_notification(PGconn *conn)
{
	double		t = NAN;

	for (;;)
	{
		struct pollfd pfd;
		PGnotify   *n;
		int			got = 0;

		while ((n = PQnotifies(conn)) != NULL)
		{
			got = 1;
			PQfreemem(n);
		}
		if (got)
			return isnan(t) ? now_ms() : t;
		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 1000) == 0)
			return NAN;
		t = now_ms();
		if (!PQconsumeInput(conn))
			die("PQconsumeInput", conn);
	}
}

/* the statements of the pgmq_c consumers: "claim" (unless NULL), "del" */
static void
prepare_pgmq(PGconn *conn, const char *claim_sql)
{
	if (claim_sql != NULL)
		prepare(conn, "claim", claim_sql, 0);
	prepare(conn, "del", "SELECT pgmq_c.delete($1, $2::bigint)", 2);
}

/* the read of the read and read_tx methods: 1 message, waiting up to 10 s */
#define READ_WAIT_SQL "SELECT * FROM pgmq_c.read('wk_read', '30 s', 1, '10 s')"

static void *
consumer_main(void *arg)
{
	PGconn	   *conn = arg;
	char		sql[1024];

	switch (method)
	{
		case M_READ:
			prepare_pgmq(conn, READ_WAIT_SQL);
			mark_ready();
			while (!consumer_should_stop())
				(void) claim_all(conn, 1, "wk_read", NAN);
			break;

		case M_READ_TX:
			/* diagnostic: the same read, in a transaction block */
			prepare_pgmq(conn, READ_WAIT_SQL);
			mark_ready();
			while (!consumer_should_stop())
			{
				PGresult   *res;
				double		t;
				char		msg_id[32];

				exec_ok(conn, "BEGIN");
				res = exec_prepared(conn, "claim", 0, NULL);
				t = now_ms();
				if (PQntuples(res) == 0)
				{
					PQclear(res);
					exec_ok(conn, "COMMIT");
					continue;
				}
				snprintf(msg_id, sizeof(msg_id), "%s", PQgetvalue(res, 0, 0));
				record(parse_msg_no(PQgetvalue(res, 0, 4)), t, NAN);
				PQclear(res);
				delete_pgmq(conn, "wk_read", msg_id);
				exec_ok(conn, "COMMIT");
				mark_done();
			}
			break;

		case M_RECEIVE:
			prepare_pgmq(conn, NULL);
			mark_ready();
			while (!consumer_should_stop())
			{
				/* simple protocol, as psql sends it: a top-level CALL */
				PGresult   *res = PQexec(conn, "CALL pgmq_c.receive('wk_read', '30 s', 1, '10 s')");
				double		t = now_ms();
				const char *v;
				char		msg_id[32];
				const char *p;

				if (PQresultStatus(res) != PGRES_TUPLES_OK)
					die("CALL pgmq_c.receive", conn);
				v = PQgetisnull(res, 0, 0) ? "{}" : PQgetvalue(res, 0, 0);
				p = strchr(v, '(');
				if (p == NULL)
				{
					PQclear(res);
					continue;
				}
				snprintf(msg_id, sizeof(msg_id), "%lld", strtoll(p + 1, NULL, 10));
				record(parse_msg_no(v), t, NAN);
				PQclear(res);
				delete_pgmq(conn, "wk_read", msg_id);
				mark_done();
			}
			break;

		case M_LISTEN:
		case M_POLL:
			{
				const char *table = (method == M_LISTEN) ? "wk_trig" : "wk_poll";

				snprintf(sql, sizeof(sql),
						 "UPDATE public.%s SET vt = clock_timestamp() + interval '30 seconds', "
						 "read_ct = read_ct + 1 "
						 "WHERE msg_id = (SELECT msg_id FROM public.%s WHERE vt <= clock_timestamp() "
						 "ORDER BY msg_id LIMIT 1 FOR UPDATE SKIP LOCKED) "
						 "RETURNING msg_id, read_ct, enqueued_at, vt, message, headers",
						 table, table);
				prepare(conn, "claim", sql, 0);
				snprintf(sql, sizeof(sql), "DELETE FROM public.%s WHERE msg_id = $1::bigint", table);
				prepare(conn, "del", sql, 1);
				if (method == M_LISTEN)
				{
					exec_ok(conn, "LISTEN wk_trig");
					mark_ready();
					while (!consumer_should_stop())
					{
						double		tn = wait_notification(conn);

						if (!isnan(tn))
							(void) claim_all(conn, 0, NULL, tn);
					}
				}
				else
				{
					mark_ready();
					while (!consumer_should_stop())
						if (claim_all(conn, 0, NULL, NAN) == 0)
							sleep_ms(100);
				}
			}
			break;

		case M_QNOTIFY:
			prepare_pgmq(conn, "SELECT * FROM pgmq_c.read('wk_notify', '30 s', 1)");
			exec_ok(conn, "LISTEN pgmq_c");
			mark_ready();
			while (!consumer_should_stop())
			{
				double		tn = wait_notification(conn);

				if (!isnan(tn))
					(void) claim_all(conn, 1, "wk_notify", tn);
			}
			break;
	}
	/* release a producer still waiting for a lost message */
	pthread_mutex_lock(&mtx);
	consumer_done = count;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
	return NULL;
}

/* ------------------------------------------------------------ statistics */

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* nearest rank */
static double
pct(const double *sorted, int n, double p)
{
	int			i;

	if (n == 0)
		return NAN;
	i = (int) ceil(p / 100.0 * n);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return sorted[i - 1];
}

static int
run_latency(int argc, char **argv)
{
	PGconn	   *pconn, *cconn;
	pthread_t	pt, ct;
	FILE	   *out;
	double	   *lat;
	int			i, n = 0;

	if (argc != 8)
	{
		fprintf(stderr, "usage: wakeup lat METHOD COUNT GAP_MIN_MS GAP_MAX_MS SEED OUTFILE\n");
		return 2;
	}
	for (i = 0; i < N_METHODS; i++)
		if (strcmp(argv[2], method_names[i]) == 0)
			break;
	if (i == N_METHODS)
	{
		fprintf(stderr, "wakeup: unknown method %s\n", argv[2]);
		return 2;
	}
	method = (enum method) i;
	count = atoi(argv[3]);
	gap_min_ms = atof(argv[4]);
	gap_max_ms = atof(argv[5]);
	seed = (unsigned int) strtoul(argv[6], NULL, 10);
	if (count < 1 || gap_min_ms < 0 || gap_max_ms < gap_min_ms)
	{
		fprintf(stderr, "wakeup: bad arguments\n");
		return 2;
	}

	commit_ms = malloc(sizeof(double) * count);
	recv_ms = malloc(sizeof(double) * count);
	notif_ms = malloc(sizeof(double) * count);
	lat = malloc(sizeof(double) * count);
	for (i = 0; i < count; i++)
		commit_ms[i] = recv_ms[i] = notif_ms[i] = NAN;

	pconn = connect_db("wakeup producer");
	cconn = connect_db("wakeup consumer");
	if (pthread_create(&ct, NULL, consumer_main, cconn) != 0 ||
		pthread_create(&pt, NULL, producer_main, pconn) != 0)
	{
		perror("pthread_create");
		return 2;
	}
	pthread_join(pt, NULL);
	pthread_join(ct, NULL);
	PQfinish(pconn);
	PQfinish(cconn);

	out = fopen(argv[7], "w");
	if (out == NULL)
	{
		perror(argv[7]);
		return 2;
	}
	for (i = 0; i < count; i++)
	{
		if (isnan(recv_ms[i]))
			continue;
		lat[n++] = recv_ms[i] - commit_ms[i];
		fprintf(out, "%d\t%.4f\t%.4f\t%.4f\t%.4f\n", i, recv_ms[i] - commit_ms[i],
				notif_ms[i] - commit_ms[i], commit_ms[i], recv_ms[i]);
	}
	fclose(out);
	qsort(lat, n, sizeof(double), cmp_double);
	printf("RESULT method=%s sent=%d received=%d lost=%d dup=%d bad=%d "
		   "p50=%.3f p90=%.3f p99=%.3f max=%.3f\n",
		   method_names[method], count, received, count - received, dups, bad,
		   pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99), pct(lat, n, 100));
	return received == count && dups == 0 && bad == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ listener */

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		report_flag = 1;
	else
		stop_flag = 1;
}

static int
run_listen(int argc, char **argv)
{
	PGconn	   *conn = connect_db("wakeup listener");
	long		notes = 0;
	int			i;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	for (i = 2; i < argc; i++)
	{
		char		sql[256];
		char	   *id = PQescapeIdentifier(conn, argv[i], strlen(argv[i]));

		snprintf(sql, sizeof(sql), "LISTEN %s", id);
		PQfreemem(id);
		exec_ok(conn, sql);
	}
	while (!stop_flag)
	{
		struct pollfd pfd;
		PGnotify   *n;

		if (report_flag)
		{
			report_flag = 0;
			printf("notifications=%ld\n", notes);
		}
		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if (!PQconsumeInput(conn))
			die("PQconsumeInput", conn);
		while ((n = PQnotifies(conn)) != NULL)
		{
			notes++;
			PQfreemem(n);
		}
	}
	PQfinish(conn);
	printf("notifications=%ld\n", notes);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "lat") == 0)
		return run_latency(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "listen") == 0)
		return run_listen(argc, argv);
	fprintf(stderr,
			"usage: wakeup lat METHOD COUNT GAP_MIN_MS GAP_MAX_MS SEED OUTFILE\n"
			"       wakeup listen CHANNEL...\n");
	return 2;
}
