import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const resultsDir = join(repoRoot, 'bench', 'results');
/** Logs and scratch files of a run (gitignored). */
export const scratchDir = join(resultsDir, 'tmp');

export function scratchFile(name: string): string {
  mkdirSync(scratchDir, { recursive: true });
  return join(scratchDir, name);
}

/** A path relative to the repo when inside it, for messages. */
export function displayPath(path: string): string {
  const inRepo = relative(repoRoot, path);
  return inRepo.startsWith('..') ? path : inRepo;
}
