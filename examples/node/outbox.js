// The transactional outbox: a business row and its message in one transaction.
//
//   node outbox.js [--queue order_events] [URL]
//
// Places two orders in table shop_orders, each sending an "order_created"
// message in the same transaction. The first commits: the row and the
// message exist. The second fails after the send and rolls back: neither
// exists, and nobody ever receives that message. Prints "committed order
// <id> message <msg_id>" and "rolled back order <id> message <msg_id>".
// URL: as for producer.js.
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: opts, positionals } = parseArgs({
  options: { queue: { type: 'string', default: 'order_events' } },
  allowPositionals: true,
});
const client = new pg.Client({
  connectionString: positionals[0] || process.env.PGMQC_DSN || undefined,
});

class PaymentDeclined extends Error {}

// Insert an order and send its event atomically; returns { orderId, msgId }.
async function placeOrder(customer, total, fail = false) {
  await client.query('BEGIN');
  try {
    const order = await client.query(
      'INSERT INTO shop_orders (customer, total) VALUES ($1, $2) RETURNING id',
      [customer, total]);
    const orderId = order.rows[0].id;
    // the send is a row insert in this same transaction
    const sent = await client.query('SELECT pgmq_c.send($1, $2) AS msg_id',
      [opts.queue, JSON.stringify({ order: Number(orderId), event: 'order_created' })]);
    const msgId = sent.rows[0].msg_id;
    if (fail) throw Object.assign(new PaymentDeclined('payment declined'), { orderId, msgId });
    await client.query('COMMIT');
    return { orderId, msgId };
  } catch (err) {
    await client.query('ROLLBACK'); // the order row and the message go together
    throw err;
  }
}

try {
  await client.connect();
  await client.query(`CREATE TABLE IF NOT EXISTS shop_orders (
                        id bigserial PRIMARY KEY,
                        customer text NOT NULL,
                        total numeric(10, 2) NOT NULL)`);
  await client.query('SELECT pgmq_c.create_queue($1)', [opts.queue]);

  const { orderId, msgId } = await placeOrder('alice', 30);
  console.log(`committed order ${orderId} message ${msgId}`);

  try {
    await placeOrder('bob', 12, true);
  } catch (err) {
    if (!(err instanceof PaymentDeclined)) throw err;
    console.log(`rolled back order ${err.orderId} message ${err.msgId}`);
  }
} catch (err) {
  console.error(`outbox: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.end();
}
