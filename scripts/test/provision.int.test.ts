import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { createEtcdClient } from '@meridian/discovery';
import postgres from 'postgres';
import { createDb, unixSocketDir } from '@meridian/db';
import { infra, uniqueName } from '@meridian/testkit';
import { ensurePostgres } from '../infra/postgres.ts';
import { readPasswords, secretsDir } from '../lib/credentials.ts';
import { freePort } from '../lib/proc.ts';
import { dropNamespace, provision, wipeNamespace } from '../provision.ts';
import { kafkaAnswers } from '../infra/kafka.ts';
import { provisionKafkaUsers } from '../lib/kafkaUsers.ts';
import { kafkaConnection } from '@meridian/config';

const { pgAdminUrl } = infra();

/** An env whose data directory (where generated passwords are kept) is a temp dir of this test. */
function dataEnv(t: TestContext): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-provision-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { MERIDIAN_DATA_DIR: dir };
}

async function connectAndQuery(url: string): Promise<string> {
  const sql = createDb(url, { max: 1, connectTimeoutSeconds: 5 });
  try {
    const [row] = await sql`select current_user as name`;
    return row.name;
  } finally {
    await sql.end();
  }
}

test('a service can open its own database but not another service\'s', async (t) => {
  const ns = uniqueName('t');
  t.after(() => dropNamespace(pgAdminUrl, ns));
  const urls = await provision({ adminUrl: pgAdminUrl, ns, services: ['alpha', 'beta'], env: dataEnv(t) });

  assert.equal(await connectAndQuery(urls.alpha), `meridian_${ns}_alpha`);
  assert.equal(await connectAndQuery(urls.beta), `meridian_${ns}_beta`);
  // A server on this machine with a Unix socket that takes the roles' logins is reached through it.
  const admin = createDb(pgAdminUrl, { max: 1 });
  const socketDir = await unixSocketDir(admin);
  await admin.end();
  if (socketDir && ['127.0.0.1', 'localhost'].includes(new URL(pgAdminUrl).hostname)) {
    assert.equal(new URL(urls.alpha).searchParams.get('host'), socketDir);
  }

  const alphaIntoBeta = new URL(urls.alpha);
  alphaIntoBeta.pathname = `/meridian_${ns}_beta`;
  await assert.rejects(connectAndQuery(alphaIntoBeta.toString()), (error: { code?: string; message: string }) => {
    assert.equal(error.code, '42501'); // insufficient_privilege
    assert.match(error.message, /permission denied for database/);
    return true;
  });
});

test('a service role owns its database and can create tables in schema public', async (t) => {
  const ns = uniqueName('t');
  t.after(() => dropNamespace(pgAdminUrl, ns));
  const { alpha } = await provision({ adminUrl: pgAdminUrl, ns, services: ['alpha'], env: dataEnv(t) });
  const sql = createDb(alpha, { max: 1 });
  try {
    await sql`create table things (id int primary key)`;
    await sql`insert into things values (1)`;
    assert.deepEqual([...await sql`select id from things`], [{ id: 1 }]);
  } finally {
    await sql.end();
  }
});

test('provisioning is idempotent, also when two runs race', async (t) => {
  const ns = uniqueName('t');
  t.after(() => dropNamespace(pgAdminUrl, ns));
  const options = { adminUrl: pgAdminUrl, ns, services: ['alpha', 'beta'], env: dataEnv(t) };
  const [first, second] = await Promise.all([provision(options), provision(options)]);
  assert.deepEqual(first, second);
  assert.deepEqual(await provision(options), first);
  assert.equal(await connectAndQuery(first.beta), `meridian_${ns}_beta`);
});

test('on a server that checks passwords, each role has its own: it logs in with it and with no other', async (t) => {
  // The machine's PostgreSQL trusts local connections, so this runs a cluster of its own with scram-sha-256.
  const root = mkdtempSync(join(tmpdir(), 'meridian-pg-scram-'));
  chmodSync(root, 0o755); // PostgreSQL runs as the postgres user when we are root
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const adminUrl = `postgres://postgres:${randomBytes(12).toString('hex')}@127.0.0.1:${await freePort()}/postgres`;
  const server = await ensurePostgres({ url: adminUrl, dir: join(root, 'postgres'), auth: 'password', log: () => {} });
  t.after(() => server.stop());
  assert.equal(server.started, true);
  const env = dataEnv(t);
  const ns = uniqueName('t');
  const services = ['alpha', 'beta', 'gamma'];
  const urls = await provision({ adminUrl, ns, services, env });

  const passwords = readPasswords('postgres', ns, env);
  assert.deepEqual(Object.keys(passwords).sort(), services);
  assert.equal(new Set(Object.values(passwords)).size, services.length, 'no two roles share a password');
  for (const service of services) {
    assert.equal(new URL(urls[service]!).password, passwords[service], `${service} is handed its own password`);
    assert.equal(await connectAndQuery(urls[service]!), `meridian_${ns}_${service}`);
  }
  const file = join(secretsDir(ns, env), 'postgres.json');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the kept passwords are readable by their owner only');
  assert.equal(statSync(secretsDir(ns, env)).mode & 0o777, 0o700);

  const refused = (error: { code?: string }) => {
    assert.equal(error.code, '28P01'); // invalid_password
    return true;
  };
  const alphaWithBetasPassword = new URL(urls.alpha!);
  alphaWithBetasPassword.password = passwords.beta!;
  await assert.rejects(connectAndQuery(alphaWithBetasPassword.toString()), refused);
  const betaWithAlphasPassword = new URL(urls.beta!);
  betaWithAlphasPassword.password = passwords.alpha!;
  await assert.rejects(connectAndQuery(betaWithAlphasPassword.toString()), refused);

  // A second start hands out the same passwords, and they still work.
  assert.deepEqual(await provision({ adminUrl, ns, services, env }), urls);
  assert.equal(await connectAndQuery(urls.gamma!), `meridian_${ns}_gamma`);

  // Dropping the namespace forgets its passwords with its roles.
  await dropNamespace(adminUrl, ns, env);
  assert.deepEqual(readPasswords('postgres', ns, env), {});
});

test('<SERVICE>_DATABASE_URL overrides that service and provisions nothing for it', async (t) => {
  const ns = uniqueName('t');
  t.after(() => dropNamespace(pgAdminUrl, ns));
  const urls = await provision({ adminUrl: pgAdminUrl, ns, services: ['alpha', 'beta'], env: { ...dataEnv(t), BETA_DATABASE_URL: 'postgres://custom/db' } });
  assert.equal(urls.beta, 'postgres://custom/db');
  assert.deepEqual((await dropNamespace(pgAdminUrl, ns)).sort(), [`meridian_${ns}_alpha`]);
});

test("wiping a namespace removes its databases, topics, Redis keys and etcd keys, and nothing of another namespace's", async (t) => {
  const { kafkaBrokers, kafka, redisUrl, etcdEndpoints } = infra();
  const [ns, other] = [uniqueName('wipe'), uniqueName('keep')];
  const redis = new Redis(redisUrl);
  const admin = new Admin({ clientId: uniqueName('wipe_test'), ...kafkaConnection(kafkaBrokers) });
  const etcd = createEtcdClient({ endpoints: etcdEndpoints });
  const etcdCount = async (prefix: string) => (await etcd.rangePrefix(prefix)).kvs.length;
  t.after(async () => {
    await wipeNamespace({ adminUrl: pgAdminUrl, kafka, redisUrl, etcdEndpoints: etcdEndpoints.join(',') }, other);
    redis.disconnect();
    await admin.close();
  });

  const logins: Record<string, { username: string; password: string }> = {};
  for (const name of [ns, other]) {
    await provision({ adminUrl: pgAdminUrl, ns: name, services: ['alpha'], env: dataEnv(t) });
    const users = await provisionKafkaUsers({
      connection: kafka, ns: name, env: dataEnv(t), logsTopic: 'platform.logs', businessTopics: ['orders.events'],
      needs: [{ name: 'alpha', produces: ['orders.events'], consumes: [], shipsLogs: true }],
    });
    logins[name] = users.alpha!;
    await admin.createTopics({ topics: [`${name}.orders.events`, `${name}.orders.events.dlq`], partitions: 1, replicas: 1 });
    await redis.set(`${name}:catalog:product:1`, 'cached');
    await etcd.put(`/meridian/${name}/services/alpha/1`, 'x');
  }

  const summary = await wipeNamespace({ adminUrl: pgAdminUrl, kafka, redisUrl, etcdEndpoints: etcdEndpoints.join(',') }, ns);
  assert.match(summary, /1 database\(s\)\/role\(s\), 2 topic\(s\), \d+ consumer group\(s\), 1 Kafka user\(s\), 1 Redis key\(s\), 1 etcd key\(s\)/);

  const sql = postgres(pgAdminUrl, { max: 1 });
  try {
    const databases = (await sql`select datname from pg_database where datname like 'meridian\\_%'`).map((row) => row.datname as string);
    assert.ok(!databases.some((name) => name.startsWith(`meridian_${ns}_`)), 'the namespace has no database left');
    assert.ok(databases.includes(`meridian_${other}_alpha`), 'the other namespace keeps its database');
  } finally {
    await sql.end();
  }
  const topics = await admin.listTopics();
  assert.deepEqual(topics.filter((topic) => topic.startsWith(`${ns}.`)), []);
  assert.equal(topics.filter((topic) => topic.startsWith(`${other}.`)).length, 2);
  assert.equal(await redis.exists(`${ns}:catalog:product:1`), 0);
  assert.equal(await redis.exists(`${other}:catalog:product:1`), 1);
  assert.equal(await etcdCount(`/meridian/${ns}/`), 0);
  assert.equal(await etcdCount(`/meridian/${other}/`), 1);
  assert.equal(await kafkaAnswers(kafkaBrokers[0]!, logins[ns]), false, "the wiped namespace's Kafka user can no longer log in");
  assert.equal(await kafkaAnswers(kafkaBrokers[0]!, logins[other]), true, "the other namespace's Kafka user still can");

  // Only the parts named are touched.
  await redis.set(`${ns}:left`, 'x');
  assert.equal(await wipeNamespace({ etcdEndpoints: etcdEndpoints.join(',') }, ns), '0 etcd key(s)');
  assert.equal(await redis.exists(`${ns}:left`), 1);
  await redis.del(`${ns}:left`);
});
