/*
 * Consume a pgmq_c queue: wait for messages, process each, delete it.
 *
 *   ./consumer [--queue orders] [--wait 5] [--batch 10] [--count N] [DSN]
 *
 * Exits after --count messages, or when no message arrives within --wait
 * seconds (a real service would simply loop again).  Prints "consumed <msg_id> <order>" per message
 * handled.  DSN: as for producer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

static PGconn *conn;

/* one statement with text parameters; on error print it and exit */
static PGresult *
run(const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "consumer: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		exit(1);
	}
	return res;
}

/* The application's work; returns an error message, or NULL when done. */
static const char *
process(const char *order)
{
	return order == NULL ? "no order in message" : NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"queue", required_argument, NULL, 'q'},
		{"wait", required_argument, NULL, 'w'},
		{"batch", required_argument, NULL, 'b'},
		{"count", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0}
	};
	const char *queue = "orders";
	const char *wait = "5";		/* seconds */
	int			batch = 10;
	int			count = 0;		/* stop after this many messages (0: no limit) */
	int			handled = 0;
	const char *dsn;
	int			c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'q':
				queue = optarg;
				break;
			case 'w':
				wait = optarg;
				break;
			case 'b':
				batch = atoi(optarg);
				break;
			case 'n':
				count = atoi(optarg);
				break;
			default:
				fprintf(stderr, "usage: %s [--queue NAME] [--wait SECONDS] [--batch N] [--count N] [DSN]\n", argv[0]);
				return 2;
		}
	}
	dsn = optind < argc ? argv[optind] : getenv("PGMQC_DSN");

	conn = PQconnectdb(dsn ? dsn : "");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "consumer: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	PQclear(run("SELECT pgmq_c.create_queue($1)", 1, &queue));

	while (count == 0 || handled < count)
	{
		/*
		 * Lease up to --batch messages for 30 s, sleeping in the server
		 * until one is visible or the wait passes (at most pgmq_c.max_wait,
		 * 30 s by default; for longer waits use CALL pgmq_c.receive(...),
		 * which holds no snapshot).  Outside BEGIN the leases commit at
		 * once: if we die, they expire and another consumer gets the
		 * messages, with read_ct one higher.
		 */
		char		qty[16];
		const char *params[3] = {queue, qty, wait};
		PGresult   *res;
		int			n;

		/* never lease more than we will handle */
		snprintf(qty, sizeof(qty), "%d",
				 count == 0 || count - handled > batch ? batch : count - handled);
		res = run("SELECT msg_id, read_ct, message->>'order'"
				  "  FROM pgmq_c.read($1, vt => '30 seconds', qty => $2,"
				  "                   wait => make_interval(secs => $3))",
				  3, params);
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
		{
			const char *msg_id = PQgetvalue(res, i, 0);
			const char *read_ct = PQgetvalue(res, i, 1);
			const char *order = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
			const char *error = process(order);
			const char *receipt[3] = {queue, msg_id, read_ct};
			PGresult   *done;

			handled++;
			if (error)
			{
				/*
				 * give it back: delivered again after the queue's retry
				 * backoff, or dead-lettered at its max_deliveries (set one
				 * with alter_queue, or a message that always fails comes
				 * back forever)
				 */
				const char *nack[4] = {queue, msg_id, read_ct, error};

				PQclear(run("SELECT pgmq_c.nack($1, $2, read_ct => $3, reason => $4)",
							4, nack));
				printf("failed %s %s\n", msg_id, error);
				fflush(stdout);
				continue;
			}

			/*
			 * (msg_id, read_ct) is the receipt: the delete only happens if
			 * nobody received the message since (our lease held)
			 */
			done = run("SELECT pgmq_c.delete($1, $2, read_ct => $3)", 3, receipt);
			if (strcmp(PQgetvalue(done, 0, 0), "t") == 0)
				printf("consumed %s %s\n", msg_id, order);
			else
				printf("lease lost %s\n", msg_id);
			fflush(stdout);
			PQclear(done);
		}
		PQclear(res);
		if (n == 0)
			break;
	}
	PQfinish(conn);
	return 0;
}
