// One consumer of a consumer group of a pgmq_c topic.
//
//   node group_consumer.js [--topic payments] [--group billing] [--wait 5] [URL]
//
// Every group sees every message of the topic; the consumers of one group
// share them. Creates the topic and the group (start_at earliest: the group
// also gets what is already there) if needed. Exits when no message arrives
// within --wait seconds. Prints "<group> consumed <msg_id> <order>" per
// message. URL: as for producer.js.
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: opts, positionals } = parseArgs({
  options: {
    topic: { type: 'string', default: 'payments' },
    group: { type: 'string', default: 'billing' },
    wait: { type: 'string', default: '5' },
  },
  allowPositionals: true,
});
const client = new pg.Client({
  connectionString: positionals[0] || process.env.PGMQC_DSN || undefined,
});

try {
  await client.connect();
  await client.query('SELECT pgmq_c.create_topic($1)', [opts.topic]);
  await client.query("SELECT pgmq_c.create_group($1, $2, start_at => 'earliest')",
    [opts.topic, opts.group]);
  for (;;) {
    // the group's next messages, leased to this consumer for the group's
    // visibility_timeout (30 s unless changed)
    const { rows } = await client.query(
      `SELECT msg_id, read_ct, message
         FROM pgmq_c.read_group($1, $2, qty => 10, wait => make_interval(secs => $3))`,
      [opts.topic, opts.group, opts.wait]);
    if (rows.length === 0) break;
    for (const { msg_id, read_ct, message } of rows) {
      // ... process the message ...
      // acknowledge with the receipt: false if the lease expired and the
      // group delivered the message again
      const ack = await client.query(
        'SELECT pgmq_c.ack($1, $2, $3, read_ct => $4) AS acked',
        [opts.topic, opts.group, msg_id, read_ct]);
      if (ack.rows[0].acked) console.log(`${opts.group} consumed ${msg_id} ${message.order}`);
      else console.log(`${opts.group} lease lost ${msg_id}`);
    }
  }
} catch (err) {
  console.error(`group_consumer: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.end();
}
