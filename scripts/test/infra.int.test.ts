// Each server's "start it myself" path, on free ports with data in a temp dir, so the servers
// already running on the default ports are never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureEtcd, etcdAnswers } from '../infra/etcd.ts';
import { adminLogsIn, ensureKafka, kafkaAnswers } from '../infra/kafka.ts';
import { ensurePostgres, postgresAnswers } from '../infra/postgres.ts';
import { ensureRedis, redisAnswers } from '../infra/redis.ts';
import type { InfraServer } from '../infra/server.ts';
import { freePort, portOpen } from '../lib/proc.ts';
import { alterUserScramCredentialsV0, Connection, ScramMechanisms } from '@platformatic/kafka';
import { kafkaLoginEnv } from '@meridian/config';
import { waitFor } from '@meridian/testkit';
import { readAdminCredentials } from '../../infra/kafka/security.ts';

const cases: { name: string; address: (port: number) => string; answers: (address: string, dir: string) => Promise<boolean>;
  ensure: (address: string, dir: string) => Promise<InfraServer> }[] = [
  { name: 'redis', address: (port) => `redis://127.0.0.1:${port}`, answers: redisAnswers, ensure: (url, dir) => ensureRedis({ url, dir, log: () => {} }) },
  { name: 'etcd', address: (port) => `http://127.0.0.1:${port}`, answers: etcdAnswers, ensure: (endpoint, dir) => ensureEtcd({ endpoint, dir, log: () => {} }) },
  { name: 'postgres', address: (port) => `postgres://postgres@127.0.0.1:${port}/postgres`, answers: postgresAnswers, ensure: (url, dir) => ensurePostgres({ url, dir, log: () => {} }) },
  { name: 'kafka', address: (port) => `127.0.0.1:${port}`, answers: (broker, dir) => kafkaAnswers(broker, readAdminCredentials(dir)),
    ensure: (broker, dir) => ensureKafka({ broker, dir, log: () => {} }) },
];

for (const { name, address, answers, ensure } of cases) {
  test(`${name}: starts when nothing answers, is reused when running, and stop() frees its port`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), `meridian-${name}-`));
    chmodSync(root, 0o755); // PostgreSQL runs as the postgres user when we are root
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const port = await freePort({ pair: true });
    const at = address(port);

    const server = await ensure(at, join(root, name));
    t.after(() => server.stop());
    assert.equal(server.started, true);
    assert.equal(server.address, at);
    assert.equal(await answers(at, join(root, name)), true);
    if (name === 'kafka') {
      assert.equal(await kafkaAnswers(at), false, 'an anonymous client is refused');
      assert.deepEqual(server.env, kafkaLoginEnv(readAdminCredentials(join(root, name))!), 'its clients get the admin login kept with its data');
    }

    const again = await ensure(at, join(root, name));
    assert.equal(again.started, false, 'a running server is reused');
    await again.stop(); // a no-op for a reused server
    assert.equal(await answers(at, join(root, name)), true);

    await server.stop();
    assert.equal(await portOpen('127.0.0.1', port), false, `${name} port closed after stop()`);
  });
}

test('kafka: a refused SCRAM admin login is repaired through the admin\'s PLAIN login, which no other user has', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'meridian-kafka-repair-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const broker = `127.0.0.1:${await freePort({ pair: true })}`;
  const dir = join(root, 'kafka');
  const server = await ensureKafka({ broker, dir, log: () => {} });
  t.after(() => server.stop());
  const admin = readAdminCredentials(dir)!;
  assert.equal(await kafkaAnswers(broker, { ...admin, mechanism: 'PLAIN' }), true, 'the admin logs in with PLAIN too');
  assert.equal(await kafkaAnswers(broker, { username: 'intruder', password: admin.password, mechanism: 'PLAIN' }), false, 'PLAIN takes only the admin');

  // The state a restarted broker sometimes comes up in: no SCRAM credential for the admin.
  const [host, port] = broker.split(':');
  const conn = new Connection('infra-test', { sasl: { mechanism: 'PLAIN', username: admin.username, password: admin.password } });
  await conn.connect(host!, Number(port));
  const removed = await alterUserScramCredentialsV0.api.async(conn, [{ name: admin.username, mechanism: ScramMechanisms.SCRAM_SHA_512 }], []);
  await conn.close();
  assert.equal(removed.results[0]?.errorCode, 0);
  // The broker applies a credential change a moment after it is written.
  await waitFor(async () => !(await kafkaAnswers(broker, admin)), { timeoutMs: 5000, message: 'the SCRAM login to be refused once its credential was removed' });

  const lines: string[] = [];
  assert.equal(await adminLogsIn(broker, admin, (line) => lines.push(line)), true);
  assert.match(lines.join('\n'), /refused the admin's SCRAM login but took its PLAIN one/);
  assert.equal(await kafkaAnswers(broker, admin), true, 'the SCRAM login works again');
});
