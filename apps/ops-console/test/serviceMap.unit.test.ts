import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceInstance } from '@meridian/discovery';
import { buildServiceMap, createKafkaSampler, type KafkaSample } from '../server/serviceMap.ts';
import type { MapGroupNode, MapServiceNode, MapTopicNode } from '../types.ts';

const ns = 'map';
const instance = (service: string, overrides: Partial<ServiceInstance> = {}): ServiceInstance => ({
  service,
  version: '1.0.0',
  instanceId: `${service}-1`,
  url: `http://127.0.0.1:1/${service}`,
  apiVersions: ['v1'],
  health: 'ready',
  startedAt: '2026-12-04T00:00:00.000Z',
  messaging: { produces: ['platform.logs'], consumes: [] },
  ...overrides,
});
const instances = [
  instance('orders', { messaging: { produces: ['platform.logs'], consumes: [{ group: 'map.orders.saga', topics: ['payments.events'] }] } }),
  instance('payments', { messaging: { produces: ['platform.logs'], consumes: [{ group: 'map.payments.orders', topics: ['orders.events'] }] } }),
  instance('payments', { instanceId: 'payments-2', health: 'starting', version: '1.1.0' }),
  instance('logging', { messaging: { produces: [], consumes: [{ group: 'map.logging.indexer', topics: ['platform.logs'] }] } }),
];
const declarations = [
  { name: 'orders.events', owner: 'orders' },
  { name: 'payments.events', owner: 'payments' },
  { name: 'catalog.products', owner: 'catalog' },
  { name: 'platform.logs', owner: 'logging' },
];
const group = (groupId: string, topic: string, committed: number, end: number) => ({
  groupId,
  state: 'Stable',
  members: 1,
  topics: [{ topic, lag: end - committed, partitions: [{ partition: 0, committed, end, lag: end - committed }] }],
  totalLag: end - committed,
});
const sample = (at: number, orders: number, paymentsCommitted: number): KafkaSample => ({
  at,
  topics: [
    { name: 'map.orders.events', partitions: 3, messages: orders, endOffset: orders, deadLetter: false },
    { name: 'map.orders.events.dlq', partitions: 3, messages: 2, endOffset: 2, deadLetter: true },
    { name: 'map.payments.events', partitions: 3, messages: 10, endOffset: 10, deadLetter: false },
  ],
  groups: [group('map.payments.orders', 'map.orders.events', paymentsCommitted, orders)],
});

test('the map joins declared writers, announced consumer groups and the services they belong to', () => {
  const map = buildServiceMap({ ns, instances, declarations, logsTopic: 'platform.logs' });
  const edge = (from: string, to: string) => map.edges.find((e) => e.from === from && e.to === to);
  assert.ok(edge('service:orders', 'topic:orders.events'), 'the owner writes its topic');
  assert.ok(edge('topic:orders.events', 'group:map.payments.orders'), 'the topic feeds the group reading it');
  assert.ok(edge('group:map.payments.orders', 'service:payments'), 'the group belongs to its service');
  assert.ok(edge('service:payments', 'topic:platform.logs') && edge('service:orders', 'topic:platform.logs'), 'every shipping instance writes the log topic');
  assert.equal(edge('service:logging', 'topic:platform.logs'), undefined, 'declaring the log topic is not writing it');

  const catalog = map.nodes.find((n) => n.id === 'service:catalog') as MapServiceNode;
  assert.deepEqual([catalog.ready, catalog.instances], [0, 0], 'a declared owner that is not running is on the map, down');
  const payments = map.nodes.find((n) => n.id === 'service:payments') as MapServiceNode;
  assert.deepEqual([payments.ready, payments.instances, payments.versions], [1, 2, ['1.0.0', '1.1.0']]);
  assert.equal((map.nodes.find((n) => n.id === 'topic:platform.logs') as MapTopicNode).platform, true);
  assert.equal(map.rateWindowSeconds, null);
  assert.ok(map.edges.every((e) => e.perSecond === null), 'no rate without two samples');
});

test('rates and lag come from two Kafka samples', () => {
  const map = buildServiceMap({
    ns,
    instances,
    declarations,
    logsTopic: 'platform.logs',
    previous: sample(10_000, 100, 90),
    current: sample(12_000, 140, 136),
  });
  assert.equal(map.rateWindowSeconds, 2);
  const orders = map.nodes.find((n) => n.id === 'topic:orders.events') as MapTopicNode;
  assert.equal(orders.perSecond, 20);
  assert.equal(orders.deadLetters, 2);
  assert.equal(map.edges.find((e) => e.from === 'service:orders' && e.to === 'topic:orders.events')?.perSecond, 20);
  const delivers = map.edges.find((e) => e.from === 'topic:orders.events' && e.to === 'group:map.payments.orders');
  assert.deepEqual([delivers?.perSecond, delivers?.lag], [23, 4]);
  const groupNode = map.nodes.find((n) => n.id === 'group:map.payments.orders') as MapGroupNode;
  assert.deepEqual([groupNode.state, groupNode.lag], ['Stable', 4]);
  const writers = map.edges.filter((e) => e.to === 'topic:platform.logs');
  assert.ok(writers.length > 1 && writers.every((e) => e.perSecond === null), 'several writers of one topic get no per-writer rate');
});

test('the sampler shares a fresh sample and forgets one too old to rate against', async () => {
  let reads = 0;
  const sampler = createKafkaSampler(async () => ({ topics: [], groups: [{ ...group('g', 't', reads, reads), groupId: `g${++reads}` }] }), { minAgeMs: 50, maxWindowMs: 200 });
  const first = await sampler.sample();
  assert.equal(first.previous, undefined);
  const [a, b] = await Promise.all([sampler.sample(), sampler.sample()]);
  assert.equal(reads, 1, 'polls within minAgeMs share one read');
  assert.equal(a.current, b.current);
  await new Promise((resolve) => setTimeout(resolve, 60));
  const second = await sampler.sample();
  assert.equal(reads, 2);
  assert.equal(second.previous, first.current);
  await new Promise((resolve) => setTimeout(resolve, 250));
  const third = await sampler.sample();
  assert.equal(third.previous, undefined, 'a previous sample older than maxWindowMs is not rated against');
});
