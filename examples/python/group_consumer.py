#!/usr/bin/env python3
"""One consumer of a consumer group of a pgmq_c topic.

    python3 group_consumer.py [--topic payments] [--group billing] [--wait 5] [DSN]

Every group sees every message of the topic; the consumers of one group share
them. Creates the topic and the group (start_at earliest: the group also
gets what is already there) if needed. Exits when no message arrives within
--wait seconds. Prints "<group> consumed <msg_id> <order>" per message.
DSN: as for producer.py.
"""
import argparse
import os
import sys
from datetime import timedelta

import psycopg


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dsn", nargs="?", default=os.environ.get("PGMQC_DSN", ""))
    p.add_argument("--topic", default="payments")
    p.add_argument("--group", default="billing")
    p.add_argument("--wait", type=float, default=5, help="seconds")
    args = p.parse_args()

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute("SELECT pgmq_c.create_topic(%s)", [args.topic])
        conn.execute("SELECT pgmq_c.create_group(%s, %s, start_at => 'earliest')",
                     [args.topic, args.group])
        while True:
            # the group's next messages, leased to this consumer for the
            # group's visibility_timeout (30 s unless changed)
            rows = conn.execute(
                "SELECT msg_id, read_ct, message"
                "  FROM pgmq_c.read_group(%s, %s, qty => 10, wait => %s)",
                [args.topic, args.group, timedelta(seconds=args.wait)],
            ).fetchall()
            if not rows:
                break
            for msg_id, read_ct, message in rows:
                # ... process the message ...
                # acknowledge with the receipt: false if the lease expired
                # and the group delivered the message again
                acked = conn.execute("SELECT pgmq_c.ack(%s, %s, %s, read_ct => %s)",
                                     [args.topic, args.group, msg_id, read_ct]).fetchone()[0]
                if acked:
                    print(f"{args.group} consumed {msg_id} {message['order']}", flush=True)
                else:
                    print(f"{args.group} lease lost {msg_id}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except psycopg.Error as e:
        sys.exit(f"group_consumer: {e}")
