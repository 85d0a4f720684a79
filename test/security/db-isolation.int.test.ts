// Per-service database roles: scripts/test/provision.int.test.ts proves a role cannot CONNECT to
// another service's database. This goes one layer further: even if CONNECT were granted by mistake,
// a service role can neither read nor write another service's tables, nor escalate its privileges.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type postgres from 'postgres';
import { createDb } from '@meridian/db';
import { infra, uniqueName } from '@meridian/testkit';
import { dropNamespace, provision } from '../../scripts/provision.ts';

const { pgAdminUrl } = infra();
const ns = uniqueName('sec');
let urls: Record<string, string>;
const pools: postgres.Sql[] = [];

function connect(url: string): postgres.Sql {
  const sql = createDb(url, { max: 1, connectTimeoutSeconds: 5 });
  pools.push(sql);
  return sql;
}

/** `url`'s role, connected to `service`'s database instead of its own. */
function crossUrl(url: string, service: string): string {
  const crossed = new URL(url);
  crossed.pathname = `/meridian_${ns}_${service}`;
  return crossed.toString();
}

const deniedPrivilege = (error: { code?: string }) => {
  assert.equal(error.code, '42501'); // insufficient_privilege
  return true;
};

before(async () => {
  urls = await provision({ adminUrl: pgAdminUrl, ns, services: ['orders', 'payments'], env: {} });
  const payments = connect(urls.payments!);
  await payments`create table cards (id int primary key, pan text not null)`;
  await payments`insert into cards values (1, '4111111111111111')`;
  // The misconfiguration under test: the orders role may connect to the payments database.
  const admin = connect(pgAdminUrl);
  await admin.unsafe(`GRANT CONNECT ON DATABASE meridian_${ns}_payments TO meridian_${ns}_orders`);
});

after(async () => {
  await Promise.all(pools.map((sql) => sql.end()));
  await dropNamespace(pgAdminUrl, ns);
});

test("with CONNECT granted by mistake, a service role still cannot read or change another service's tables", async () => {
  const intruder = connect(crossUrl(urls.orders!, 'payments'));
  const [{ user }] = await intruder`select current_user as user`;
  assert.equal(user, `meridian_${ns}_orders`);
  await assert.rejects(intruder`select pan from cards`, deniedPrivilege);
  await assert.rejects(intruder`update cards set pan = 'x'`, deniedPrivilege);
  await assert.rejects(intruder`delete from cards`, deniedPrivilege);
  await assert.rejects(intruder`create table planted (id int)`, deniedPrivilege);
});

test('service roles are plain logins: no superuser, no role or database creation, no other role to assume', async () => {
  const orders = connect(urls.orders!);
  const [role] = await orders`
    select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
    from pg_roles where rolname = current_user`;
  assert.deepEqual({ ...role }, { rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false });
  await assert.rejects(orders.unsafe(`SET ROLE meridian_${ns}_payments`), deniedPrivilege);
  await assert.rejects(orders`select rolpassword from pg_authid`, deniedPrivilege);
  await assert.rejects(orders.unsafe(`CREATE ROLE meridian_${ns}_rogue LOGIN`), deniedPrivilege);
});
