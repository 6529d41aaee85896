#!/usr/bin/env python3
"""The transactional outbox: a business row and its message in one transaction.

    python3 outbox.py [--queue order_events] [DSN]

Places two orders in table shop_orders, each sending an "order_created"
message in the same transaction. The first commits: the row and the message
exist. The second fails after the send and rolls back: neither exists, and
nobody ever receives that message. Prints "committed order <id> message
<msg_id>" and "rolled back order <id> message <msg_id>". DSN: as for
producer.py.
"""
import argparse
import os
import sys

import psycopg
from psycopg.types.json import Jsonb


class PaymentDeclined(Exception):
    pass


def place_order(conn, queue, customer, total, fail=False):
    """Insert an order and send its event atomically; returns (order_id, msg_id)."""
    # conn.transaction(): BEGIN, then COMMIT, or ROLLBACK if the block raises
    with conn.transaction():
        order_id = conn.execute(
            "INSERT INTO shop_orders (customer, total) VALUES (%s, %s) RETURNING id",
            [customer, total]).fetchone()[0]
        # the send is a row insert in this same transaction
        msg_id = conn.execute(
            "SELECT pgmq_c.send(%s, %s)",
            [queue, Jsonb({"order": order_id, "event": "order_created"})]).fetchone()[0]
        if fail:
            raise PaymentDeclined(order_id, msg_id)
    return order_id, msg_id


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dsn", nargs="?", default=os.environ.get("PGMQC_DSN", ""))
    p.add_argument("--queue", default="order_events")
    args = p.parse_args()

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute("""CREATE TABLE IF NOT EXISTS shop_orders (
                            id bigserial PRIMARY KEY,
                            customer text NOT NULL,
                            total numeric(10, 2) NOT NULL)""")
        conn.execute("SELECT pgmq_c.create_queue(%s)", [args.queue])

        order_id, msg_id = place_order(conn, args.queue, "alice", 30)
        print(f"committed order {order_id} message {msg_id}", flush=True)

        try:
            place_order(conn, args.queue, "bob", 12, fail=True)
        except PaymentDeclined as e:
            order_id, msg_id = e.args
            print(f"rolled back order {order_id} message {msg_id}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except psycopg.Error as e:
        sys.exit(f"outbox: {e}")
