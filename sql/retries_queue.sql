-- retries_queue: a queue's retry policy (create_queue's and alter_queue's
-- settings, list_queues), nack, retry backoff, dead letters, redrive,
-- archive_retention, and bad input.  The database's worker moves dead
-- messages too (every second or so): each check below holds whether a read
-- or the worker moved them.

-- the settings of the queues of this test, as list_queues() shows them
\set settings 'SELECT queue_name, visibility_timeout, owner = current_user AS mine, max_deliveries, dead_letter_queue, retry_backoff, retry_backoff_max, archive_retention FROM pgmq_c.list_queues() WHERE queue_name LIKE \'rq\\_%\' ORDER BY queue_name'

--
-- Settings
--
-- create_queue takes them as named arguments
SELECT pgmq_c.create_queue('rq_dlq');
SELECT pgmq_c.create_queue('rq_dlq2');
SELECT pgmq_c.create_queue('rq_src', '1 minute', max_deliveries => 3,
       dead_letter_queue => 'rq_dlq', retry_backoff => '1 second',
       retry_backoff_max => '1 minute', archive_retention => '30 days');
:settings;
-- the columns of list_queues(), in order
SELECT string_agg(a.name || ' ' || format_type(a.typ, NULL), ', ' ORDER BY a.n) AS list_queues_columns
  FROM pg_proc p,
       unnest(p.proallargtypes, p.proargnames, p.proargmodes) WITH ORDINALITY AS a(typ, name, mode, n)
 WHERE p.oid = 'pgmq_c.list_queues()'::regprocedure AND a.mode = 't';
-- create_queue of a queue that exists changes nothing (a notice)
SELECT pgmq_c.create_queue('rq_src', max_deliveries => 9, retry_backoff => '0');
:settings;

-- alter_queue: NULL (or no argument) leaves a setting as it is
SELECT pgmq_c.alter_queue('rq_src');
SELECT pgmq_c.alter_queue('rq_src', NULL, NULL, NULL, NULL, NULL, NULL);
:settings;
-- each setting changed
SELECT pgmq_c.alter_queue('rq_src', visibility_timeout => '5 minutes');
SELECT pgmq_c.alter_queue('rq_src', max_deliveries => 7);
SELECT pgmq_c.alter_queue('rq_src', dead_letter_queue => 'rq_dlq2');
SELECT pgmq_c.alter_queue('rq_src', retry_backoff => '2 seconds');
SELECT pgmq_c.alter_queue('rq_src', retry_backoff_max => '1 hour');
SELECT pgmq_c.alter_queue('rq_src', archive_retention => '10 years');
:settings;
-- read() without a vt leases for the queue's new visibility_timeout
SELECT pgmq_c.send('rq_src', '{"vt": "default"}') AS v1 \gset
SELECT msg_id = :v1 AS is_v1,
       vt > clock_timestamp() + interval '4 minutes' AND
       vt <= clock_timestamp() + interval '5 minutes' AS leased_5_minutes
  FROM pgmq_c.read('rq_src');
SELECT pgmq_c.delete('rq_src', :v1);
-- 0 (or '' for the dead-letter queue) clears a setting, one at a time
SELECT pgmq_c.alter_queue('rq_src', max_deliveries => 0);
:settings;
SELECT pgmq_c.alter_queue('rq_src', dead_letter_queue => '');
SELECT pgmq_c.alter_queue('rq_src', retry_backoff => '0');
:settings;
SELECT pgmq_c.alter_queue('rq_src', retry_backoff_max => '0', archive_retention => '0');
:settings;
-- several at once
SELECT pgmq_c.alter_queue('rq_src', '30 seconds', 2, 'rq_dlq', NULL, NULL, '1 day');
:settings;
-- retry_backoff may not exceed retry_backoff_max (set or as stored)
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', retry_backoff => '2 minutes', retry_backoff_max => '1 minute')$$);
SELECT pgmq_c.alter_queue('rq_dlq2', retry_backoff => '1 second', retry_backoff_max => '1 minute');
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_dlq2', retry_backoff => '2 minutes')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_dlq2', retry_backoff_max => '500 ms')$$);
SELECT pgmq_c.alter_queue('rq_dlq2', retry_backoff => '0', retry_backoff_max => '0');
:settings;

--
-- nack without a retry policy
--
SELECT pgmq_c.create_queue('rq_nack');
SELECT 'pgmq_c.q_' || queue_id AS nack_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_nack' \gset
SELECT pgmq_c.send('rq_nack', '{"n": 1}') AS n1 \gset
SELECT read_ct FROM pgmq_c.read('rq_nack', '1 hour', 1);
-- delay NULL: visible again at once, read_ct counting on
SELECT pgmq_c.nack('rq_nack', :n1);
SELECT msg_id = :n1 AS is_n1, read_ct FROM pgmq_c.read('rq_nack', '1 hour', 1);
-- with a delay: not before then
SELECT pgmq_c.nack('rq_nack', :n1, '1 hour');
SELECT count(*) AS visible FROM pgmq_c.read('rq_nack', '1 hour', 1);
SELECT read_ct, vt > clock_timestamp() + interval '50 minutes' AS in_an_hour
  FROM :nack_t WHERE msg_id = :n1;
-- a delay of 0: at once
SELECT pgmq_c.nack('rq_nack', :n1, '0');
SELECT read_ct FROM pgmq_c.read('rq_nack', '1 hour', 1);
-- no such message: false
SELECT pgmq_c.nack('rq_nack', :n1 + 1000);
-- receipts: a stale read_ct matches nothing, returns false and changes nothing
SELECT pgmq_c.nack('rq_nack', :n1, NULL, 2, 'stale');
SELECT read_ct, vt > clock_timestamp() + interval '50 minutes' AS still_leased, reason
  FROM :nack_t WHERE msg_id = :n1;
SELECT count(*) AS visible FROM pgmq_c.read('rq_nack', '1 hour', 1);
-- the current one gives it back, and the reason is kept with it
SELECT pgmq_c.nack('rq_nack', :n1, NULL, 3, 'current');
SELECT read_ct, vt <= clock_timestamp() AS visible, reason FROM :nack_t WHERE msg_id = :n1;
-- the reason as given; a reason of 1000 bytes is accepted
SELECT pgmq_c.nack('rq_nack', :n1, reason => repeat('r', 1000));
SELECT length(reason) FROM :nack_t WHERE msg_id = :n1;
-- a nack without a reason keeps the one an earlier nack gave (before, it
-- cleared it, and the dead letter's reason was NULL)
SELECT pgmq_c.nack('rq_nack', :n1, reason => 'card declined');
SELECT pgmq_c.nack('rq_nack', :n1);
SELECT reason FROM :nack_t WHERE msg_id = :n1;
SELECT pgmq_c.drop_queue('rq_nack');

--
-- Retry backoff: retry_backoff * 2^(read_ct - 1), at most retry_backoff_max,
-- +-10 %.  Checked on the message's vt (from the times around the call), and
-- by reading right after (not visible) and after waiting well past it.
--
SELECT pgmq_c.create_queue('rq_backoff', retry_backoff => '300 ms',
       retry_backoff_max => '1 second');
SELECT 'pgmq_c.q_' || queue_id AS bo_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_backoff' \gset
SELECT pgmq_c.send('rq_backoff', '{"b": 1}') AS b1 \gset
-- an expired lease: the next read makes the message wait 300 ms after it
SELECT clock_timestamp() AS t0 \gset
SELECT read_ct FROM pgmq_c.read('rq_backoff', '0', 1);
SELECT clock_timestamp() AS t1 \gset
SELECT count(*) AS visible_at_once FROM pgmq_c.read('rq_backoff', '1 hour', 1);
SELECT read_ct, vt >= :'t0'::timestamptz + interval '270 ms' AS not_before,
       vt <= :'t1'::timestamptz + interval '330 ms' AS not_after
  FROM :bo_t WHERE msg_id = :b1;
SELECT pg_sleep(0.6);
SELECT read_ct FROM pgmq_c.read('rq_backoff', '1 hour', 1);
-- nack without a delay at read_ct 2: 600 ms
SELECT clock_timestamp() AS t0 \gset
SELECT pgmq_c.nack('rq_backoff', :b1);
SELECT clock_timestamp() AS t1 \gset
SELECT count(*) AS visible_at_once FROM pgmq_c.read('rq_backoff', '1 hour', 1);
SELECT read_ct, vt >= :'t0'::timestamptz + interval '540 ms' AS not_before,
       vt <= :'t1'::timestamptz + interval '660 ms' AS not_after
  FROM :bo_t WHERE msg_id = :b1;
SELECT pg_sleep(1);
SELECT read_ct FROM pgmq_c.read('rq_backoff', '1 hour', 1);
-- at read_ct 3: 1.2 s, capped at retry_backoff_max (1 s)
SELECT clock_timestamp() AS t0 \gset
SELECT pgmq_c.nack('rq_backoff', :b1);
SELECT clock_timestamp() AS t1 \gset
SELECT read_ct, vt >= :'t0'::timestamptz + interval '900 ms' AS not_before,
       vt <= :'t1'::timestamptz + interval '1100 ms' AS not_after
  FROM :bo_t WHERE msg_id = :b1;
-- a reader waiting inside the database gets it when the backoff ends (the
-- worker's timer wakes it), not before
SELECT vt AS retry_at FROM :bo_t WHERE msg_id = :b1 \gset
SELECT read_ct, clock_timestamp() >= :'retry_at'::timestamptz AS not_before_the_backoff
  FROM pgmq_c.read('rq_backoff', '1 hour', 1, wait => '20 seconds');
-- an explicit delay wins over the backoff
SELECT pgmq_c.nack('rq_backoff', :b1, '0');
SELECT read_ct FROM pgmq_c.read('rq_backoff', '1 hour', 1);
-- without the policy, a nack gives the message back at once again
SELECT pgmq_c.alter_queue('rq_backoff', retry_backoff => '0');
SELECT pgmq_c.nack('rq_backoff', :b1);
SELECT read_ct FROM pgmq_c.read('rq_backoff', '1 hour', 1);
SELECT pgmq_c.drop_queue('rq_backoff');

--
-- Dead letters: rq_src, max_deliveries 2, dead-letter queue rq_dlq
--
:settings;
SELECT 'pgmq_c.q_' || queue_id AS src_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_src' \gset
SELECT 'pgmq_c.q_' || queue_id AS dlq_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_dlq' \gset
SELECT pgmq_c.send('rq_src', '{"d": 1}', '{"trace": "t1"}') AS d1 \gset
SELECT pgmq_c.send('rq_src', '{"d": 2}') AS d2 \gset
SELECT pgmq_c.send('rq_src', '{"d": 3}', '{"trace": "t3"}') AS d3 \gset
-- d1: read twice, its second lease expires: the next read dead-letters it
SELECT msg_id - :d1 AS rel_id, read_ct FROM pgmq_c.read('rq_src', '0', 1);
SELECT msg_id - :d1 AS rel_id, read_ct, enqueued_at AS d1_enqueued_at
  FROM pgmq_c.read('rq_src', '0', 1) \gset
SELECT :rel_id AS rel_id, :read_ct AS read_ct;
-- leases d2 and d3 (reads 1 of 2); d1 is never delivered again
SELECT msg_id - :d1 AS rel_id, read_ct FROM pgmq_c.read('rq_src', '1 hour', 10);
SELECT count(*) AS d1_left_in_source FROM :src_t WHERE msg_id = :d1;
-- in the dead-letter queue: the message, its own headers and where it came from
SELECT message, headers - 'pgmq_c_dead_letter' AS own_headers,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(headers->'pgmq_c_dead_letter') k) AS dead_letter_keys
  FROM :dlq_t;
SELECT headers->'pgmq_c_dead_letter'->>'queue' AS origin,
       (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint = :d1 AS is_d1,
       headers->'pgmq_c_dead_letter'->'read_ct' AS dead_read_ct,
       headers->'pgmq_c_dead_letter'->'reason' AS reason,
       (headers->'pgmq_c_dead_letter'->>'enqueued_at')::timestamptz = :'d1_enqueued_at' AS enqueued_at_kept,
       (headers->'pgmq_c_dead_letter'->>'dead_lettered_at')::timestamptz
         BETWEEN :'d1_enqueued_at' AND clock_timestamp() AS dead_lettered_at_ok
  FROM :dlq_t;
-- it is an ordinary message of rq_dlq: read() shows it, read_ct from 1
SELECT message, read_ct, headers->'pgmq_c_dead_letter'->>'queue' AS origin
  FROM pgmq_c.read('rq_dlq', '0', 10);
-- d2: nacked at its last delivery, with a reason: dead-lettered at once
SELECT pgmq_c.nack('rq_src', :d2, NULL, 1, 'first try');
SELECT msg_id - :d1 AS rel_id, read_ct FROM pgmq_c.read('rq_src', '1 hour', 1);
SELECT pgmq_c.nack('rq_src', :d2, NULL, 2, 'bad payload');
SELECT count(*) AS d2_left_in_source FROM :src_t WHERE msg_id = :d2;
-- d3: nacked with a reason, then its last lease expires: the last reason
SELECT pgmq_c.nack('rq_src', :d3, reason => 'timeout upstream');
SELECT msg_id - :d1 AS rel_id, read_ct FROM pgmq_c.read('rq_src', '0', 1);
SELECT count(*) AS visible FROM pgmq_c.read('rq_src', '1 hour', 10);
SELECT count(*) AS left_in_source FROM :src_t;
-- all three in the dead-letter queue, in the order they died
SELECT message, headers - 'pgmq_c_dead_letter' AS own_headers,
       headers->'pgmq_c_dead_letter'->>'queue' AS origin,
       (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint - :d1 AS rel_id,
       headers->'pgmq_c_dead_letter'->'read_ct' AS dead_read_ct,
       headers->'pgmq_c_dead_letter'->'reason' AS reason
  FROM :dlq_t ORDER BY msg_id;

--
-- Without a dead-letter queue, a dead message is archived with the same
-- headers.  pop under a policy returns no dead message.
--
SELECT pgmq_c.create_queue('rq_arch', max_deliveries => 1);
SELECT pgmq_c.send('rq_arch', '{"p": 1}', '{"k": "v"}') AS p1 \gset
SELECT pgmq_c.send('rq_arch', '{"p": 2}') AS p2 \gset
SELECT msg_id - :p1 AS rel_id, read_ct FROM pgmq_c.read('rq_arch', '0', 1);
SELECT msg_id - :p1 AS rel_id, message FROM pgmq_c.pop('rq_arch', 10);
SELECT count(*) AS left_in_queue FROM pgmq_c.read('rq_arch', '0', 10);
SELECT msg_id - :p1 AS rel_id, read_ct, message, headers - 'pgmq_c_dead_letter' AS own_headers,
       headers->'pgmq_c_dead_letter'->>'queue' AS origin,
       (headers->'pgmq_c_dead_letter'->>'msg_id')::bigint - :p1 AS dead_rel_id,
       headers->'pgmq_c_dead_letter'->'read_ct' AS dead_read_ct,
       headers->'pgmq_c_dead_letter'->'reason' AS reason,
       archived_at <= clock_timestamp() AS archived
  FROM pgmq_c.read_archive('rq_arch');
-- nack at max_deliveries archives at once, with the reason
SELECT pgmq_c.send('rq_arch', '{"p": 3}') AS p3 \gset
SELECT read_ct FROM pgmq_c.read('rq_arch', '1 hour', 1);
SELECT pgmq_c.nack('rq_arch', :p3, reason => 'gave up');
SELECT msg_id - :p1 AS rel_id, read_ct, message, headers->'pgmq_c_dead_letter'->'reason' AS reason
  FROM pgmq_c.read_archive('rq_arch', :p1);
-- archive_retention: set and shown (the worker removes older archives; not
-- these, archived just now)
SELECT pgmq_c.alter_queue('rq_arch', archive_retention => '1 day');
SELECT queue_name, max_deliveries, dead_letter_queue, archive_retention
  FROM pgmq_c.list_queues() WHERE queue_name = 'rq_arch';
SELECT count(*) AS archived FROM pgmq_c.read_archive('rq_arch');
-- a dead message nobody reads: the worker archives it (waited for up to 30 s)
SELECT pgmq_c.send('rq_arch', '{"p": 4}') AS p4 \gset
SELECT read_ct FROM pgmq_c.read('rq_arch', '0', 1);
DO $$
BEGIN
	FOR i IN 1..300 LOOP
		EXIT WHEN (SELECT count(*) FROM pgmq_c.read_archive('rq_arch')) = 3;
		PERFORM pg_sleep(0.1);
	END LOOP;
END $$;
SELECT msg_id - :p1 AS rel_id, read_ct, message, headers->'pgmq_c_dead_letter'->>'queue' AS origin
  FROM pgmq_c.read_archive('rq_arch', :p3);
-- archive_retention partitions the archive by the day messages were archived,
-- so that retention drops whole days: what was archived before is one
-- partition (dropped whole once all of it is past retention), today another,
-- the days ahead are made by the worker, a default partition takes the rest
SELECT c.relkind,
       (SELECT array_agg(regexp_replace(regexp_replace(p.relname, '^a_[0-9]+_', 'a_<id>_'), '_p[0-9]+$', '_p<today>')
                         ORDER BY p.relname ~ '_p[0-9]+$', p.relname)
          FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhrelid
         WHERE i.inhparent = c.oid
           AND (p.relname !~ '_p[0-9]+$'
                OR substring(p.relname from '_p([0-9]+)$')::bigint =
                   floor(extract(epoch FROM now()) / 86400))) AS made_now
  FROM pgmq_c.queues q JOIN pg_class c ON c.relname = 'a_' || q.queue_id
 WHERE q.queue_name = 'rq_arch';
-- every partition belongs to the extension owner, and nobody else may use it
SELECT bool_and(p.relowner = e.extowner) AS owned_by_extension_owner,
       bool_and(p.relacl IS NULL OR NOT EXISTS (SELECT FROM aclexplode(p.relacl) a WHERE a.grantee <> p.relowner)) AS nobody_else
  FROM pgmq_c.queues q JOIN pg_inherits i ON i.inhparent = ('pgmq_c.a_' || q.queue_id)::regclass
  JOIN pg_class p ON p.oid = i.inhrelid, pg_extension e
 WHERE q.queue_name = 'rq_arch' AND e.extname = 'pgmq_c';
-- the archive reads as before; a new archived message goes to today's day
SELECT count(*) AS archived, bool_and(msg_id >= :p1) AS ours FROM pgmq_c.read_archive('rq_arch');
SELECT pgmq_c.send('rq_arch', '{"p": 5}') AS p5 \gset
SELECT pgmq_c.archive('rq_arch', :p5);
SELECT msg_id - :p1 AS rel_id, message FROM pgmq_c.read_archive('rq_arch', :p4);
SELECT format('SELECT tableoid::regclass::text ~ ''_p[0-9]+$'' AS in_a_day FROM pgmq_c.a_%s WHERE msg_id = %s', queue_id, :p5) AS q
  FROM pgmq_c.queues WHERE queue_name = 'rq_arch' \gset
:q;
SELECT archived_length FROM pgmq_c.metrics('rq_arch');
-- setting it again changes nothing of that
SELECT pgmq_c.alter_queue('rq_arch', archive_retention => '2 days');
SELECT count(*) AS archived FROM pgmq_c.read_archive('rq_arch');

--
-- Redrive
--
-- a dead letter whose origin queue is dropped afterwards
SELECT pgmq_c.create_queue('rq_gone', max_deliveries => 1, dead_letter_queue => 'rq_dlq');
SELECT pgmq_c.send('rq_gone', '{"g": 1}') AS g1 \gset
SELECT read_ct FROM pgmq_c.read('rq_gone', '1 hour', 1);
SELECT pgmq_c.nack('rq_gone', :g1);
SELECT pgmq_c.drop_queue('rq_gone');
-- and one sent to rq_dlq directly: no origin in its headers
SELECT pgmq_c.send('rq_dlq', '{"o": "none"}', '{"trace": "t0"}') > 0 AS sent;
SELECT message, headers->'pgmq_c_dead_letter'->>'queue' AS origin FROM :dlq_t ORDER BY msg_id;

-- max_messages: the oldest first; back to its queue as a new message, its
-- headers as they were, read_ct starting again
SELECT pgmq_c.redrive('rq_dlq', max_messages => 1);
SELECT msg_id > :d3 AS new_id, read_ct, message, headers FROM pgmq_c.read('rq_src', '1 hour', 10);
-- the rest: the two whose origin is gone or unknown stay, a notice counts them
SELECT pgmq_c.redrive('rq_dlq');
SELECT read_ct, message, headers FROM pgmq_c.read('rq_src', '1 hour', 10);
SELECT message, headers->'pgmq_c_dead_letter'->>'queue' AS origin FROM :dlq_t ORDER BY msg_id;
-- again: nothing more moves
SELECT pgmq_c.redrive('rq_dlq');
SELECT count(*) AS in_source FROM :src_t;
-- to_queue: moved there whatever their origin, headers as they are
SELECT 'pgmq_c.q_' || queue_id AS dlq2_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_dlq2' \gset
SELECT pgmq_c.redrive('rq_dlq', 'rq_dlq2', 1);
SELECT pgmq_c.redrive('rq_dlq', 'rq_dlq2');
SELECT pgmq_c.redrive('rq_dlq', 'rq_dlq2');
SELECT read_ct, message, headers - 'pgmq_c_dead_letter' AS own_headers,
       headers->'pgmq_c_dead_letter'->>'queue' AS origin
  FROM pgmq_c.read('rq_dlq2', '1 hour', 10);
SELECT count(*) AS left_in_dlq FROM :dlq_t;
-- a leased dead letter stays where it is
SELECT pgmq_c.send('rq_dlq', '{"l": 1}', '{"pgmq_c_dead_letter": {"queue": "rq_src", "msg_id": 1}}') > 0 AS sent;
SELECT count(*) AS leased FROM pgmq_c.read('rq_dlq', '1 hour', 10);
SELECT pgmq_c.redrive('rq_dlq');
SELECT count(*) AS left_in_dlq FROM :dlq_t;
-- a dead letter parked with a delay that has passed is given back, though
-- no read of rq_dlq moved it into its message table yet
SELECT pgmq_c.send('rq_dlq', '{"p": 1}', '{"pgmq_c_dead_letter": {"queue": "rq_src"}}',
                   delay => '1 ms') > 0 AS sent;
SELECT pg_sleep(0.02);
SELECT pgmq_c.redrive('rq_dlq');
SELECT message, pgmq_c.delete('rq_src', msg_id) AS deleted FROM pgmq_c.read('rq_src', '1 hour', 10);
-- more than a batch of them, the later msg_ids due first: all go back in
-- one redrive (batches take msg_ids in order, past the last one taken)
DO $$
BEGIN
	FOR i IN 1..1200 LOOP
		PERFORM pgmq_c.send('rq_dlq', jsonb_build_object('parked', i),
							'{"pgmq_c_dead_letter": {"queue": "rq_src"}}',
							delay => make_interval(secs => (1200 - i) * 0.00005));
	END LOOP;
END $$;
SELECT pg_sleep(0.1);
SELECT pgmq_c.redrive('rq_dlq');
SELECT count(*) AS removed FROM (SELECT pgmq_c.delete('rq_src', msg_id) FROM :src_t WHERE message ? 'parked') d;

--
-- A queue that is a dead-letter queue cannot be dropped
--
SELECT pgmqc_test.sqlstate($$SELECT pgmq_c.drop_queue('rq_dlq')$$);
SELECT pgmq_c.drop_queue('rq_dlq');
SELECT count(*) AS still_there FROM pgmq_c.list_queues() WHERE queue_name = 'rq_dlq';

--
-- Bad input: an error with a fitting SQLSTATE, and nothing changed
--
SELECT pgmq_c.create_topic('rq_topic');
SELECT count(*) AS in_source_before FROM :src_t;
-- alter_queue: names
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue(NULL, max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_nope', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq src', max_deliveries => 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_topic', max_deliveries => 1)$$);
-- the dead-letter queue: unknown, a topic, the queue itself, a bad name
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', dead_letter_queue => 'rq_nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', dead_letter_queue => 'rq_topic')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', dead_letter_queue => 'rq_src')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', dead_letter_queue => 'rq.dlq')$$);
-- a dead-letter queue whose dead letters come back to the queue, however
-- long the way: refused, since a message that keeps failing would go round
-- forever, its headers growing by each move's dead-letter key (the
-- catalog's chain is read under the lock every such change takes, with the
-- latest snapshot: isolation spec dead_letter_cycle)
SELECT pgmq_c.alter_queue('rq_dlq', dead_letter_queue => 'rq_src');
SELECT pgmq_c.alter_queue('rq_dlq2', dead_letter_queue => 'rq_src');	-- a chain: fine
SELECT pgmq_c.alter_queue('rq_dlq', dead_letter_queue => 'rq_dlq2');
SELECT pgmq_c.create_queue('rq_cycle', dead_letter_queue => 'rq_dlq2');	-- new: fine
SELECT pgmq_c.alter_queue('rq_dlq', dead_letter_queue => 'rq_cycle');
SELECT pgmqc_test.sqlstate($$SELECT pgmq_c.alter_queue('rq_dlq', dead_letter_queue => 'rq_cycle')$$);
-- the way is named only to a role with a privilege on every queue on it
CREATE ROLE regress_rq_cycle;
GRANT EXECUTE ON FUNCTION pgmq_c.create_queue TO regress_rq_cycle;
SELECT pgmq_c.grant_access('rq_cycle', 'regress_rq_cycle', ARRAY['send']);
SET ROLE regress_rq_cycle;
SELECT pgmq_c.create_queue('rq_cycle_own');
RESET ROLE;
SELECT pgmq_c.alter_queue('rq_dlq', dead_letter_queue => 'rq_cycle_own');
SET ROLE regress_rq_cycle;
SELECT pgmq_c.alter_queue('rq_cycle_own', dead_letter_queue => 'rq_cycle');
RESET ROLE;
-- nothing changed; then the chain goes away again
SELECT queue_name, dead_letter_queue FROM pgmq_c.list_queues()
 WHERE queue_name IN ('rq_src', 'rq_dlq', 'rq_dlq2', 'rq_cycle', 'rq_cycle_own') ORDER BY 1;
SELECT pgmq_c.alter_queue('rq_dlq', dead_letter_queue => '');
SELECT pgmq_c.drop_queue('rq_cycle_own');
SELECT pgmq_c.drop_queue('rq_cycle');
SELECT pgmq_c.alter_queue('rq_dlq2', dead_letter_queue => '');
REVOKE EXECUTE ON FUNCTION pgmq_c.create_queue FROM regress_rq_cycle;
DROP ROLE regress_rq_cycle;
-- counts and intervals
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', max_deliveries => -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', max_deliveries => 1001)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', visibility_timeout => '0')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', visibility_timeout => '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', retry_backoff => '-1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', retry_backoff => '7 days 1 second')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', retry_backoff => '1 mon')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', retry_backoff_max => '-1 ms')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', retry_backoff_max => '8 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', archive_retention => '-1 day')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', archive_retention => '11 years')$$);
-- one bad setting among good ones: none is applied
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', '1 hour', 5, '', '1 second', '1 minute', '-1 day')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.alter_queue('rq_src', '1 hour', 5, 'rq_nope', '1 second', '1 minute', '1 day')$$);
-- the limits themselves are accepted (and set back)
SELECT pgmq_c.alter_queue('rq_dlq2', max_deliveries => 1000, retry_backoff => '7 days',
       retry_backoff_max => '7 days', archive_retention => '10 years');
SELECT queue_name, max_deliveries, retry_backoff, retry_backoff_max, archive_retention
  FROM pgmq_c.list_queues() WHERE queue_name = 'rq_dlq2';
SELECT pgmq_c.alter_queue('rq_dlq2', max_deliveries => 0, retry_backoff => '0',
       retry_backoff_max => '0', archive_retention => '0');
-- create_queue with bad settings creates nothing
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('rq_bad', max_deliveries => -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('rq_bad', dead_letter_queue => 'rq_nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('rq_bad', dead_letter_queue => 'rq_bad')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('rq_bad', dead_letter_queue => 'rq_topic')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('rq_bad', retry_backoff => '8 days')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('rq_bad', archive_retention => '11 years')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.create_queue('rq_bad', retry_backoff => '1 minute', retry_backoff_max => '1 second')$$);
-- nack
SELECT pgmq_c.send('rq_src', '{"bad": "input"}') AS x1 \gset
SELECT read_ct FROM pgmq_c.read('rq_src', '1 hour', 1);
SELECT pgmqc_test.try($$SELECT pgmq_c.nack(NULL, 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('rq_src', NULL::bigint)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('rq_nope', 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('rq src', 1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.nack('rq_topic', 1)$$);
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %s, NULL, -1)', 'rq_src', :x1));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %s, %L)', 'rq_src', :x1, '-1 second'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %s, %L)', 'rq_src', :x1, '13 hours'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %s, reason => repeat(%L, 1001))', 'rq_src', :x1, 'r'));
SELECT pgmqc_test.try(format('SELECT pgmq_c.nack(%L, %s, reason => repeat(%L, 501))', 'rq_src', :x1, 'é'));
SELECT read_ct, vt > clock_timestamp() + interval '50 minutes' AS still_leased, reason
  FROM :src_t WHERE msg_id = :x1;
SELECT pgmq_c.delete('rq_src', :x1);
-- redrive
SELECT count(*) AS in_dlq_before FROM :dlq_t;
SELECT count(*) AS released FROM :dlq_t d, pgmq_c.set_vt('rq_dlq', d.msg_id, '0') s;
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive(NULL)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq dlq')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_topic')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_dlq', max_messages => 0)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_dlq', max_messages => -1)$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_dlq', 'rq_dlq')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_dlq', 'rq_topic')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_dlq', 'rq_nope')$$);
SELECT pgmqc_test.try($$SELECT pgmq_c.redrive('rq_dlq', 'rq.x')$$);
-- nothing changed
:settings;
SELECT count(*) AS in_source_after FROM :src_t;
SELECT count(*) AS in_dlq_after FROM :dlq_t;
SELECT count(*) AS in_dlq2 FROM :dlq2_t;

--
-- A lease taken while the queue had no retry policy (its claim then has no
-- policy to apply) counts as a lease once a policy is set: read with a
-- lease that ends at once, then set a backoff; the next read finds an
-- expired lease and makes the message wait for its backoff instead.
--
SELECT pgmq_c.create_queue('rq_later');
SELECT 'pgmq_c.q_' || queue_id AS later_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_later' \gset
SELECT pgmq_c.send('rq_later', '{"l": 1}') AS l1 \gset
SELECT read_ct FROM pgmq_c.read('rq_later', '0', 1);
SELECT read_ct, leased FROM :later_t WHERE msg_id = :l1;
SELECT pgmq_c.alter_queue('rq_later', retry_backoff => '1 hour');
SELECT count(*) AS visible_after_policy FROM pgmq_c.read('rq_later', '1 hour', 1);
SELECT read_ct, leased, vt > clock_timestamp() + interval '50 minutes' AS backing_off
  FROM :later_t WHERE msg_id = :l1;
SELECT pgmq_c.drop_queue('rq_later');

--
-- One claim under a policy deals with each message as the policy says, in
-- msg_id order, up to qty rows in all: a message read max_deliveries times
-- goes to the dead-letter queue, an expired lease waits for its backoff
-- (300 ms * 2^(4 - 1) = 2.4 s, capped at 1 s, +-10 %, from the lease's
-- end; read_ct unchanged), and only the fresh message is delivered.  The
-- claim runs without a statement on a table as pgmq_c made it; the second
-- round adds an UPDATE trigger, which makes it run the statement, and must
-- give the same outcome (the trigger fires for the three rows it changes).
--
SELECT pgmq_c.create_queue('rq_mix_dlq');
SELECT 'pgmq_c.q_' || queue_id AS mix_dlq_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_mix_dlq' \gset
SELECT pgmq_c.create_queue('rq_mix', max_deliveries => 5, dead_letter_queue => 'rq_mix_dlq',
       retry_backoff => '300 ms', retry_backoff_max => '1 second');
SELECT 'pgmq_c.q_' || queue_id AS mix_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_mix' \gset
CREATE FUNCTION rq_mix_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'trigger saw msg % read_ct % leased %', NEW.message->>'m', NEW.read_ct, NEW.leased; RETURN NEW; END $$;
-- round 1: the direct claim
SELECT count(*) AS sent FROM pgmq_c.send_batch('rq_mix',
       ARRAY['{"m": "dead"}', '{"m": "expired"}', '{"m": "fresh"}']::jsonb[]);
UPDATE :mix_t SET read_ct = 5 WHERE message->>'m' = 'dead';
UPDATE :mix_t SET read_ct = 4, leased = true, vt = clock_timestamp() - interval '1 minute'
 WHERE message->>'m' = 'expired' RETURNING vt AS lease_end \gset
SELECT message->>'m' AS msg, read_ct FROM pgmq_c.read('rq_mix', '1 hour', 3);
SELECT message->>'m' AS msg, read_ct, leased,
       vt BETWEEN :'lease_end'::timestamptz + interval '900 ms'
              AND :'lease_end'::timestamptz + interval '1100 ms' AS backing_off_1s
  FROM :mix_t ORDER BY msg_id;
SELECT message->>'m' AS msg, read_ct FROM :mix_dlq_t;
SELECT pgmq_c.purge_queue('rq_mix') AS purged, pgmq_c.purge_queue('rq_mix_dlq') AS purged_dlq;
-- round 2: the same through the statement
CREATE TRIGGER rq_mix_seen BEFORE UPDATE ON :mix_t FOR EACH ROW EXECUTE FUNCTION rq_mix_seen();
SELECT count(*) AS sent FROM pgmq_c.send_batch('rq_mix',
       ARRAY['{"m": "dead"}', '{"m": "expired"}', '{"m": "fresh"}']::jsonb[]);
UPDATE :mix_t SET read_ct = 5 WHERE message->>'m' = 'dead';
UPDATE :mix_t SET read_ct = 4, leased = true, vt = clock_timestamp() - interval '1 minute'
 WHERE message->>'m' = 'expired' RETURNING vt AS lease_end \gset
SELECT message->>'m' AS msg, read_ct FROM pgmq_c.read('rq_mix', '1 hour', 3);
SELECT message->>'m' AS msg, read_ct, leased,
       vt BETWEEN :'lease_end'::timestamptz + interval '900 ms'
              AND :'lease_end'::timestamptz + interval '1100 ms' AS backing_off_1s
  FROM :mix_t ORDER BY msg_id;
SELECT message->>'m' AS msg, read_ct FROM :mix_dlq_t;
DROP TRIGGER rq_mix_seen ON :mix_t;
DROP FUNCTION rq_mix_seen();
-- A claim that met as many dead messages and expired leases as one call
-- deals with passes over the rest (a skipping claim): 1,500 expired leases
-- ahead of a fresh message, a backoff of a minute; one read of 1 message
-- gets the fresh one, having made 1,001 of the expired wait (1 by the
-- claim, 1,000 by the statements for the head in bulk) and left 499 for
-- later calls.
SELECT pgmq_c.purge_queue('rq_mix') AS purged;
SELECT pgmq_c.alter_queue('rq_mix', retry_backoff => '1 minute', retry_backoff_max => '1 hour');
SELECT count(*) AS sent FROM pgmq_c.send_batch('rq_mix',
       (SELECT array_agg(jsonb_build_object('m', 'e' || g)) FROM generate_series(1, 1500) g));
SELECT pgmq_c.send('rq_mix', '{"m": "late"}') AS late \gset
UPDATE :mix_t SET read_ct = 1, leased = true, vt = clock_timestamp() - interval '1 second'
 WHERE msg_id <> :late;
SELECT message->>'m' AS msg, read_ct FROM pgmq_c.read('rq_mix', '1 hour', 1);
SELECT count(*) FILTER (WHERE NOT leased AND vt > clock_timestamp() + interval '30 seconds') AS backing_off,
       count(*) FILTER (WHERE leased AND vt <= clock_timestamp()) AS left_for_later,
       count(*) FILTER (WHERE leased AND vt > clock_timestamp() + interval '30 minutes') AS leased_now,
       count(*) FILTER (WHERE read_ct <> 1) AS read_ct_changed
  FROM :mix_t;
SELECT pgmq_c.drop_queue('rq_mix');
SELECT pgmq_c.drop_queue('rq_mix_dlq');

--
-- retry_backoff_max holds the jittered wait too: with retry_backoff and
-- retry_backoff_max both 10 s, every wait is 9 to 10 s (never the 11 s the
-- ±10 % could reach), after a nack and after an expired lease
--
SELECT pgmq_c.create_queue('rq_cap', retry_backoff => '10 seconds',
                           retry_backoff_max => '10 seconds');
SELECT 'pgmq_c.q_' || queue_id AS cap_t FROM pgmq_c.list_queues() WHERE queue_name = 'rq_cap' \gset
SELECT count(*) AS sent FROM pgmq_c.send_batch('rq_cap', array_fill('{}'::jsonb, ARRAY[60]));
CREATE TEMP TABLE rq_cap_nacked AS SELECT msg_id FROM pgmq_c.read('rq_cap', '1 hour', 30);
SELECT clock_timestamp() AS cap_t0 \gset
SELECT count(*) FILTER (WHERE pgmq_c.nack('rq_cap', msg_id)) AS nacked FROM rq_cap_nacked;
SELECT clock_timestamp() AS cap_t1 \gset
SELECT count(*) AS waits,
       bool_and(vt >= :'cap_t0'::timestamptz + interval '9 seconds') AS at_least_9s,
       bool_and(vt <= :'cap_t1'::timestamptz + interval '10 seconds') AS at_most_10s
  FROM :cap_t WHERE msg_id IN (SELECT msg_id FROM rq_cap_nacked);
-- leases of no time, ended at once: the next read gives each its backoff
SELECT count(*) AS leased FROM pgmq_c.read('rq_cap', '0 seconds', 30);
SELECT clock_timestamp() AS cap_t2 \gset
SELECT count(*) AS more FROM pgmq_c.read('rq_cap', '1 hour', 30);
SELECT clock_timestamp() AS cap_t3 \gset
SELECT count(*) AS waits,
       bool_and(vt >= :'cap_t0'::timestamptz + interval '9 seconds') AS at_least_9s,
       bool_and(vt <= :'cap_t3'::timestamptz + interval '10 seconds') AS at_most_10s
  FROM :cap_t WHERE msg_id NOT IN (SELECT msg_id FROM rq_cap_nacked);
DROP TABLE rq_cap_nacked;
SELECT pgmq_c.drop_queue('rq_cap');

--
-- Clean up: rq_dlq can be dropped once no queue names it
--
SELECT pgmq_c.alter_queue('rq_src', dead_letter_queue => '');
SELECT pgmq_c.drop_queue('rq_dlq');
SELECT pgmq_c.drop_queue('rq_dlq2');
SELECT pgmq_c.drop_queue('rq_src');
SELECT pgmq_c.drop_queue('rq_arch');
SELECT pgmq_c.drop_topic('rq_topic');
SELECT count(*) AS leftover FROM pgmq_c.list_queues() WHERE queue_name LIKE 'rq\_%';
