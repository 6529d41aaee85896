/*
 * One consumer of a consumer group of a pgmq_c topic.
 *
 *   ./group_consumer [--topic payments] [--group billing] [--wait 5] [DSN]
 *
 * Every group sees every message of the topic; the consumers of one group
 * share them.  Creates the topic and the group (start_at earliest: the group
 * also gets what is already there) if needed.  Exits when no message arrives
 * within --wait seconds.  Prints "<group> consumed <msg_id> <order>" per
 * message.  DSN: as for producer.
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
		fprintf(stderr, "group_consumer: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		exit(1);
	}
	return res;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"topic", required_argument, NULL, 't'},
		{"group", required_argument, NULL, 'g'},
		{"wait", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0}
	};
	const char *topic = "payments";
	const char *group = "billing";
	const char *wait = "5";		/* seconds */
	const char *dsn;
	int			c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 't':
				topic = optarg;
				break;
			case 'g':
				group = optarg;
				break;
			case 'w':
				wait = optarg;
				break;
			default:
				fprintf(stderr, "usage: %s [--topic NAME] [--group NAME] [--wait SECONDS] [DSN]\n", argv[0]);
				return 2;
		}
	}
	dsn = optind < argc ? argv[optind] : getenv("PGMQC_DSN");

	conn = PQconnectdb(dsn ? dsn : "");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "group_consumer: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}

	{
		const char *tg[2] = {topic, group};

		PQclear(run("SELECT pgmq_c.create_topic($1)", 1, &topic));
		PQclear(run("SELECT pgmq_c.create_group($1, $2, start_at => 'earliest')", 2, tg));
	}

	for (;;)
	{
		/*
		 * the group's next messages, leased to this consumer for the group's
		 * visibility_timeout (30 s unless changed)
		 */
		const char *params[3] = {topic, group, wait};
		PGresult   *res = run("SELECT msg_id, read_ct, message->>'order'"
							  "  FROM pgmq_c.read_group($1, $2, qty => 10,"
							  "                         wait => make_interval(secs => $3))",
							  3, params);
		int			n = PQntuples(res);

		for (int i = 0; i < n; i++)
		{
			const char *ack[4] = {topic, group, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)};
			PGresult   *done;

			/* ... process the message ... */

			/*
			 * acknowledge with the receipt: false if the lease expired and
			 * the group delivered the message again
			 */
			done = run("SELECT pgmq_c.ack($1, $2, $3, read_ct => $4)", 4, ack);
			if (strcmp(PQgetvalue(done, 0, 0), "t") == 0)
				printf("%s consumed %s %s\n", group, ack[2], PQgetvalue(res, i, 2));
			else
				printf("%s lease lost %s\n", group, ack[2]);
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
