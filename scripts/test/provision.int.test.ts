import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { infra, uniqueName } from '@meridian/testkit';
import { dropNamespace, provision } from '../provision.ts';

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
