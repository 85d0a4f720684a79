import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { createEtcdClient } from '@meridian/discovery';
import postgres from 'postgres';
import { infra, uniqueName } from '@meridian/testkit';
import { dropNamespace, provision, wipeNamespace } from '../provision.ts';

const { pgAdminUrl } = infra();

async function connectAndQuery(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, connect_timeout: 5 });
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
  const urls = await provision({ adminUrl: pgAdminUrl, ns, services: ['alpha', 'beta'], env: {} });

  assert.equal(await connectAndQuery(urls.alpha), `meridian_${ns}_alpha`);
  assert.equal(await connectAndQuery(urls.beta), `meridian_${ns}_beta`);

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
  const { alpha } = await provision({ adminUrl: pgAdminUrl, ns, services: ['alpha'], env: {} });
  const sql = postgres(alpha, { max: 1 });
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
  const options = { adminUrl: pgAdminUrl, ns, services: ['alpha', 'beta'], env: {} };
  const [first, second] = await Promise.all([provision(options), provision(options)]);
  assert.deepEqual(first, second);
  assert.deepEqual(await provision(options), first);
  assert.equal(await connectAndQuery(first.beta), `meridian_${ns}_beta`);
});

test('<SERVICE>_DATABASE_URL overrides that service and provisions nothing for it', async (t) => {
  const ns = uniqueName('t');
  t.after(() => dropNamespace(pgAdminUrl, ns));
  const urls = await provision({ adminUrl: pgAdminUrl, ns, services: ['alpha', 'beta'], env: { BETA_DATABASE_URL: 'postgres://custom/db' } });
  assert.equal(urls.beta, 'postgres://custom/db');
  assert.deepEqual((await dropNamespace(pgAdminUrl, ns)).sort(), [`meridian_${ns}_alpha`]);
});

test("wiping a namespace removes its databases, topics, Redis keys and etcd keys, and nothing of another namespace's", async (t) => {
  const { kafkaBrokers, redisUrl, etcdEndpoints } = infra();
  const [ns, other] = [uniqueName('wipe'), uniqueName('keep')];
  const redis = new Redis(redisUrl);
  const admin = new Admin({ clientId: uniqueName('wipe_test'), bootstrapBrokers: kafkaBrokers });
  const etcd = createEtcdClient({ endpoints: etcdEndpoints });
  const etcdCount = async (prefix: string) => (await etcd.rangePrefix(prefix)).kvs.length;
  t.after(async () => {
    await wipeNamespace({ adminUrl: pgAdminUrl, kafkaBrokers: kafkaBrokers.join(','), redisUrl, etcdEndpoints: etcdEndpoints.join(',') }, other);
    redis.disconnect();
    await admin.close();
  });

  for (const name of [ns, other]) {
    await provision({ adminUrl: pgAdminUrl, ns: name, services: ['alpha'], env: {} });
    await admin.createTopics({ topics: [`${name}.orders.events`, `${name}.orders.events.dlq`], partitions: 1, replicas: 1 });
    await redis.set(`${name}:catalog:product:1`, 'cached');
    await etcd.put(`/meridian/${name}/services/alpha/1`, 'x');
  }

  const summary = await wipeNamespace({ adminUrl: pgAdminUrl, kafkaBrokers: kafkaBrokers.join(','), redisUrl, etcdEndpoints: etcdEndpoints.join(',') }, ns);
  assert.match(summary, /1 database\(s\)\/role\(s\), 2 topic\(s\), \d+ consumer group\(s\), 1 Redis key\(s\), 1 etcd key\(s\)/);

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

  // Only the parts named are touched.
  await redis.set(`${ns}:left`, 'x');
  assert.equal(await wipeNamespace({ etcdEndpoints: etcdEndpoints.join(',') }, ns), '0 etcd key(s)');
  assert.equal(await redis.exists(`${ns}:left`), 1);
  await redis.del(`${ns}:left`);
});
