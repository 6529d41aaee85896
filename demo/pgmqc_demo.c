/*-------------------------------------------------------------------------
 *
 * pgmqc_demo.c
 *		Several producer and consumer processes moving messages through one
 *		pgmq_c queue, or one topic read by several consumer groups, then a
 *		check that nothing was lost or duplicated.
 *
 * Usage: pgmqc_demo [queue [producers [consumers [messages [groups]]]]]
 * (defaults: demo 3 3 6000 0).  With groups > 0 the name is a topic with
 * that many consumer groups, each with "consumers" consumers, which read
 * with read_group() and acknowledge with ack(): every group must get every
 * message exactly once.  The connection comes from the usual libpq
 * environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE).
 *
 * Each side may log in as a role of its own, to show pgmq_c's per-queue
 * privileges at work: PGMQC_DEMO_ADMIN creates the queue or topic (it needs
 * EXECUTE on create_queue/create_topic) and grants "send" on it to
 * PGMQC_DEMO_PRODUCER and "consume" to PGMQC_DEMO_CONSUMER, which hold no
 * other right.  Unset, every process logs in as PGUSER.
 *
 * The parent (re)creates the queue and forks the producers and consumers,
 * each with its own connection.  Producer p sends the messages {"seq": n}
 * with n = p, p + P, p + 2P, ... one per transaction.  Consumers loop on
 * read(queue, vt, 10) and delete what they got in one call, passing the
 * read_ct of each delivery as the receipt.  Once every producer has exited,
 * the parent raises a flag in shared memory; a consumer that sees the flag
 * and then an empty read stops.  Finally the parent checks that every
 * message was received exactly once and deleted, and that the queue is
 * empty, and prints a summary.  Exit status 0 only when all checks pass.
 *
 * IDENTIFICATION
 *		demo/pgmqc_demo.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_PROCS	64
#define READ_QTY	"10"
#define LEASE		"30 seconds"

/* Counters shared by all processes (an anonymous shared mapping). */
typedef struct DemoShared
{
	int			producers_done; /* set by the parent, read atomically */
	long		sent[MAX_PROCS];
	long		received[MAX_PROCS];
	long		redelivered[MAX_PROCS];
	long		deleted[MAX_PROCS];
	long		bad_seq;		/* payloads outside 0..messages-1 */
	int			seen[];			/* deliveries per message, by seq */
} DemoShared;

static const char *queue = "demo";
static int	ngroups = 0;		/* 0: a queue; otherwise a topic */
static DemoShared *shared;

static void
die(PGconn *conn, const char *what)
{
	fprintf(stderr, "pgmqc_demo[%d]: %s: %s", (int) getpid(), what,
			conn ? PQerrorMessage(conn) : "failed\n");
	exit(1);
}

/* the roles of the three sides; NULL: PGUSER */
static const char *admin_role;
static const char *producer_role;
static const char *consumer_role;

static PGconn *
connect_db(const char *role)
{
	const char *keys[] = {"user", NULL};
	const char *values[] = {role, NULL};
	PGconn	   *conn = role ? PQconnectdbParams(keys, values, 1) :
		PQconnectdb("");

	if (PQstatus(conn) != CONNECTION_OK)
		die(conn, "connect");
	return conn;
}

/* Run a statement with text parameters; the result must be tuples. */
static PGresult *
run(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params,
								   NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die(conn, sql);
	return res;
}

static void
prepare(PGconn *conn, const char *name, const char *sql)
{
	PGresult   *res = PQprepare(conn, name, sql, 0, NULL);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(conn, sql);
	PQclear(res);
}

static void
producer(int id, int nprod, int total)
{
	PGconn	   *conn = connect_db(producer_role);
	char		payload[64];
	const char *params[2] = {queue, payload};

	prepare(conn, "send", "SELECT pgmq_c.send($1, $2::jsonb)");
	for (int seq = id; seq < total; seq += nprod)
	{
		PGresult   *res;

		snprintf(payload, sizeof(payload), "{\"seq\": %d}", seq);
		res = PQexecPrepared(conn, "send", 2, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die(conn, "send");
		PQclear(res);
		shared->sent[id]++;
	}
	PQfinish(conn);
}

static void
consumer(int id, int total)
{
	PGconn	   *conn = connect_db(consumer_role);
	int			group = ngroups > 0 ? id % ngroups : 0;
	char		group_name[16];
	int		   *seen = shared->seen + (size_t) group * total;

	snprintf(group_name, sizeof(group_name), "g%d", group);
	if (ngroups > 0)
	{
		/* $1 topic, $2 group; the receipt arrays are not used by ack */
		prepare(conn, "read",
				"SELECT msg_id, read_ct, (message->>'seq')::int"
				"  FROM pgmq_c.read_group($1, $2, '" LEASE "', " READ_QTY ")");
		prepare(conn, "delete",
				"SELECT pgmq_c.ack($1, $4, $2::bigint[]) WHERE $3::int[] IS NOT NULL");
	}
	else
	{
		prepare(conn, "read",
				"SELECT msg_id, read_ct, (message->>'seq')::int"
				"  FROM pgmq_c.read($1, '" LEASE "', " READ_QTY ")");
		prepare(conn, "delete",
				"SELECT pgmq_c.delete($1, $2::bigint[], $3::int[])");
	}

	for (;;)
	{
		int			done = __atomic_load_n(&shared->producers_done,
										   __ATOMIC_ACQUIRE);
		const char *rparams[2] = {queue, group_name};
		const char *dparams[4];
		PGresult   *res;
		char		ids[1024] = "{",
					cts[1024] = "{";
		int			n;

		res = PQexecPrepared(conn, "read", ngroups > 0 ? 2 : 1, rparams,
							 NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die(conn, "read");
		n = PQntuples(res);
		if (n == 0)
		{
			PQclear(res);
			if (done)
				break;			/* no producer left and nothing visible */
			usleep(5000);
			continue;
		}

		/* Record each delivery and build the receipt arrays. */
		for (int i = 0; i < n; i++)
		{
			int			seq = atoi(PQgetvalue(res, i, 2));

			if (atoi(PQgetvalue(res, i, 1)) > 1)
				shared->redelivered[id]++;
			if (seq >= 0 && seq < total)
				__atomic_fetch_add(&seen[seq], 1, __ATOMIC_RELAXED);
			else
				__atomic_fetch_add(&shared->bad_seq, 1, __ATOMIC_RELAXED);
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s",
					 i ? "," : "", PQgetvalue(res, i, 0));
			snprintf(cts + strlen(cts), sizeof(cts) - strlen(cts), "%s%s",
					 i ? "," : "", PQgetvalue(res, i, 1));
		}
		shared->received[id] += n;
		PQclear(res);
		strcat(ids, "}");
		strcat(cts, "}");

		/* Acknowledge the whole batch; the result lists the ids deleted. */
		dparams[0] = queue;
		dparams[1] = ids;
		dparams[2] = cts;
		dparams[3] = group_name;
		res = PQexecPrepared(conn, "delete", ngroups > 0 ? 4 : 3, dparams,
							 NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die(conn, "delete");
		shared->deleted[id] += PQntuples(res);
		PQclear(res);
	}
	PQfinish(conn);
}

/* Fork a producer (role 0) or a consumer (role 1); returns its pid. */
static pid_t
spawn(int role, int id, int nprod, int total)
{
	pid_t		pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		perror("fork");
		exit(1);
	}
	if (pid == 0)
	{
		if (role == 0)
			producer(id, nprod, total);
		else
			consumer(id, total);
		_exit(0);
	}
	return pid;
}

/* Wait for the given children; false if any failed. */
static int
wait_all(pid_t *pids, int n)
{
	int			ok = 1;

	for (int i = 0; i < n; i++)
	{
		int			status;

		if (waitpid(pids[i], &status, 0) < 0 ||
			!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	}
	return ok;
}

/* The queue's owner grants a privilege on it to a role of the demo. */
static void
grant(PGconn *conn, const char *role, const char *privilege)
{
	const char *params[3] = {queue, role, privilege};

	if (role == NULL)
		return;
	PQclear(run(conn, "SELECT pgmq_c.grant_access($1, $2, ARRAY[$3])", 3, params));
	printf("  role %s may %s\n", role, privilege);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	int			nprod = argc > 2 ? atoi(argv[2]) : 3;
	int			ncons = argc > 3 ? atoi(argv[3]) : 3;
	int			total = argc > 4 ? atoi(argv[4]) : 6000;
	int			nconsumers;
	pid_t		prods[MAX_PROCS],
				conss[MAX_PROCS];
	long		sent = 0,
				received = 0,
				redelivered = 0,
				deleted = 0,
				once = 0;
	int			children_ok,
				ok;
	double		start,
				elapsed;
	PGconn	   *conn;
	PGresult   *res;
	const char *qparam[1];
	long		queue_length;

	if (argc > 1)
		queue = argv[1];
	if (argc > 5)
		ngroups = atoi(argv[5]);
	admin_role = getenv("PGMQC_DEMO_ADMIN");
	producer_role = getenv("PGMQC_DEMO_PRODUCER");
	consumer_role = getenv("PGMQC_DEMO_CONSUMER");
	nconsumers = ncons * (ngroups > 0 ? ngroups : 1);
	if (nprod < 1 || nprod > MAX_PROCS || ncons < 1 || nconsumers > MAX_PROCS ||
		total < 1 || ngroups < 0)
	{
		fprintf(stderr, "usage: %s [queue [producers [consumers [messages [groups]]]]]\n"
				"  1-%d producers and consumers (per group), at least one message\n",
				argv[0], MAX_PROCS);
		return 2;
	}
	qparam[0] = queue;

	shared = mmap(NULL, sizeof(DemoShared) +
				  (size_t) total * (ngroups > 0 ? ngroups : 1) * sizeof(int),
				  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
	{
		perror("mmap");
		return 1;
	}

	/* A fresh queue or topic; the connection is closed before forking. */
	conn = connect_db(admin_role);
	if (ngroups > 0)
	{
		PQclear(run(conn, "SELECT pgmq_c.drop_topic($1)", 1, qparam));
		PQclear(run(conn, "SELECT pgmq_c.create_topic($1)", 1, qparam));
		for (int g = 0; g < ngroups; g++)
		{
			char		gname[16];
			const char *gparams[2] = {queue, gname};

			snprintf(gname, sizeof(gname), "g%d", g);
			PQclear(run(conn, "SELECT pgmq_c.create_group($1, $2)", 2, gparams));
		}
		printf("pgmq_c demo: %d producers sending %d messages to topic \"%s\", "
			   "read by %d groups of %d consumers\n",
			   nprod, total, queue, ngroups, ncons);
	}
	else
	{
		PQclear(run(conn, "SELECT pgmq_c.drop_queue($1)", 1, qparam));
		PQclear(run(conn, "SELECT pgmq_c.create_queue($1)", 1, qparam));
		printf("pgmq_c demo: %d producers and %d consumers moving %d messages "
			   "through queue \"%s\"\n", nprod, ncons, total, queue);
	}
	grant(conn, producer_role, "send");
	grant(conn, consumer_role, "consume");
	PQfinish(conn);

	start = now();
	for (int i = 0; i < nconsumers; i++)
		conss[i] = spawn(1, i, nprod, total);
	for (int i = 0; i < nprod; i++)
		prods[i] = spawn(0, i, nprod, total);
	children_ok = wait_all(prods, nprod);
	__atomic_store_n(&shared->producers_done, 1, __ATOMIC_RELEASE);
	children_ok &= wait_all(conss, nconsumers);
	elapsed = now() - start;

	/* Tally and check. */
	for (int i = 0; i < MAX_PROCS; i++)
	{
		sent += shared->sent[i];
		received += shared->received[i];
		redelivered += shared->redelivered[i];
		deleted += shared->deleted[i];
	}
	for (long i = 0; i < (long) total * (ngroups > 0 ? ngroups : 1); i++)
		once += shared->seen[i] == 1;

	conn = connect_db(admin_role);
	if (ngroups > 0)
		res = run(conn, "SELECT COALESCE(sum(lag), 0) FROM pgmq_c.list_groups($1)", 1, qparam);
	else
		res = run(conn, "SELECT queue_length FROM pgmq_c.metrics($1)", 1, qparam);
	queue_length = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(conn);

	{
		int			copies = ngroups > 0 ? ngroups : 1;

		ok = children_ok && sent == total && received == sent * copies &&
			deleted == sent * copies && once == (long) total * copies &&
			shared->bad_seq == 0 && queue_length == 0;
		printf("  sent          %ld\n", sent);
		printf("  received      %ld (%ld redelivered)\n", received, redelivered);
		printf("  %-13s %ld\n", ngroups > 0 ? "acked" : "deleted", deleted);
		printf("  elapsed       %.2f s\n", elapsed);
		printf("  rate          %.0f msg/s (each received and %s)\n",
			   elapsed > 0 ? deleted / elapsed : 0.0,
			   ngroups > 0 ? "acked, per group" : "deleted");
		printf("  exactly once  %ld of %ld %s\n", once, (long) total * copies,
			   ngroups > 0 ? "(message, group) pairs" : "messages");
		printf("  %-13s %ld\n", ngroups > 0 ? "unacked lag" : "left in queue",
			   queue_length);
	}
	printf("%s\n", ok ? "demo OK" :
		   children_ok ? "demo FAILED: counts do not match" :
		   "demo FAILED: a producer or consumer failed (see above)");
	return ok ? 0 : 1;
}
