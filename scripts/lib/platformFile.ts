// `.data/platform.json`: where the running `npm start` platform is and which staff account it was
// started with, so `npm run seed` (and other commands) act on that platform with the same settings.
// Owner-only (0600): it holds the staff password the platform was given and the launcher's control token.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from './paths.ts';

export interface PlatformFile {
  pid: number;
  ns: string;
  gatewayUrl: string;
  staffEmail: string;
  staffPassword: string;
  /** The launcher's control endpoint (scripts/lib/control.ts) and its bearer token. */
  control?: { url: string; token: string };
}

const platformFile = (env: NodeJS.ProcessEnv = process.env) => join(dataDir(env), 'platform.json');

export function writePlatformFile(state: Omit<PlatformFile, 'pid'>, env: NodeJS.ProcessEnv = process.env): void {
  const file = platformFile(env);
  writeFileSync(file, `${JSON.stringify({ pid: process.pid, ...state }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write
}

export function removePlatformFile(env: NodeJS.ProcessEnv = process.env): void {
  rmSync(platformFile(env), { force: true });
}

/** The running platform's settings, if a live `npm start` wrote them. */
export function readPlatformFile(env: NodeJS.ProcessEnv = process.env): PlatformFile | undefined {
  const file = platformFile(env);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as PlatformFile;
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined; // unreadable, or its platform is gone
  }
}
