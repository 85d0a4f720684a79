import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceInstance } from '@meridian/discovery';
import { parseShare } from '../../../scripts/traffic.ts';
import { clientBucket, versionFor, wantedVersion } from '../src/versions.ts';

const token = (sub: string) => `Bearer e30.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.sig`;
const instance = (version: string, health: ServiceInstance['health'] = 'ready') =>
  ({ service: 'orders', version, instanceId: `${version}-${health}`, url: 'http://127.0.0.1:1', apiVersions: ['v1'], health, startedAt: '' }) as ServiceInstance;

test('buckets split by share, in version order, whatever the shares add up to', () => {
  const available = new Set(['1.0.0', '2.0.0']);
  const split = { '2.0.0': 1, '1.0.0': 9 };
  const counts = { '1.0.0': 0, '2.0.0': 0 } as Record<string, number>;
  for (let bucket = 0; bucket < 100; bucket++) counts[versionFor(split, available, bucket)!]! += 1;
  assert.deepEqual(counts, { '1.0.0': 90, '2.0.0': 10 });
});

test('a version without a ready instance gives its share to the others; none available means any instance', () => {
  assert.equal(versionFor({ '1.0.0': 50, '2.0.0': 50 }, new Set(['1.0.0']), 99), '1.0.0');
  assert.equal(versionFor({ '2.0.0': 100 }, new Set(['1.0.0']), 0), undefined);
  assert.equal(versionFor({ '1.0.0': 0, '2.0.0': 0 }, new Set(['1.0.0', '2.0.0']), 0), undefined);
});

test("a customer's bucket follows the token's subject (not the token), else the client address", () => {
  assert.equal(clientBucket({ authorization: token('alice') }), clientBucket({ authorization: `${token('alice')}x` }));
  const buckets = new Set(Array.from({ length: 50 }, (_, i) => clientBucket({ authorization: token(`customer-${i}`) })));
  assert.ok(buckets.size > 25, 'subjects spread over the buckets');
  assert.equal(clientBucket({}, '10.0.0.1'), clientBucket({ 'x-forwarded-for': '10.0.0.1, 10.0.0.9' }, '127.0.0.1'));
  for (const bucket of buckets) assert.ok(bucket >= 0 && bucket < 100);
});

test('a pinned version wins; without a split nothing is chosen; only ready instances count', () => {
  const splits = new Map([['orders', { '1.0.0': 0, '2.0.0': 100 }]]);
  const instances = () => [instance('1.0.0'), instance('2.0.0', 'starting')];
  assert.equal(wantedVersion('orders', { 'x-meridian-version': '3.0.0' }, '', splits, instances), '3.0.0');
  assert.equal(wantedVersion('catalog', {}, '', splits, instances), undefined);
  assert.equal(wantedVersion('orders', {}, '', splits, instances), undefined, 'the 2.0.0 share has no ready instance');
  assert.equal(wantedVersion('orders', {}, '', splits, () => [instance('2.0.0')]), '2.0.0');
});

test('npm run traffic takes <version>=<share> and refuses anything else', () => {
  assert.deepEqual(parseShare('0.2.0=10'), ['0.2.0', 10]);
  assert.deepEqual(parseShare('1.0.0-rc.1=2.5'), ['1.0.0-rc.1', 2.5]);
  assert.throws(() => parseShare('0.2.0'), /is not <version>=<share>/);
  assert.throws(() => parseShare('0.2.0=-1'), /is not <version>=<share>/);
});
