// Expand/contract, checked: the previous build of a service must keep working on the database as the
// new build migrates it. The previous build (a git worktree at a ref) gets the new migration files and
// runs its own provider verification (its pacts) against them: a column it still reads, dropped too
// early, fails one of its interactions, and the check names it.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMigrationFile } from '@meridian/db';
import { readDeployments } from './matrix.ts';
import { repoRoot } from './paths.ts';
import { checkoutWorktree, childEnv, installDependencies, projectNode, run, type Worktree } from './worktree.ts';

export interface MigrationCheckOptions {
  service: string;
  /** The previous build: a git ref of this repository. */
  from: string;
  /** The new build's migrations (default: the service's migrations folder in this checkout). */
  migrationsDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface MigrationCheckResult {
  ok: boolean;
  /** The new migrations the previous build ran on. */
  added: string[];
  /** Why it failed: an edited or removed migration, or the previous build's failing tests with their first error line. */
  problems: string[];
}

const sqlFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter(isMigrationFile).sort() : []);

const resolves = (ref: string, root: string): boolean => {
  try {
    execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * The build a new one must stay compatible with: the one recorded as deployed to `environment`
 * (`npm run record-deployment`, version `<semver>+<sha>`), else `MERIDIAN_PREVIOUS_REF`, else the
 * parent commit. Undefined when none of them is in this repository's history.
 */
export function previousBuildRef(service: string, environment = 'production', root = repoRoot): string | undefined {
  const deployed = readDeployments()[environment]?.[service]?.version.split('+')[1];
  return [deployed, process.env.MERIDIAN_PREVIOUS_REF, 'HEAD~1'].find((ref): ref is string => !!ref && resolves(ref, root));
}

/** Whether the service's migrations differ between `from` and this checkout's working tree. */
export function migrationsChanged(service: string, from: string, root = repoRoot): boolean {
  try {
    execFileSync('git', ['diff', '--quiet', from, '--', `services/${service}/migrations`], { cwd: root, stdio: 'ignore' });
    return execFileSync('git', ['ls-files', '--others', '--exclude-standard', `services/${service}/migrations`], { cwd: root, encoding: 'utf8' }).trim() !== '';
  } catch {
    return true;
  }
}

/**
 * Migrations only ever get added: a file the previous build applied must be there, unchanged. Returns
 * the problems and the files the new build adds.
 */
export function compareMigrations(previousDir: string, newDir: string): { added: string[]; problems: string[] } {
  const previous = sqlFiles(previousDir);
  const next = sqlFiles(newDir);
  const problems: string[] = [];
  for (const name of previous) {
    if (!next.includes(name)) problems.push(`${name} was removed: a migration the previous build applied stays (add a new one that undoes it)`);
    else if (readFileSync(join(previousDir, name), 'utf8') !== readFileSync(join(newDir, name), 'utf8')) {
      problems.push(`${name} was edited: a migration the previous build applied is never changed (add a new one instead)`);
    }
  }
  return { added: next.filter((name) => !previous.includes(name)), problems };
}

/** The failing tests of a node:test TAP stream, each with the first line of its error. */
export function failuresOfTap(tap: string): string[] {
  const failures: string[] = [];
  const lines = tap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const failed = /^\s*not ok \d+ - (.*)$/.exec(lines[i]);
    if (!failed) continue;
    let detail = '';
    for (let j = i + 1; j < lines.length && !/^\s*(not )?ok \d+ /.test(lines[j]); j++) {
      const error = /^\s*error: (.*)$/.exec(lines[j]);
      if (!error) continue;
      if (/^[|>][-+]?$/.test(error[1])) {
        // A block scalar (`|-`) holds the message on the lines below: its first line, and the next when
        // the first only introduces it ("pact x -> y failed:").
        const block = lines.slice(j + 1).map((line) => line.trim()).filter(Boolean);
        detail = block[0]?.endsWith(':') && block[1] ? `${block[0]} ${block[1]}` : (block[0] ?? '');
      } else detail = error[1].replace(/^'(.*)'$/, '$1');
      break;
    }
    failures.push(detail ? `${failed[1].trim()}: ${detail}` : failed[1].trim());
  }
  return failures;
}

/** Runs the previous build's provider verification of `service` on the new build's migrations. */
export async function checkMigrations(options: MigrationCheckOptions): Promise<MigrationCheckResult> {
  const log = options.log ?? (() => {});
  const newDir = options.migrationsDir ?? join(repoRoot, 'services', options.service, 'migrations');
  let worktree: Worktree;
  try {
    worktree = checkoutWorktree(options.from, { name: `migration-check-${options.service}` });
  } catch (error) {
    return { ok: false, added: [], problems: [(error as Error).message] };
  }
  const { dir, commit } = worktree;
  try {
    const previousDir = join(dir, 'services', options.service, 'migrations');
    const pact = join('contracts', 'pact', 'providers', `${options.service}.contract.test.ts`);
    if (!existsSync(join(dir, pact))) {
      return { ok: false, added: [], problems: [`the build at ${commit} has no provider verification for ${options.service} (${pact})`] };
    }
    const { added, problems } = compareMigrations(previousDir, newDir);
    if (problems.length > 0) return { ok: false, added, problems };
    log(`previous build ${commit}: ${added.length === 0 ? 'no new migrations' : `adding ${added.join(', ')}`}`);
    for (const name of added) cpSync(join(newDir, name), join(previousDir, name));
    try {
      await installDependencies(worktree, log);
    } catch (error) {
      return { ok: false, added, problems: [(error as Error).message] };
    }

    log(`running the previous build's ${pact} on the new schema`);
    const result = await run(projectNode, ['--test', '--test-reporter=tap', pact], dir, { ...childEnv({ ...process.env, ...options.env }), LOG_LEVEL: 'error' });
    if (result.code === 0) return { ok: true, added, problems: [] };
    const failures = failuresOfTap(result.output);
    return {
      ok: false,
      added,
      problems: (failures.length > 0 ? failures : [result.output.slice(-2000)]).map((failure) => `the previous build (${commit}) fails ${failure}`),
    };
  } finally {
    worktree.remove();
  }
}
