import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { register } from '@meridian/discovery';
import { startService, type RunningService } from '@meridian/service';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { startStandIns } from '../../shared/test/standIns.ts';
import { backofficeService } from '../server/service.ts';

const ns = uniqueName('bo');
const { etcdEndpoints } = infra();
const distDir = mkdtempSync(join(tmpdir(), 'meridian-backoffice-dist-'));
writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>back office</title>');
let standIns: Awaited<ReturnType<typeof startStandIns>>;
let backoffice: RunningService;

before(async () => {
  standIns = await startStandIns({ ns, etcdEndpoints });
  backoffice = await startService(backofficeService({ distDir }), { MERIDIAN_NAMESPACE: ns, PORT: '0', LOG_LEVEL: 'warn' });
});

after(async () => {
  await backoffice?.stop();
  await standIns?.stop();
  rmSync(distDir, { recursive: true, force: true });
});

const config = (bearer?: string) =>
  fetch(new URL('/app-api/config', backoffice.url), { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

test('/app-api/config names a ready ops-console instance from discovery, for staff only', async () => {
  const staff = await standIns.issuer.issue({ sub: randomUUID(), email: 'staff@example.com', role: 'staff' });
  const customer = await standIns.issuer.issue({ sub: randomUUID(), email: 'shopper@example.com', role: 'customer' });
  assert.equal((await config()).status, 401);
  assert.equal((await config(customer)).status, 403);
  assert.deepEqual(await (await config(staff)).json(), { opsConsoleUrl: null, zipkinUrl: null });

  const url = 'http://127.0.0.1:3999';
  const registration = await register({
    endpoints: etcdEndpoints,
    ns,
    instance: { service: 'ops-console', version: 'test', instanceId: randomUUID(), url, apiVersions: ['v1'], health: 'ready', startedAt: new Date().toISOString() },
  });
  try {
    await waitFor(async () => (await (await config(staff)).json()).opsConsoleUrl === url, { timeoutMs: 10_000, message: 'the ops console in the config' });
  } finally {
    await registration.deregister();
  }
  await waitFor(async () => (await (await config(staff)).json()).opsConsoleUrl === null, { timeoutMs: 10_000, message: 'the ops console gone' });
});
