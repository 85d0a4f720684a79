/**
 * Kafka: the broker's own perf tools (ceiling) vs a bare @platformatic/kafka loop vs the platform's
 * outbox -> relay -> Kafka -> idempotent consumer path, for throughput (a burst of N events) and for
 * publish-to-handler latency at a fixed open-loop rate.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Consumer, ProduceAcks, Producer, stringSerializers, type Message } from '@platformatic/kafka';
import { eventSchemas } from '@meridian/contracts';
import { createConsumer, createEnvelope, createOutbox, createOutboxRelay, physicalTopic } from '@meridian/messaging';
import { benchKafka, brokerList } from './lib/infra.ts';
import { benchOrderPlaced, createBenchDb, createTopics, deleteNamespaceTopics, openLoop, quietLogger, sampleOrderPlaced, until, type BenchDb } from './lib/messaging.ts';
import { machine, ownCpuSeconds, runCommand } from './lib/proc.ts';
import { type BenchResult, type Row, withTargets } from './lib/report.ts';
import { perSecond, ratio, summarize } from './lib/stats.ts';
import type { BenchOptions } from './options.ts';

const kafkaClasspath = '.cache/kafka/4.1.1/libs/*';
const batchSize = 100; // the relay's default batch, used by the bare loop too

/** The same envelope bytes and headers the outbox writes for an `OrderPlaced` v2. */
function sampleMessage(topic: string, sentAt?: number) {
  const data = sampleOrderPlaced();
  const envelope = createEnvelope({ type: 'OrderPlaced', version: 2, source: 'bench', key: data.orderId, data });
  const headers = { 'event-id': envelope.id, 'event-type': 'OrderPlaced', 'event-version': '2', ...(sentAt === undefined ? {} : { 'sent-at': String(sentAt) }) };
  return { topic, key: data.orderId, value: JSON.stringify(envelope), headers };
}

export async function runKafkaBench({ quick, log }: BenchOptions): Promise<BenchResult> {
  const before = machine();
  const settings = {
    records: quick ? 10_000 : 50_000,
    latencyRatePerSecond: quick ? 100 : 200,
    latencySeconds: quick ? 5 : 15,
    partitions: 3,
    batchSize,
    acks: 'all, idempotent producer (relay and bare loop alike)',
  };
  const ns = `bench_${randomBytes(4).toString('hex')}`;
  const recordSize = Buffer.byteLength(sampleMessage('x').value);
  const topic = (name: string) => physicalTopic(ns, name);
  let db: BenchDb | undefined;
  try {
    await createTopics(ns, ['ceiling', 'bare', 'outbox', 'bare-latency', 'outbox-latency']);
    db = await createBenchDb();

    const rows: Row[] = [];
    rows.push(...(await brokerCeiling(topic('ceiling'), settings.records, recordSize, log)));
    const bare = await bareThroughput(topic('bare'), settings.records, log);
    const platform = await outboxThroughput(db, ns, 'outbox', settings.records, log);
    rows.push(bare.produce, bare.consume, platform.publish, platform.consumePerMessage, platform.consume);

    const bareLatency = await bareLatencyRun(topic('bare-latency'), settings.latencyRatePerSecond, settings.latencySeconds, log);
    const platformLatency = await outboxLatencyRun(db, ns, 'outbox-latency', settings.latencyRatePerSecond, settings.latencySeconds, log);
    rows.push(bareLatency, platformLatency);

    return {
      name: 'kafka',
      description: 'broker perf tools vs bare client loop vs outbox -> relay -> consumer',
      quick,
      machine: { before, after: machine() },
      settings: { ...settings, recordSizeBytes: recordSize, namespace: ns },
      rows,
      targets: withTargets([
        { name: 'outbox relay publish / bare client produce (msg/s)', value: ratio(platform.publish.throughput, bare.produce.throughput), atLeast: 0.5 },
        { name: 'bare client produce / kafka-producer-perf-test (msg/s)', value: ratio(bare.produce.throughput, rows[0].throughput) },
        { name: 'chassis consumer / bare consumer (msg/s)', value: ratio(platform.consume.throughput, bare.consume.throughput) },
        { name: 'chassis consumer batched / tx per message (msg/s)', value: ratio(platform.consume.throughput, platform.consumePerMessage.throughput) },
        { name: 'outbox publish-to-handler p99 (ms)', value: platformLatency.p99Ms ?? null },
      ]),
      notes: [
        `every message is the ${recordSize}-byte JSON envelope of an OrderPlaced v2 with the outbox's headers; 3 partitions`,
        'bare produce: sequential awaited send() of 100-message batches, exactly how the relay sends; relay: pre-filled outbox, timed from start until every row is marked published',
        'chassis consumer: inbox insert + no-op handler, partitions in parallel, once with one PostgreSQL transaction per message (batchSize 1, the behaviour before batching) and once with the default batches (consecutive messages of a partition in one transaction); bare consumer: counts messages',
        'CPU s: the Node process (client side) plus, for the outbox rows, the PostgreSQL backends of the scratch database; the Java tools: their own CPU (bash times), JVM start included; the broker is not counted',
        'latency: from handing the event over (producer.send / the outbox transaction start) to the handler or consumer seeing it, at a fixed open-loop rate',
      ],
    };
  } finally {
    await db?.drop();
    await deleteNamespaceTopics(ns).catch((err: Error) => log(`topic cleanup failed: ${err.message}`));
  }
}

async function brokerCeiling(topic: string, records: number, recordSize: number, log: (line: string) => void): Promise<Row[]> {
  const [bootstrap] = brokerList();
  const produced = await runCommand(
    'java',
    ['-cp', kafkaClasspath, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(records), '--record-size', String(recordSize),
      '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'enable.idempotence=true'],
    { timeoutMs: 180_000 },
  );
  // "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P ms 50th, Q ms 95th, R ms 99th, S ms 99.9th."
  const summary = produced.stdout.trim().split('\n').at(-1) ?? '';
  const match = /records sent, ([\d.]+) records\/sec.*?([\d.]+) ms 50th, [\d.]+ ms 95th, ([\d.]+) ms 99th/.exec(summary);
  if (produced.code !== 0 || !match) throw new Error(`kafka-producer-perf-test failed: ${produced.stderr.slice(-500) || summary}`);
  log(`kafka-producer-perf-test: ${match[1]} msg/s`);
  const consumed = await runCommand(
    'java',
    ['-cp', kafkaClasspath, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(records),
      '--group', `${topic}.perf`, '--timeout', '60000'],
    { timeoutMs: 180_000 },
  );
  // header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const fields = consumed.stdout.trim().split('\n').at(-1)?.split(',').map((f) => f.trim()) ?? [];
  const fetchRate = Number(fields[9]);
  if (consumed.code !== 0 || !Number.isFinite(fetchRate)) throw new Error(`kafka-consumer-perf-test failed: ${consumed.stderr.slice(-500) || consumed.stdout}`);
  log(`kafka-consumer-perf-test: ${fetchRate} msg/s`);
  return [
    {
      variant: 'kafka-producer-perf-test',
      kind: 'ceiling',
      throughput: Number(match[1]),
      unit: 'msg/s',
      p50Ms: Number(match[2]),
      p99Ms: Number(match[3]),
      cpuSeconds: produced.cpuSeconds,
      perCpuSecond: records / produced.cpuSeconds,
      details: { summary, note: 'latency under a saturating burst (queueing), not comparable to the paced latency rows' },
    },
    {
      variant: 'kafka-consumer-perf-test',
      kind: 'ceiling',
      throughput: fetchRate,
      unit: 'msg/s',
      cpuSeconds: consumed.cpuSeconds,
      perCpuSecond: records / consumed.cpuSeconds,
      details: { csv: fields.join(','), note: 'fetch.nMsg.sec (excludes the group join)' },
    },
  ];
}

function newProducer(clientId: string) {
  return new Producer({ clientId, ...benchKafka(), serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL });
}

/** A plain consumer of `topic` from the earliest offset, calling `onMessage` for each message. */
async function bareConsumer(topic: string, onMessage: (message: Message<Buffer, Buffer, Buffer, Buffer>) => void) {
  const consumer = new Consumer({ clientId: `${topic}.bare`, groupId: `${topic}.bare`, ...benchKafka(), maxWaitTime: 1000 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
  stream.on('data', onMessage);
  return { close: async () => { await stream.close(); await consumer.close(); } };
}

async function bareThroughput(topic: string, records: number, log: (line: string) => void): Promise<{ produce: Row; consume: Row }> {
  const producer = newProducer(`${topic}.bare-producer`);
  await producer.send({ messages: [sampleMessage(topic)] }); // connect and fetch metadata before timing
  // built up front, as the relay reads ready-made envelopes from the outbox
  const batches: ReturnType<typeof sampleMessage>[][] = [];
  for (let sent = 1; sent < records; sent += batchSize) {
    batches.push(Array.from({ length: Math.min(batchSize, records - sent) }, () => sampleMessage(topic)));
  }
  const cpuBefore = ownCpuSeconds();
  const startedAt = performance.now();
  for (const messages of batches) await producer.send({ messages });
  const produceMs = performance.now() - startedAt;
  const produceCpu = ownCpuSeconds() - cpuBefore;
  await producer.close();
  log(`bare produce: ${Math.round(perSecond(records, produceMs))} msg/s`);

  let received = 0;
  let firstAt = 0;
  const consumeCpuBefore = ownCpuSeconds();
  const consumer = await bareConsumer(topic, () => {
    if (received++ === 0) firstAt = performance.now();
  });
  await until(() => received >= records, 120_000, 'the bare consumer');
  const consumeMs = performance.now() - firstAt;
  const consumeCpu = ownCpuSeconds() - consumeCpuBefore;
  await consumer.close();
  log(`bare consume: ${Math.round(perSecond(records, consumeMs))} msg/s`);
  return {
    produce: { variant: 'bare client produce loop', kind: 'baseline', throughput: perSecond(records, produceMs), unit: 'msg/s', cpuSeconds: produceCpu, perCpuSecond: records / produceCpu },
    consume: {
      variant: 'bare client consumer',
      kind: 'baseline',
      throughput: perSecond(records, consumeMs),
      unit: 'msg/s',
      cpuSeconds: consumeCpu,
      perCpuSecond: records / consumeCpu,
      details: { timedFrom: 'first message received (excludes the group join)' },
    },
  };
}

async function outboxThroughput(
  db: BenchDb,
  ns: string,
  logicalTopic: string,
  records: number,
  log: (line: string) => void,
): Promise<{ publish: Row; consumePerMessage: Row; consume: Row }> {
  const { sql } = db;
  const outbox = createOutbox({ source: 'bench', ns });
  // Pre-fill the outbox (the command side is measured by the outbox benchmark).
  for (let added = 0; added < records; added += batchSize) {
    await sql.begin(async (tx) => {
      for (let i = 0; i < Math.min(batchSize, records - added); i++) {
        const data = sampleOrderPlaced();
        await outbox.add(tx, benchOrderPlaced(logicalTopic), data.orderId, data);
      }
    });
  }
  const unpublished = async () => Number((await sql`select count(*)::int as n from outbox where published_at is null and topic = ${physicalTopic(ns, logicalTopic)}`)[0].n);

  const relay = createOutboxRelay({ sql, brokers: brokerList(), ns, logger: quietLogger, batchSize });
  const cpuBefore = ownCpuSeconds();
  const pgBefore = await db.backendCpuSeconds();
  const startedAt = performance.now();
  await relay.start();
  await until(async () => (await unpublished()) === 0, 300_000, 'the relay to publish the outbox', 50);
  const publishMs = performance.now() - startedAt;
  const publishCpu = ownCpuSeconds() - cpuBefore + (await db.backendCpuSeconds()) - pgBefore;
  log(`outbox relay publish: ${Math.round(perSecond(records, publishMs))} msg/s`);

  // The same published events, read by two groups: one transaction per message, then batches (the default).
  const perMessage = await consumerThroughput(db, ns, logicalTopic, records, 1, log);
  const batched = await consumerThroughput(db, ns, logicalTopic, records, undefined, log);
  await relay.stop();
  return {
    publish: {
      variant: 'outbox -> relay -> Kafka',
      kind: 'platform',
      throughput: perSecond(records, publishMs),
      unit: 'msg/s',
      cpuSeconds: publishCpu,
      perCpuSecond: records / publishCpu,
      details: { includes: 'relay start (producer connect) and the 50 ms completion poll' },
    },
    consumePerMessage: perMessage,
    consume: batched,
  };
}

/** A chassis consumer reading `records` events from the start of the topic; `batchSize` 1 = one transaction per message. */
async function consumerThroughput(db: BenchDb, ns: string, logicalTopic: string, records: number, consumerBatchSize: number | undefined, log: (line: string) => void): Promise<Row> {
  const { sql } = db;
  const label = consumerBatchSize === 1 ? 'tx per message' : 'batched tx';
  let handled = 0;
  let firstAt = 0;
  const consumer = createConsumer({
    sql,
    brokers: brokerList(),
    ns,
    groupId: `bench.${logicalTopic}.${consumerBatchSize ?? 'default'}`,
    topics: [logicalTopic],
    registry: eventSchemas,
    logger: quietLogger,
    lagIntervalMs: 60_000,
    batchSize: consumerBatchSize,
    handlers: {
      OrderPlaced: async () => {
        if (handled++ === 0) firstAt = performance.now();
      },
    },
  });
  const consumeCpuBefore = ownCpuSeconds();
  const consumePgBefore = await db.backendCpuSeconds();
  await consumer.start();
  await until(() => handled >= records, 600_000, 'the chassis consumer', 20);
  const consumeMs = performance.now() - firstAt;
  const consumeCpu = ownCpuSeconds() - consumeCpuBefore + (await db.backendCpuSeconds()) - consumePgBefore;
  await consumer.stop();
  log(`chassis consumer (${label}): ${Math.round(perSecond(records, consumeMs))} msg/s`);
  return {
    variant: `Kafka -> chassis consumer (inbox, ${label})`,
    kind: 'platform',
    throughput: perSecond(records, consumeMs),
    unit: 'msg/s',
    cpuSeconds: consumeCpu,
    perCpuSecond: records / consumeCpu,
    details: { timedFrom: 'first message handled (excludes the group join)', batchSize: consumerBatchSize ?? 'default (50)' },
  };
}

function latencyRow(variant: string, kind: Row['kind'], latencies: number[], sent: number, ms: number, cpuSeconds: number): Row {
  const summary = summarize(latencies);
  return {
    variant,
    kind,
    throughput: perSecond(latencies.length, ms),
    unit: 'msg/s',
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    cpuSeconds,
    perCpuSecond: latencies.length / cpuSeconds,
    details: { sent, received: latencies.length, maxMs: summary.max, p90Ms: summary.p90, meanMs: summary.mean },
  };
}

async function bareLatencyRun(topic: string, rate: number, seconds: number, log: (line: string) => void): Promise<Row> {
  const latencies: number[] = [];
  let warm = false;
  const consumer = await bareConsumer(topic, (message) => {
    const header = message.headerEntries.find(([name]) => name.toString() === 'sent-at');
    const at = Number(header?.[1].toString());
    if (!Number.isFinite(at)) return;
    if (at < 0) warm = true;
    else latencies.push(performance.now() - at);
  });
  const producer = newProducer(`${topic}.bare-producer`);
  try {
    // a warm-up message (sent-at -1) proves the consumer is assigned and fetching
    await until(async () => {
      await producer.send({ messages: [sampleMessage(topic, -1)] });
      return warm;
    }, 60_000, 'the bare consumer to join', 500);
    const cpuBefore = ownCpuSeconds();
    const startedAt = performance.now();
    const total = Math.round(rate * seconds);
    await openLoop(rate, seconds, () => producer.send({ messages: [sampleMessage(topic, performance.now())] }));
    await until(() => latencies.length >= total, 30_000, 'the bare consumer to receive every paced message', 10);
    const ms = performance.now() - startedAt;
    const row = latencyRow(`bare produce -> consume @${rate}/s`, 'baseline', latencies, total, ms, ownCpuSeconds() - cpuBefore);
    log(`bare latency p50 ${row.p50Ms?.toFixed(1)} ms p99 ${row.p99Ms?.toFixed(1)} ms`);
    return row;
  } finally {
    await producer.close();
    await consumer.close();
  }
}

async function outboxLatencyRun(db: BenchDb, ns: string, logicalTopic: string, rate: number, seconds: number, log: (line: string) => void): Promise<Row> {
  const { sql } = db;
  const outbox = createOutbox({ source: 'bench', ns });
  const handedOverAt = new Map<string, number>();
  const latencies: number[] = [];
  let warm = false;
  const relay = createOutboxRelay({ sql, brokers: brokerList(), ns, logger: quietLogger, batchSize });
  const consumer = createConsumer({
    sql,
    brokers: brokerList(),
    ns,
    groupId: `bench.${logicalTopic}`,
    topics: [logicalTopic],
    registry: eventSchemas,
    logger: quietLogger,
    lagIntervalMs: 60_000,
    handlers: {
      OrderPlaced: async (event) => {
        const at = handedOverAt.get(event.key);
        if (at === undefined) warm = true;
        else latencies.push(performance.now() - at);
      },
    },
  });
  const add = (orderId: string) => sql.begin((tx) => outbox.add(tx, benchOrderPlaced(logicalTopic), orderId, sampleOrderPlaced(orderId)));
  await relay.start();
  await consumer.start();
  try {
    await until(async () => {
      await add(randomUUID());
      return warm;
    }, 60_000, 'the chassis consumer to join', 500);
    const cpuBefore = ownCpuSeconds();
    const pgBefore = await db.backendCpuSeconds();
    const startedAt = performance.now();
    const total = Math.round(rate * seconds);
    await openLoop(rate, seconds, () => {
      const orderId = randomUUID();
      handedOverAt.set(orderId, performance.now());
      return add(orderId);
    });
    await until(() => latencies.length >= total, 60_000, 'the chassis consumer to handle every paced event', 10);
    const ms = performance.now() - startedAt;
    const cpu = ownCpuSeconds() - cpuBefore + (await db.backendCpuSeconds()) - pgBefore;
    const row = latencyRow(`outbox -> relay -> consumer @${rate}/s`, 'platform', latencies, total, ms, cpu);
    log(`outbox latency p50 ${row.p50Ms?.toFixed(1)} ms p99 ${row.p99Ms?.toFixed(1)} ms`);
    return row;
  } finally {
    await consumer.stop();
    await relay.stop();
  }
}
