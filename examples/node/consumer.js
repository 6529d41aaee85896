// Consume a pgmq_c queue: wait for messages, process each, delete it.
//
//   node consumer.js [--queue orders] [--wait 5] [--batch 10] [--count N] [URL]
//
// Exits after --count messages, or when no message arrives within --wait
// seconds (a real service would simply loop again). Prints "consumed <msg_id> <order>" per message handled.
// URL: as for producer.js.
import { parseArgs } from 'node:util';
import pg from 'pg';

const LEASE_SECONDS = 30; // how long a message stays ours

const { values: opts, positionals } = parseArgs({
  options: {
    queue: { type: 'string', default: 'orders' },
    wait: { type: 'string', default: '5' },
    batch: { type: 'string', default: '10' },
    count: { type: 'string', default: '0' }, // stop after N messages (0: no limit)
  },
  allowPositionals: true,
});
const client = new pg.Client({
  connectionString: positionals[0] || process.env.PGMQC_DSN || undefined,
});

// The application's work. Throwing gives the message back.
function processMessage(message) {
  if (!('order' in message)) throw new Error('no order in message');
}

try {
  // no BEGIN: read commits the leases at once, so processing needs no open
  // transaction; if we die, the leases expire and another consumer gets the
  // messages (with read_ct one higher)
  await client.connect();
  await client.query('SELECT pgmq_c.create_queue($1)', [opts.queue]);
  const count = Number(opts.count);
  let handled = 0;
  while (count === 0 || handled < count) {
    // never lease more than we will handle
    const qty = count === 0 ? Number(opts.batch) : Math.min(Number(opts.batch), count - handled);
    // sleeps in the server until a message is visible or the wait passes
    // (at most pgmq_c.max_wait, 30 s by default; for longer waits use
    // CALL pgmq_c.receive(...), which holds no snapshot)
    const { rows } = await client.query(
      `SELECT msg_id, read_ct, message
         FROM pgmq_c.read($1, vt => make_interval(secs => $2), qty => $3,
                          wait => make_interval(secs => $4))`,
      [opts.queue, LEASE_SECONDS, qty, opts.wait]);
    if (rows.length === 0) break;
    // msg_id (bigint) arrives as a string, message (jsonb) as an object
    for (const { msg_id, read_ct, message } of rows) {
      handled++;
      try {
        processMessage(message);
      } catch (err) {
        // give it back: delivered again after the queue's retry backoff, or
        // dead-lettered at its max_deliveries (set one with alter_queue, or a
        // message that always fails comes back forever)
        await client.query('SELECT pgmq_c.nack($1, $2, read_ct => $3, reason => $4)',
          [opts.queue, msg_id, read_ct, err.message]);
        console.log(`failed ${msg_id} ${err.message}`);
        continue;
      }
      // (msg_id, read_ct) is the receipt: the delete only happens if nobody
      // received the message since (our lease held)
      const del = await client.query(
        'SELECT pgmq_c.delete($1, $2, read_ct => $3) AS deleted',
        [opts.queue, msg_id, read_ct]);
      if (del.rows[0].deleted) console.log(`consumed ${msg_id} ${message.order}`);
      else console.log(`lease lost ${msg_id}`);
    }
  }
} catch (err) {
  console.error(`consumer: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.end();
}
