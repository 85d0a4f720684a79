import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDir } from './paths.ts';

export const pidFile = (env: NodeJS.ProcessEnv = process.env) => join(dataDir(env), 'platform.pid');

/** The pid of a running `npm start` platform, if any (a stale pid file counts as none). */
export function runningPlatformPid(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const file = pidFile(env);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

export function writePidFile(env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(dirname(pidFile(env)), { recursive: true });
  writeFileSync(pidFile(env), `${process.pid}\n`);
}

export function removePidFile(env: NodeJS.ProcessEnv = process.env): void {
  rmSync(pidFile(env), { force: true });
}
