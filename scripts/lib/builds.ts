/**
 * A service's deployable artifact for an upgrade (the folder its Dockerfile copies, made by
 * tools/build-service.ts), from this checkout or from a git ref, and the checks it must pass before
 * it may run beside the current build: its provider pacts verified, then can-i-deploy against the
 * running platform.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkoutWorktree, childEnv, installDependencies, projectNode as node, run, type Worktree } from '../../tools/lib/worktree.ts';
import { dataDir, displayPath, repoRoot } from './paths.ts';

export interface PreparedBuild {
  service: string;
  /** `<semver>+<sha>` as the build tool stamped it (what the pact verifications are recorded under). */
  version: string;
  /** The artifact's entry script and folder. */
  script: string;
  cwd: string;
  /** The checkout the artifact was built from (this repository, or a worktree at the ref). */
  sourceRoot: string;
  /** Removes the worktree, if one was made; the artifact stays. */
  cleanup(): void;
}

/** Builds `service` from `from` (a git ref; default: this checkout's working tree) into `.data/builds/`. */
export async function prepareBuild(options: { service: string; from?: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void }): Promise<PreparedBuild> {
  const { service } = options;
  const log = options.log ?? (() => {});
  let worktree: Worktree | undefined;
  if (options.from) {
    worktree = checkoutWorktree(options.from, { name: `upgrade-${service}` });
    log(`checked out ${options.from} (${worktree.commit}) in a worktree`);
  }
  const sourceRoot = worktree?.dir ?? repoRoot;
  try {
    if (worktree) await installDependencies(worktree, log);
    if (!existsSync(join(sourceRoot, 'tools', 'build-service.ts'))) throw new Error(`the build at ${options.from} has no tools/build-service.ts to build ${service} with`);
    const staging = join(dataDir(options.env), 'builds', service, `.staging-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    const built = await run(node, [join(sourceRoot, 'tools', 'build-service.ts'), service, '--out', staging], sourceRoot, childEnv(options.env));
    if (built.code !== 0) throw new Error(`building ${service} failed:\n${built.output.trim().slice(-2000)}`);
    const pkg = JSON.parse(readFileSync(join(staging, 'package.json'), 'utf8')) as { version: string; main: string };
    // A folder of the same version may hold the build instances run from now: a new one goes beside it.
    let out = join(dataDir(options.env), 'builds', service, pkg.version);
    for (let n = 2; existsSync(out); n++) out = join(dataDir(options.env), 'builds', service, `${pkg.version}-${n}`);
    renameSync(staging, out);
    const counts = /: (.*) ->/.exec(built.output)?.[1];
    log(`built ${service} ${pkg.version} in ${displayPath(out)}${counts ? ` (${counts})` : ''}`);
    return { service, version: pkg.version, script: join(out, pkg.main), cwd: out, sourceRoot, cleanup: () => worktree?.remove() };
  } catch (error) {
    worktree?.remove();
    throw error;
  }
}

/**
 * can-i-deploy for the build, run by the build's own checkout against the running namespace; when the
 * build's provider pacts were never verified, verifies them first (its provider contract test records
 * the result). Resolves to the tool's output when the answer is yes, rejects with it when no.
 */
export async function checkDeployable(build: PreparedBuild, ns: string, options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): Promise<string> {
  const log = options.log ?? (() => {});
  const env = childEnv(options.env);
  const canIDeploy = () => run(node, [join(build.sourceRoot, 'tools', 'can-i-deploy.ts'), build.service, build.version, '--environment', 'local', '--running', ns], build.sourceRoot, env);
  let answer = await canIDeploy();
  const pact = join('contracts', 'pact', 'providers', `${build.service}.contract.test.ts`);
  if (answer.code !== 0 && /was never verified by/.test(answer.output) && existsSync(join(build.sourceRoot, pact))) {
    log(`verifying the pacts of the consumers of ${build.service} against ${build.version} (${pact})`);
    const verified = await run(node, ['--test', '--test-reporter=dot', pact], build.sourceRoot, { ...env, LOG_LEVEL: 'error' });
    if (verified.code !== 0) throw new Error(`${build.service} ${build.version} fails its provider verification:\n${verified.output.trim().slice(-2000)}`);
    answer = await canIDeploy();
  }
  if (answer.code !== 0) throw new Error(`can-i-deploy refuses ${build.service} ${build.version}:\n${answer.output.trim()}`);
  return answer.output.trim();
}
