// Loads the demo catalog (idempotent by sku) through the catalog's own commands, so every new
// product emits ProductCreated via the outbox; with GATEWAY_URL it also stocks never-stocked
// products through the inventory API as staff. Run: node services/catalog/src/seed.ts
import { fileURLToPath } from 'node:url';
import { createDb, migrate, type Sql } from '@meridian/db';
import { createOutbox, messagingMigrations } from '@meridian/messaging';
import { createProduct } from './commands.ts';
import { findProductBySku } from './db/products.ts';
import { demoCatalog, demoStock } from './seed/demoCatalog.ts';

const env = process.env;
const ns = env.MERIDIAN_NAMESPACE || 'dev';
// `npm run seed` hands over the catalog's own URL (its role and password, kept by the platform).
const databaseUrl = env.CATALOG_DATABASE_URL || env.DATABASE_URL;
if (!databaseUrl) {
  console.error('[seed] set CATALOG_DATABASE_URL (or run `npm run seed`, which knows the catalog\'s database)');
  process.exit(1);
}
const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

const log = (line: string) => console.log(`[seed] ${line}`);

/** Runs `task` over `items` with at most `concurrency` in flight. */
async function eachLimited<T>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function seedProducts(sql: Sql): Promise<{ id: string; sku: string }[]> {
  const outbox = createOutbox({ source: 'catalog', ns });
  const products = demoCatalog();
  const seeded: { id: string; sku: string }[] = [];
  let created = 0;
  for (const [index, input] of products.entries()) {
    const existing = await findProductBySku(sql, input.sku);
    if (existing) {
      seeded.push(existing);
    } else {
      const result = await createProduct({ sql, outbox }, input);
      if ('created' in result) {
        created++;
        seeded.push(result.created);
      } else {
        seeded.push((await findProductBySku(sql, input.sku))!); // created concurrently by someone else
      }
    }
    if ((index + 1) % 50 === 0 || index + 1 === products.length) {
      log(`products ${index + 1}/${products.length} (${created} created, ${index + 1 - created} already there)`);
    }
  }
  return seeded;
}

async function seedStock(gatewayUrl: string, products: { id: string; sku: string }[]): Promise<number> {
  const login = await fetch(`${gatewayUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: env.STAFF_EMAIL || 'staff@meridian.local', password: env.STAFF_PASSWORD || 'staff-password' }),
  });
  if (!login.ok) throw new Error(`staff login through ${gatewayUrl} failed: ${login.status} ${await login.text()}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };

  let stocked = 0;
  let failed = 0;
  let done = 0;
  await eachLimited(products, 8, async (product, index) => {
    const url = `${gatewayUrl}/api/v1/inventory/${product.id}`;
    // Only never-stocked products (404) get their demo level: re-running never resets real stock.
    const current = await fetch(url, { headers });
    await current.arrayBuffer();
    if (current.status === 404) {
      const put = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ available: demoStock(index) }) });
      if (put.ok) stocked++;
      else {
        failed++;
        log(`stock for ${product.sku} failed: ${put.status} ${await put.text()}`);
      }
    } else if (!current.ok) {
      failed++;
      log(`stock lookup for ${product.sku} failed: ${current.status}`);
    }
    if (++done % 50 === 0 || done === products.length) log(`stock ${done}/${products.length} (${stocked} set)`);
  });
  return failed;
}

const sql = createDb(databaseUrl, { max: 4, applicationName: 'catalog-seed' });
try {
  await migrate(sql, [messagingMigrations, migrationsDir]);
  const started = performance.now();
  const products = await seedProducts(sql);
  log(`catalog ready: ${products.length} products in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (env.GATEWAY_URL) {
    const failed = await seedStock(env.GATEWAY_URL.replace(/\/$/, ''), products);
    if (failed > 0) process.exitCode = 1;
  } else {
    log('GATEWAY_URL not set: skipping stock levels');
  }
} catch (err) {
  console.error('[seed] failed:', err);
  process.exitCode = 1;
} finally {
  await sql.end();
}
