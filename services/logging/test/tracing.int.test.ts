/**
 * One trace across the whole chain, on real Kafka, PostgreSQL and etcd, exported over OTLP/HTTP to a
 * receiver started here: client traceparent → gateway span → service HTTP span → outbox → relay's send
 * span → Kafka → consumer span → the handler's own outbox event → send span → Kafka → next consumer span.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { OrderConfirmed, StockReleased } from '@meridian/contracts';
import { createResolver, type Resolver } from '@meridian/discovery';
import { type EventEnvelope, on } from '@meridian/messaging';
import { startService, type ConsumerDef, type RunningService, type ServiceDefinition } from '@meridian/service';
import { initTelemetry, type Telemetry } from '@meridian/telemetry';
import { createTempDatabase, infra, uniqueName, type TempDatabase } from '@meridian/testkit';
import { buildGateway } from '../../gateway/src/gateway.ts';
import { deleteNamespaceTopics } from './support.ts';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  service: string;
}

/** A minimal OTLP/HTTP JSON trace receiver. */
function startOtlpReceiver(): Promise<{ server: Server; url: string; spans: ExportedSpan[] }> {
  const spans: ExportedSpan[] = [];
  // OTLP/JSON ids are hex; accept base64 too.
  const hex = (id: string | undefined) => (!id ? undefined : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue;
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              spans.push({ traceId: hex(span.traceId)!, spanId: hex(span.spanId)!, parentSpanId: hex(span.parentSpanId), name: span.name, kind: span.kind, service });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans })));
}

const ns = uniqueName('tracing');
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let telemetry: Telemetry;
let db: TempDatabase;
let migrationsDir: string;
let service: RunningService<any> | undefined;
let resolver: Resolver | undefined;
let gateway: FastifyInstance | undefined;
let gatewayUrl: string;
let released: (event: EventEnvelope) => void;
const lastHop = new Promise<EventEnvelope>((resolve) => (released = resolve));

/** Publishes OrderConfirmed from an HTTP route; its consumer publishes StockReleased; a second consumer receives that. */
function chainService(): ServiceDefinition {
  return {
    name: 'tracechain',
    version: '0.0.1',
    migrationsDir,
    produces: [OrderConfirmed, StockReleased],
    consumes: [OrderConfirmed, StockReleased],
    consumers: (ctx): ConsumerDef[] => [
      {
        name: 'confirmations',
        on: [
          on(OrderConfirmed, async (event, tx) => {
            await ctx.outbox.add(tx, StockReleased.v1, event.key, { orderId: event.data.orderId, reason: 'trace test', items: [] });
          }),
        ],
      },
      { name: 'releases', on: [on(StockReleased, async (event) => released(event))] },
    ],
    routes(app, ctx) {
      app.post('/api/v1/chain', { schema: { response: { 202: Type.Object({ orderId: Type.String() }) } } }, async (_request, reply) => {
        const orderId = randomUUID();
        const data = { orderId, customerId: randomUUID(), totalCents: 100, currency: 'EUR', confirmedAt: new Date().toISOString() };
        await ctx.sql.begin((tx) => ctx.outbox.add(tx, OrderConfirmed.v1, orderId, data));
        return reply.code(202).send({ orderId });
      });
    },
  };
}

before(async () => {
  receiver = await startOtlpReceiver();
  // First call wins for the whole process: the service and gateway below export through it.
  telemetry = initTelemetry({ service: 'tracing-test', version: 'test', otlpEndpoint: receiver.url });
  db = await createTempDatabase('tracing');
  migrationsDir = mkdtempSync(join(tmpdir(), 'tracechain-'));
  service = await startService(chainService(), {
    DATABASE_URL: db.url,
    MERIDIAN_NAMESPACE: ns,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'silent',
    LOG_SHIPPING: 'off',
  });
  resolver = createResolver({ endpoints: infra().etcdEndpoints, ns });
  await resolver.start();
  gateway = buildGateway({ resolver, expectedServices: [], routes: [{ prefix: '/api/v1/chain', service: 'tracechain' }] });
  gatewayUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await gateway?.close();
  await resolver?.stop();
  await service?.stop();
  await telemetry?.shutdown();
  receiver?.server.close();
  await db?.drop();
  rmSync(migrationsDir, { recursive: true, force: true });
  await deleteNamespaceTopics(ns);
});

test('a request and the events it causes share one trace, exported over OTLP with the right parents', async () => {
  const clientTraceId = randomUUID().replaceAll('-', '');
  const clientSpanId = randomUUID().replaceAll('-', '').slice(0, 16);
  let response: Response | undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    // The gateway sees the service once its discovery record says ready.
    response = await fetch(`${gatewayUrl}/api/v1/chain`, {
      method: 'POST',
      headers: { traceparent: `00-${clientTraceId}-${clientSpanId}-01` },
    });
    if (response.status !== 503) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(response!.status, 202);
  assert.equal(response!.headers.get('x-trace-id'), clientTraceId);

  let timer: NodeJS.Timeout | undefined;
  const event = await Promise.race([
    lastHop,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('StockReleased never arrived')), 30_000))),
  ]).finally(() => clearTimeout(timer));
  assert.match(event.traceparent ?? '', new RegExp(`^00-${clientTraceId}-`));

  // Stopping ends every span; shutting telemetry down exports them.
  await gateway!.close();
  gateway = undefined;
  await service!.stop();
  await telemetry.shutdown();

  const trace = receiver.spans.filter((span) => span.traceId === clientTraceId);
  const byName = (name: string) => {
    const found = trace.filter((span) => span.name === name);
    assert.equal(found.length, 1, `one span named ${name} in ${JSON.stringify(trace.map((s) => s.name))}`);
    return found[0];
  };
  const gatewaySpan = byName('POST tracechain');
  const httpSpan = byName('POST /api/v1/chain');
  const firstSend = byName(`send ${ns}.orders.events`);
  const firstHop = byName('process OrderConfirmed');
  const secondSend = byName(`send ${ns}.inventory.stock`);
  const secondHop = byName('process StockReleased');
  assert.equal(gatewaySpan.parentSpanId, clientSpanId);
  assert.equal(httpSpan.parentSpanId, gatewaySpan.spanId);
  // Across Kafka: the relay's producer span below the transaction that wrote the event, the consumer below it.
  assert.equal(firstSend.parentSpanId, httpSpan.spanId);
  assert.equal(firstSend.kind, 4, 'PRODUCER');
  assert.equal(firstHop.parentSpanId, firstSend.spanId);
  assert.equal(firstHop.kind, 5, 'CONSUMER');
  assert.equal(secondSend.parentSpanId, firstHop.spanId);
  assert.equal(secondHop.parentSpanId, secondSend.spanId);
  assert.equal(httpSpan.service, 'tracing-test');
});
