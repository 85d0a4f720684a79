// `npm run seed`: loads the demo catalog (hundreds of products in ten categories) into the running
// platform through the catalog's own code, and stocks it through the gateway as staff. It acts on the
// platform `npm start` runs, with its namespace and staff account (from .data/platform.json), unless
// GATEWAY_URL, MERIDIAN_NAMESPACE, STAFF_EMAIL or STAFF_PASSWORD say otherwise. Safe to run again: it
// creates what is missing and stocks what was never stocked, so an interrupted run completes.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { infraEnv } from './infra/index.ts';
import { readPasswords } from './lib/credentials.ts';
import { repoRoot } from './lib/paths.ts';
import { readPlatformFile } from './lib/platformFile.ts';
import { serviceDatabaseUrl } from './provision.ts';

export interface SeedTarget {
  gatewayUrl: string;
  ns: string;
  staffEmail: string;
  staffPassword: string;
}

/** Where and as whom to seed: env first, then the running platform's file, then the defaults. */
export function seedTarget(env: NodeJS.ProcessEnv = process.env): SeedTarget {
  const running = readPlatformFile(env);
  return {
    gatewayUrl: env.GATEWAY_URL || running?.gatewayUrl || `http://127.0.0.1:${env.GATEWAY_PORT || 8080}`,
    ns: env.MERIDIAN_NAMESPACE || running?.ns || 'dev',
    staffEmail: env.STAFF_EMAIL || running?.staffEmail || 'staff@meridian.local',
    staffPassword: env.STAFF_PASSWORD || running?.staffPassword || 'staff-password',
  };
}

/** True when the catalog behind `gatewayUrl` lists no product at all. */
export async function catalogIsEmpty(gatewayUrl: string): Promise<boolean> {
  const response = await fetch(`${gatewayUrl}/api/v1/products?limit=1`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET /api/v1/products answered ${response.status}`);
  const { items } = (await response.json()) as { items: unknown[] };
  return items.length === 0;
}

/** The catalog's database as the catalog itself opens it: `CATALOG_DATABASE_URL`, else its role and the password the platform keeps. */
function catalogDatabaseUrl(ns: string, env: NodeJS.ProcessEnv): string {
  if (env.CATALOG_DATABASE_URL) return env.CATALOG_DATABASE_URL;
  const password = readPasswords('postgres', ns, env).catalog;
  if (!password) throw new Error(`no database password is kept for the catalog of namespace ${ns}: start the platform first (npm start)`);
  return serviceDatabaseUrl(infraEnv(env).PG_ADMIN_URL, ns, 'catalog', password);
}

/**
 * Runs the catalog's seed against `target`; each line it prints goes to `print`. Resolves with its exit
 * code. Aborting `signal` ends the seed at once and drops what it prints after that.
 */
export function seedDemoCatalog(
  target: SeedTarget,
  print: (line: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<number> {
  let databaseUrl: string;
  try {
    databaseUrl = catalogDatabaseUrl(target.ns, env);
  } catch (error) {
    print(`[seed] ${(error as Error).message}`);
    return Promise.resolve(1);
  }
  const child = spawn(process.execPath, [join(repoRoot, 'services', 'catalog', 'src', 'seed.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal,
    env: {
      ...env,
      CATALOG_DATABASE_URL: databaseUrl,
      GATEWAY_URL: target.gatewayUrl,
      MERIDIAN_NAMESPACE: target.ns,
      STAFF_EMAIL: target.staffEmail,
      STAFF_PASSWORD: target.staffPassword,
    },
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      if (signal?.aborted) return;
      for (const line of lines) if (line) print(line);
    });
    stream.on('end', () => rest && !signal?.aborted && print(rest));
  }
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * A first start: a namespace whose catalog is empty gets the demo catalog, with stock. Never fatal: a
 * failure is explained and `npm run seed` finishes the job. Resolves with whether the catalog was seeded.
 * Aborting `signal` (the platform is shutting down) stops the seed quietly.
 */
export async function seedIfEmpty(target: SeedTarget, print: (line: string) => void = console.log, signal?: AbortSignal): Promise<boolean> {
  let empty: boolean;
  try {
    empty = await catalogIsEmpty(target.gatewayUrl);
  } catch (error) {
    print(`[seed] ⚠ could not tell whether the catalog is empty (${(error as Error).message}); load it with \`npm run seed\``);
    return false;
  }
  if (!empty) return false;
  const startedAt = Date.now();
  print(`[seed] the catalog of namespace ${target.ns} is empty: loading the demo catalog with stock (skip with --no-seed)…`);
  const code = await seedDemoCatalog(target, (line) => print(line.startsWith('[seed]') ? line : `[seed] ${line}`), process.env, signal);
  if (signal?.aborted) print('[seed] stopped by the shutdown; `npm run seed` finishes the demo catalog later (what is there is kept)');
  else if (code !== 0) print('[seed] ⚠ the demo catalog is incomplete; `npm run seed` finishes it (what is there is kept)');
  else print(`[seed] demo catalog loaded in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return code === 0;
}

if (import.meta.main) {
  const target = seedTarget();
  const healthy = await fetch(`${target.gatewayUrl}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
  if (!healthy) {
    console.error(`[seed] the platform is not running at ${target.gatewayUrl} (start it with \`npm start\`, or set GATEWAY_URL)`);
    process.exit(1);
  }
  console.log(`[seed] seeding namespace ${target.ns} through ${target.gatewayUrl} as ${target.staffEmail}`);
  const code = await seedDemoCatalog(target);
  if (code !== 0) console.error('[seed] incomplete: run `npm run seed` again to finish (what is there is kept, what is missing is added)');
  process.exit(code);
}
