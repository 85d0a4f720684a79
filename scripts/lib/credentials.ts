// Generated credentials of a namespace: one random password per service, kept in
// `<data dir>/secrets/<ns>/<kind>.json` (directory 0700, file 0600) so a restarted platform hands each
// service the same one. `npm run reset` removes them with the rest of the data directory.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from './paths.ts';

/** Where namespace `ns` keeps its generated secrets. */
export const secretsDir = (ns: string, env: NodeJS.ProcessEnv = process.env) => join(dataDir(env), 'secrets', ns);

/** The passwords of one kind (`postgres`, `kafka`) kept for namespace `ns`, by service; empty when none yet. */
export function readPasswords(kind: string, ns: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = join(secretsDir(ns, env), `${kind}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

/**
 * The password of each of `services` for `kind`: the kept one, or a new random one (24 bytes) that is
 * kept from now on. No two services share one.
 */
export function passwordsFor(kind: string, ns: string, services: string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const kept = readPasswords(kind, ns, env);
  const missing = services.filter((service) => !kept[service]);
  if (missing.length > 0) {
    for (const service of missing) kept[service] = randomBytes(24).toString('base64url');
    const dir = secretsDir(ns, env);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    // Written beside and renamed, so a reader never sees half a file.
    const file = join(dir, `${kind}.json`);
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
    renameSync(partial, file);
  }
  return Object.fromEntries(services.map((service) => [service, kept[service]!]));
}
