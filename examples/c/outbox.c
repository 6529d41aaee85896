/*
 * The transactional outbox: a business row and its message in one
 * transaction.
 *
 *   ./outbox [--queue order_events] [DSN]
 *
 * Places two orders in table shop_orders, each sending an "order_created"
 * message in the same transaction.  The first commits: the row and the
 * message exist.  The second fails after the send and rolls back: neither
 * exists, and nobody ever receives that message.  Prints "committed order
 * <id> message <msg_id>" and "rolled back order <id> message <msg_id>".
 * DSN: as for producer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

static PGconn *conn;

/*
 * One statement with text parameters; NULL (error printed) on failure.  In
 * an open transaction the caller must then roll back.
 */
static PGresult *
run(const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "outbox: %s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* for statements outside a transaction: an error ends the program */
static PGresult *
must(PGresult *res)
{
	if (res == NULL)
	{
		PQfinish(conn);
		exit(1);
	}
	return res;
}

/*
 * Insert an order and send its event atomically; with fail set, fail after
 * the send (say, the payment was declined) and roll both back.  Returns 1
 * if committed.  Sets order_id and msg_id (32 bytes each) as they come.
 */
static int
place_order(const char *queue, const char *customer, const char *total,
			int fail, char *order_id, char *msg_id)
{
	const char *order[2] = {customer, total};
	const char *send[2] = {queue, order_id};
	PGresult   *res;

	PQclear(must(run("BEGIN", 0, NULL)));

	res = run("INSERT INTO shop_orders (customer, total) VALUES ($1, $2) RETURNING id",
			  2, order);
	if (res == NULL)
		goto rollback;
	snprintf(order_id, 32, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	/* the send is a row insert in this same transaction */
	res = run("SELECT pgmq_c.send($1, jsonb_build_object('order', $2::bigint,"
			  "                                          'event', 'order_created'))",
			  2, send);
	if (res == NULL)
		goto rollback;
	snprintf(msg_id, 32, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	if (fail)
		goto rollback;
	if ((res = run("COMMIT", 0, NULL)) == NULL)
		return 0;				/* the transaction is over, rolled back */
	PQclear(res);
	return 1;

rollback:
	/* the order row and the message go together */
	PQclear(PQexec(conn, "ROLLBACK"));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"queue", required_argument, NULL, 'q'},
		{NULL, 0, NULL, 0}
	};
	const char *queue = "order_events";
	const char *dsn;
	char		order_id[32],
				msg_id[32];
	int			c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		if (c != 'q')
		{
			fprintf(stderr, "usage: %s [--queue NAME] [DSN]\n", argv[0]);
			return 2;
		}
		queue = optarg;
	}
	dsn = optind < argc ? argv[optind] : getenv("PGMQC_DSN");

	conn = PQconnectdb(dsn ? dsn : "");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "outbox: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	PQclear(must(run("CREATE TABLE IF NOT EXISTS shop_orders ("
					 "    id bigserial PRIMARY KEY,"
					 "    customer text NOT NULL,"
					 "    total numeric(10, 2) NOT NULL)", 0, NULL)));
	PQclear(must(run("SELECT pgmq_c.create_queue($1)", 1, &queue)));

	if (!place_order(queue, "alice", "30", 0, order_id, msg_id))
		must(NULL);
	printf("committed order %s message %s\n", order_id, msg_id);

	msg_id[0] = '\0';
	if (place_order(queue, "bob", "12", 1, order_id, msg_id) || msg_id[0] == '\0')
		must(NULL);				/* committed after all, or an error */
	printf("rolled back order %s message %s\n", order_id, msg_id);

	PQfinish(conn);
	return 0;
}
