import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

/** Folders that hold a deployable: `services/<name>` or `apps/<name>`. */
export function participantDir(name: string, root = repoRoot): string | undefined {
  return ['services', 'apps'].map((parent) => join(root, parent, name)).find((dir) => existsSync(dir));
}

/** The short sha of HEAD, or undefined outside a git checkout. `MERIDIAN_GIT_SHA` overrides it (CI). */
export function gitShortSha(root = repoRoot): string | undefined {
  if (process.env.MERIDIAN_GIT_SHA) return process.env.MERIDIAN_GIT_SHA.slice(0, 7);
  try {
    return execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The package.json version of a service or app (the root's when it has none of its own). */
export function packageVersion(name: string, root = repoRoot): string {
  const dir = participantDir(name, root);
  const own = dir && join(dir, 'package.json');
  const file = own && existsSync(own) ? own : join(root, 'package.json');
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

/** A deployable's version: `<package.json version>+<short git sha>` (just the package version without git). */
export function participantVersion(name: string, root = repoRoot): string {
  const sha = gitShortSha(root);
  return sha ? `${packageVersion(name, root)}+${sha}` : packageVersion(name, root);
}
