/*
 * Send messages {"order": 1} .. {"order": N} to a pgmq_c queue or topic.
 *
 *   ./producer [--queue orders | --topic payments] [--count 10] [DSN]
 *
 * DSN is a libpq connection string ("host=... dbname=..." or a postgresql://
 * URL); without it $PGMQC_DSN, else the PG* environment variables (PGHOST,
 * PGPORT, PGDATABASE, PGUSER, ...).  Prints "sent <msg_id> <order>".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <libpq-fe.h>

static PGconn *conn;

/*
 * Run one statement with text parameters ($1, $2, ...: never paste values
 * into the SQL); on error print it and exit.  Without BEGIN, libpq runs
 * each statement in its own transaction.
 */
static PGresult *
run(const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "producer: %s", PQresultErrorMessage(res));
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
		{"queue", required_argument, NULL, 'q'},
		{"topic", required_argument, NULL, 't'},
		{"count", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0}
	};
	const char *name = "orders";
	int			is_topic = 0;
	int			count = 10;
	const char *dsn;
	int			c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'q':
				name = optarg;
				break;
			case 't':
				name = optarg;
				is_topic = 1;
				break;
			case 'n':
				count = atoi(optarg);
				break;
			default:
				fprintf(stderr, "usage: %s [--queue NAME | --topic NAME] [--count N] [DSN]\n", argv[0]);
				return 2;
		}
	}
	dsn = optind < argc ? argv[optind] : getenv("PGMQC_DSN");

	conn = PQconnectdb(dsn ? dsn : "");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "producer: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}

	/* create_queue / create_topic leave an existing one as it is (NOTICE) */
	PQclear(run(is_topic ? "SELECT pgmq_c.create_topic($1)"
				: "SELECT pgmq_c.create_queue($1)", 1, &name));

	for (int n = 1; n <= count; n++)
	{
		char		order[32];
		const char *params[2] = {name, order};
		PGresult   *res;

		/* each send commits at once and wakes a waiting consumer */
		snprintf(order, sizeof(order), "%d", n);
		res = run("SELECT pgmq_c.send($1, jsonb_build_object('order', $2::int))",
				  2, params);
		printf("sent %s %d\n", PQgetvalue(res, 0, 0), n);
		fflush(stdout);
		PQclear(res);
	}
	PQfinish(conn);
	return 0;
}
