import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseName, listServices, overrideVariable } from '../provision.ts';

test('database and role names follow meridian_<ns>_<service>', () => {
  assert.equal(databaseName('dev', 'orders'), 'meridian_dev_orders');
  assert.equal(databaseName('test', 'order-history'), 'meridian_test_order_history');
  assert.throws(() => databaseName('Dev', 'orders'), /MERIDIAN_NAMESPACE/);
  assert.throws(() => databaseName('dev', 'orders"; drop'), /unusable/);
});

test('the override variable is <SERVICE>_DATABASE_URL', () => {
  assert.equal(overrideVariable('orders'), 'ORDERS_DATABASE_URL');
  assert.equal(overrideVariable('order-history'), 'ORDER_HISTORY_DATABASE_URL');
});

test('services are the folders with a package.json, narrowed by MERIDIAN_SERVICES', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-services-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['orders', 'catalog', 'notes']) mkdirSync(join(dir, name));
  writeFileSync(join(dir, 'orders', 'package.json'), '{}');
  writeFileSync(join(dir, 'catalog', 'package.json'), '{}');

  assert.deepEqual(listServices(dir, {}), ['catalog', 'orders']);
  assert.deepEqual(listServices(dir, { MERIDIAN_SERVICES: 'orders' }), ['orders']);
  assert.throws(() => listServices(dir, { MERIDIAN_SERVICES: 'orders,nope' }), /unknown services: nope/);
});
