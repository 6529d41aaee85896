// Send messages {"order": 1} .. {"order": N} to a pgmq_c queue or topic.
//
//   node producer.js [--queue orders | --topic payments] [--count 10] [URL]
//
// URL is a postgresql:// connection URL; without it $PGMQC_DSN, else the PG*
// environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
// Prints "sent <msg_id> <order>".
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: opts, positionals } = parseArgs({
  options: {
    queue: { type: 'string', default: 'orders' },
    topic: { type: 'string' },
    count: { type: 'string', default: '10' },
  },
  allowPositionals: true,
});
const client = new pg.Client({
  connectionString: positionals[0] || process.env.PGMQC_DSN || undefined,
});

try {
  // no BEGIN: each query is its own transaction, so each message is visible
  // to consumers (and wakes a waiting one) as soon as it is sent
  await client.connect();
  const name = opts.topic ?? opts.queue;
  // create_queue / create_topic leave an existing one as it is
  if (opts.topic) await client.query('SELECT pgmq_c.create_topic($1)', [name]);
  else await client.query('SELECT pgmq_c.create_queue($1)', [name]);

  for (let n = 1; n <= Number(opts.count); n++) {
    // bind parameters ($1, $2), never string concatenation; the message is
    // sent as JSON text (pgmq_c.send_batch sends many in one call)
    const { rows } = await client.query(
      'SELECT pgmq_c.send($1, $2) AS msg_id', [name, JSON.stringify({ order: n })]);
    console.log(`sent ${rows[0].msg_id} ${n}`);
  }
} catch (err) {
  console.error(`producer: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.end();
}
