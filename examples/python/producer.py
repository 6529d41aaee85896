#!/usr/bin/env python3
"""Send messages {"order": 1} .. {"order": N} to a pgmq_c queue or topic.

    python3 producer.py [--queue orders | --topic payments] [--count 10] [DSN]

DSN is a libpq connection string ("host=... dbname=..." or a postgresql://
URL); without it $PGMQC_DSN, else the PG* environment variables
(PGHOST, PGPORT, PGDATABASE, PGUSER, ...). Prints "sent <msg_id> <order>".
"""
import argparse
import os
import sys

import psycopg
from psycopg.types.json import Jsonb


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dsn", nargs="?", default=os.environ.get("PGMQC_DSN", ""))
    target = p.add_mutually_exclusive_group()
    target.add_argument("--queue", default="orders")
    target.add_argument("--topic", help="send to this topic instead of a queue")
    p.add_argument("--count", type=int, default=10)
    args = p.parse_args()

    # autocommit: every statement is its own transaction, so each message is
    # visible to consumers (and wakes a waiting one) as soon as it is sent
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        # create_queue / create_topic leave an existing one as it is (NOTICE)
        if args.topic:
            name = args.topic
            conn.execute("SELECT pgmq_c.create_topic(%s)", [name])
        else:
            name = args.queue
            conn.execute("SELECT pgmq_c.create_queue(%s)", [name])

        for n in range(1, args.count + 1):
            # bind parameters, never string formatting; Jsonb() sends a dict
            # as jsonb (pgmq_c.send_batch sends many in one call)
            msg_id = conn.execute("SELECT pgmq_c.send(%s, %s)",
                                  [name, Jsonb({"order": n})]).fetchone()[0]
            print(f"sent {msg_id} {n}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except psycopg.Error as e:
        sys.exit(f"producer: {e}")
