import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { affectedBy, buildGraph, type Graph } from '../affected.ts';

let root: string;
let graph: Graph;

function write(path: string, content: unknown): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
}

const pact = (consumer: string, provider: string) => ({ consumer: { name: consumer }, provider: { name: provider }, interactions: [] });

before(() => {
  root = mkdtempSync(join(tmpdir(), 'affected-'));
  write('packages/a/package.json', { name: '@meridian/a' });
  write('packages/a/src/index.ts', "export const a = 1;\n");
  write('packages/b/package.json', { name: '@meridian/b', dependencies: { '@meridian/a': '*' } });
  write('packages/b/src/index.ts', "export const b = 2;\n");
  write('packages/c/package.json', { name: '@meridian/c' });
  write('packages/c/src/index.ts', "export const c = 3;\n");
  write('contracts/package.json', { name: '@meridian/contracts' });
  write('contracts/events/orders.ts', 'export const OrderPlaced = {};\n');
  write('contracts/pact/consumers/x.contract.test.ts', "import '../../../services/orders/src/main.ts';\n");
  // orders declares @meridian/b (which uses @meridian/a) in package.json
  write('services/orders/package.json', { name: '@meridian/orders', dependencies: { '@meridian/b': '*' } });
  write('services/orders/src/main.ts', "import { b } from '@meridian/b';\n");
  // payments only imports @meridian/c, and its tests start orders
  write('services/payments/package.json', { name: '@meridian/payments' });
  write('services/payments/src/main.ts', "import { c } from '@meridian/c/sub';\nimport type { X } from '@meridian/contracts';\n");
  write('services/payments/test/saga.int.test.ts', "import { ordersService } from '../../orders/src/main.ts';\n");
  write('services/gateway/package.json', { name: '@meridian/gateway' });
  write('services/gateway/src/main.ts', 'export {};\n');
  write('apps/shared/web/api.ts', 'export {};\n');
  write('apps/shop/server/main.ts', "import '../../shared/web/api.ts';\n");
  write('contracts/pacts/shop-orders.json', pact('shop', 'orders'));
  write('contracts/pacts/payments-orders.json', pact('payments', 'orders'));
  graph = buildGraph(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

const affected = (...files: string[]) => [...affectedBy(files, graph).reasons.keys()].sort();

test("a service's own file affects that service, and services whose tests import it", () => {
  assert.deepEqual(affected('services/gateway/src/main.ts'), ['gateway']);
  assert.deepEqual(affected('services/orders/src/main.ts'), ['orders', 'payments']);
  assert.deepEqual(affected('services/payments/src/main.ts'), ['payments']);
});

test('a chassis package affects the services that use it, through package.json and imports, transitively', () => {
  assert.deepEqual(affected('packages/a/src/index.ts'), ['orders', 'payments']);
  assert.deepEqual(affected('packages/c/src/index.ts'), ['payments']);
});

test('apps with a server are deployables; their shared library affects them', () => {
  assert.deepEqual(affected('apps/shared/web/api.ts'), ['shop']);
});

test('a pact file affects its two parties; a producer’s event schemas affect it and its pact consumers', () => {
  assert.deepEqual(affected('contracts/pacts/shop-orders.json'), ['orders', 'shop']);
  assert.deepEqual(affected('contracts/events/orders.ts'), ['orders', 'payments', 'shop']);
  assert.deepEqual(affected('contracts/pact/consumers/x.contract.test.ts'), ['orders', 'payments', 'shop']);
});

test('toolchain files affect everything; docs and matrix records affect nothing', () => {
  assert.deepEqual(affected('package-lock.json'), ['gateway', 'orders', 'payments', 'shop']);
  assert.deepEqual(affected('docs/design.md', 'README.md', 'contracts/verifications/orders.json'), []);
});

test('the reasons name the changed file and the package it reached the service through', () => {
  assert.deepEqual(affectedBy(['packages/a/src/index.ts'], graph).reasons.get('orders'), ['packages/a/src/index.ts (via packages/a)']);
});
