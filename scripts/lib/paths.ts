import { join, relative } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** Runtime state of servers we start (gitignored). Overridable so tests never touch the real `.data/`. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MERIDIAN_DATA_DIR || join(repoRoot, '.data');
}

/** Downloaded artifacts kept across resets (gitignored). */
export const cacheDir = join(repoRoot, '.cache');

/** A path relative to the repo when inside it, else absolute: for messages. */
export function displayPath(path: string): string {
  const inRepo = relative(repoRoot, path);
  return inRepo.startsWith('..') ? path : inRepo;
}
