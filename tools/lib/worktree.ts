// Another build of this repository, checked out beside it: a git worktree at a ref, with node_modules
// (this checkout's, linked, when the lockfile is the same; else `npm ci`) so its tools and tests run.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export interface Worktree {
  dir: string;
  /** The short sha checked out. */
  commit: string;
  /** Removes the worktree and its folder. */
  remove(): void;
}

const git = (args: string[], cwd = repoRoot) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** A worktree of `ref` in a temporary folder, without node_modules yet (see installDependencies). */
export function checkoutWorktree(ref: string, options: { name: string }): Worktree {
  const commit = git(['rev-parse', '--short=7', `${ref}^{commit}`]);
  const work = mkdtempSync(join(tmpdir(), `meridian-${options.name}-`));
  const dir = join(work, 'build');
  git(['worktree', 'add', '--detach', dir, commit]);
  const remove = () => {
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      // Removed below with its folder; prune forgets it.
    }
    rmSync(work, { recursive: true, force: true });
    git(['worktree', 'prune']);
  };
  return { dir, commit, remove };
}

/** Gives the worktree node_modules: this checkout's, linked, when its lockfile is the same; else `npm ci`. */
export async function installDependencies({ dir, commit }: Worktree, log: (line: string) => void = () => {}): Promise<void> {
  if (git(['diff', commit, '--', 'package-lock.json']) === '') return linkNodeModules(dir);
  log(`dependencies differ from ${commit}: npm ci in its worktree`);
  const installed = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir, process.env);
  if (installed.code !== 0) throw new Error(`npm ci of the build at ${commit} failed:\n${installed.output.slice(-2000)}`);
}

/** node_modules for the worktree: this checkout's packages, with the workspace links pointing into the worktree. */
function linkNodeModules(worktree: string): void {
  const source = join(repoRoot, 'node_modules');
  const target = join(worktree, 'node_modules');
  mkdirSync(target);
  for (const entry of readdirSync(source)) {
    if (entry === '@meridian') continue;
    symlinkSync(join(source, entry), join(target, entry));
  }
  mkdirSync(join(target, '@meridian'));
  for (const name of readdirSync(join(source, '@meridian'))) {
    // The same relative link (../../packages/<name>), now resolved inside the worktree.
    symlinkSync(readlinkSync(join(source, '@meridian', name)), join(target, '@meridian', name));
  }
}

/** The project's Node (Node 24, from the npm `node` package), for running another checkout's tools and tests. */
export const projectNode = join(repoRoot, 'node_modules', '.bin', 'node');

/**
 * `env` for a tool or test run started from this process: without NODE_TEST_CONTEXT (set when this runs
 * under node --test), which would make the inner run report to a parent that is not there.
 */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...rest } = env;
  return rest;
}

/** Runs a command to its end: its exit code and its output (stdout and stderr interleaved). */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
