import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketOf } from '@meridian/db';
import { infra, uniqueName, waitFor } from '@meridian/testkit';
import { readPasswords } from '../lib/credentials.ts';
import { freePort, portOpen } from '../lib/proc.ts';
import { startPlatform } from '../platform.ts';
import { dropNamespace } from '../provision.ts';

// Throwaway services, written outside the repo. Each writes what it saw to `<dir>/<name>.json`.
const report = `
import { writeFileSync } from 'node:fs';
const report = (extra) => writeFileSync(process.env.REPORT_DIR + '/' + process.env.SERVICE_NAME + '.json',
  JSON.stringify({ pid: process.pid, databaseUrl: process.env.DATABASE_URL, ns: process.env.MERIDIAN_NAMESPACE,
    databaseVariables: Object.keys(process.env).filter((key) => key === 'PG_ADMIN_URL' || key.endsWith('DATABASE_URL')), ...extra }));
`;
const gatewayMain = `${report}
import { createServer } from 'node:http';
const server = createServer((req, res) => { res.statusCode = req.url === '/healthz' ? 200 : 404; res.end(); });
server.listen(Number(process.env.GATEWAY_PORT), '127.0.0.1', () => report({ port: server.address().port }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
const workerMain = `${report}
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
const marker = process.env.REPORT_DIR + '/worker-crashed-once';
if (!existsSync(marker)) { writeFileSync(marker, ''); console.error('crashing on purpose'); process.exit(7); }
const server = createServer((req, res) => res.end()).listen(0, '127.0.0.1', () => report({ port: server.address().port }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function writeService(servicesDir: string, name: string, main: string): void {
  mkdirSync(join(servicesDir, name, 'src'), { recursive: true });
  writeFileSync(join(servicesDir, name, 'package.json'), '{ "type": "module" }');
  writeFileSync(join(servicesDir, name, 'src', 'main.ts'), main);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function fixture(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-platform-'));
  const ns = uniqueName('t');
  t.after(async () => {
    await dropNamespace(infra().pgAdminUrl, ns);
    rmSync(dir, { recursive: true, force: true });
  });
  const servicesDir = join(dir, 'services');
  const env = { ...process.env, MERIDIAN_DATA_DIR: join(dir, 'data'), REPORT_DIR: dir, MERIDIAN_SERVICES: '' };
  return { dir, ns, servicesDir, env };
}

test('starts services with their own databases, restarts a crashed one, and stops leaving no port open', async (t) => {
  const { dir, ns, servicesDir, env } = fixture(t);
  writeService(servicesDir, 'gateway', gatewayMain);
  writeService(servicesDir, 'worker', workerMain);
  mkdirSync(join(servicesDir, 'unbuilt'));
  writeFileSync(join(servicesDir, 'unbuilt', 'package.json'), '{}');
  const lines: string[] = [];
  const gatewayPort = await freePort();

  const platform = await startPlatform({ ns, gatewayPort, servicesDir, env, print: (line) => lines.push(line) });
  let stopped = false;
  t.after(() => (stopped ? undefined : platform.stop()));

  assert.deepEqual(platform.services, ['worker', 'gateway']);
  assert.equal((await fetch(`${platform.gatewayUrl}/healthz`)).status, 200);
  assert.ok(lines.some((line) => /skipping unbuilt: .*src\/main\.ts does not exist/.test(line)), 'warns about a service without main.ts');

  const worker = await waitFor(() => existsSync(join(dir, 'worker.json')) && JSON.parse(readFileSync(join(dir, 'worker.json'), 'utf8')),
    { timeoutMs: 15_000, message: 'the worker to come back after its crash' });
  assert.ok(lines.some((line) => /worker exited \(code 7\) — restarting in 1 s \(restart 1\/5\)/.test(line)));
  assert.ok(lines.some((line) => line.startsWith('[worker]') && line.includes('crashing on purpose')), 'prefixes service output');
  assert.equal(worker.ns, ns);
  const { worker: workerPassword, gateway: gatewayPassword } = readPasswords('postgres', ns, env);
  assert.ok(workerPassword && gatewayPassword && workerPassword !== gatewayPassword, 'each service has a password of its own');
  // Its own role and database; through the server's Unix socket (`?host=/dir`) when the server is local and has one.
  assert.equal(socketOf(worker.databaseUrl).url, `postgres://meridian_${ns}_worker:${workerPassword}@127.0.0.1:5432/meridian_${ns}_worker`);
  const gateway = JSON.parse(readFileSync(join(dir, 'gateway.json'), 'utf8'));
  // A service is handed its own database URL and no other credential: not the superuser's, not another service's.
  for (const seen of [worker, gateway]) assert.deepEqual(seen.databaseVariables, ['DATABASE_URL']);

  await platform.stop();
  stopped = true;
  assert.equal(await portOpen('127.0.0.1', gatewayPort), false, 'gateway port closed');
  assert.equal(await portOpen('127.0.0.1', worker.port), false, 'worker port closed');
  assert.equal(alive(gateway.pid) || alive(worker.pid), false, 'no service process left');
  assert.ok(readFileSync(join(platform.logDir, 'worker.log'), 'utf8').includes('crashing on purpose'), 'raw output kept in the log file');
});

test('a gateway that never gets healthy fails startup naming the services and their logs', async (t) => {
  const { ns, servicesDir, env } = fixture(t);
  writeService(servicesDir, 'gateway', 'setInterval(() => {}, 1000);'); // runs, never listens
  const gatewayPort = await freePort();

  await assert.rejects(
    startPlatform({ ns, gatewayPort, servicesDir, env, readyTimeoutMs: 1500, print: () => {} }),
    (error: Error) => {
      assert.match(error.message, /platform not ready after .*healthz is not 200/s);
      assert.match(error.message, /Not ready: gateway/);
      assert.match(error.message, /gateway\.log/);
      return true;
    },
  );
});

test('refuses to start when the gateway port is taken', async (t) => {
  const { ns, servicesDir, env } = fixture(t);
  writeService(servicesDir, 'gateway', gatewayMain);
  const squatter = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => squatter.once('listening', resolve));
  t.after(() => squatter.close());
  const { port } = squatter.address() as { port: number };
  await assert.rejects(startPlatform({ ns, gatewayPort: port, servicesDir, env, print: () => {} }),
    new RegExp(`gateway port ${port} is already in use`));
});
