import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveStaticFile } from '../server/static.ts';

const root = mkdtempSync(join(tmpdir(), 'meridian-static-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html>');
writeFileSync(join(root, 'assets', 'app.js'), '');
after(() => rmSync(root, { recursive: true, force: true }));

test('files under the root resolve, with or without a query string', async () => {
  assert.equal(await resolveStaticFile(root, '/assets/app.js?v=1'), join(root, 'assets', 'app.js'));
  assert.equal(await resolveStaticFile(root, '/index.html'), join(root, 'index.html'));
});

test('directories, missing files and paths escaping the root do not resolve', async () => {
  assert.equal(await resolveStaticFile(root, '/assets'), undefined);
  assert.equal(await resolveStaticFile(root, '/orders/123'), undefined);
  assert.equal(await resolveStaticFile(root, '/../../etc/passwd'), undefined);
  assert.equal(await resolveStaticFile(root, '/%2e%2e/%2e%2e/etc/passwd'), undefined);
  assert.equal(await resolveStaticFile(root, '/%E0%A4%A'), undefined);
});
