#!/usr/bin/env python3
"""Consume a pgmq_c queue: wait for messages, process each, delete it.

    python3 consumer.py [--queue orders] [--wait 5] [--batch 10] [--count N] [DSN]

Exits after --count messages, or when no message arrives within --wait
seconds (a real service would simply loop again). Prints "consumed <msg_id>
<order>" per message handled.
DSN: as for producer.py.
"""
import argparse
import os
import sys
from datetime import timedelta

import psycopg

LEASE = timedelta(seconds=30)   # how long a message stays ours


def process(message):
    """The application's work. An exception gives the message back."""
    if "order" not in message:
        raise ValueError("no order in message")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dsn", nargs="?", default=os.environ.get("PGMQC_DSN", ""))
    p.add_argument("--queue", default="orders")
    p.add_argument("--wait", type=float, default=5, help="seconds")
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--count", type=int, default=0, help="stop after N messages (0: no limit)")
    args = p.parse_args()

    # autocommit: read commits the leases at once, so processing needs no
    # open transaction; if we die, the leases expire and another consumer
    # gets the messages (with read_ct one higher)
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute("SELECT pgmq_c.create_queue(%s)", [args.queue])
        handled = 0
        while args.count == 0 or handled < args.count:
            # never lease more than we will handle
            qty = args.batch if args.count == 0 else min(args.batch, args.count - handled)
            # sleeps in the server until a message is visible or the wait
            # passes (at most pgmq_c.max_wait, 30 s by default; for longer
            # waits use CALL pgmq_c.receive(...), which holds no snapshot)
            rows = conn.execute(
                "SELECT msg_id, read_ct, message"
                "  FROM pgmq_c.read(%s, vt => %s, qty => %s, wait => %s)",
                [args.queue, LEASE, qty, timedelta(seconds=args.wait)],
            ).fetchall()
            if not rows:
                break
            for msg_id, read_ct, message in rows:    # jsonb arrives as a dict
                handled += 1
                try:
                    process(message)
                except Exception as e:
                    # give it back: delivered again after the queue's retry
                    # backoff, or dead-lettered at its max_deliveries (set
                    # one with alter_queue, or a message that always fails
                    # comes back forever)
                    conn.execute("SELECT pgmq_c.nack(%s, %s, read_ct => %s, reason => %s)",
                                 [args.queue, msg_id, read_ct, str(e)])
                    print(f"failed {msg_id} {e}", flush=True)
                    continue
                # (msg_id, read_ct) is the receipt: the delete only happens
                # if nobody received the message since (our lease held)
                deleted = conn.execute(
                    "SELECT pgmq_c.delete(%s, %s, read_ct => %s)",
                    [args.queue, msg_id, read_ct]).fetchone()[0]
                if deleted:
                    print(f"consumed {msg_id} {message['order']}", flush=True)
                else:
                    print(f"lease lost {msg_id}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except psycopg.Error as e:
        sys.exit(f"consumer: {e}")
