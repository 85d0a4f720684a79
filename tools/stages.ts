// Pipeline stages owned by the contracts-and-delivery tooling, for scripts/test.ts (and CI) to call:
// lint (biome + Dockerfiles), contract (pact consumers, then providers), build (artifacts).
// Each returns the shape of a scripts/test.ts stage result. CLI: `node tools/stages.ts <stage> [--services a,b]`.
import { spawn } from 'node:child_process';
import { existsSync, globSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildService, checkArtifact } from './build-service.ts';
import { checkMigrations, migrationsChanged, previousBuildRef } from './lib/migrationCheck.ts';
import { repoRoot } from './lib/paths.ts';
import { tmpdir } from 'node:os';

export interface StageOutcome {
  files?: number;
  passed?: number;
  failed?: number;
  note: string;
  ok: boolean;
}

export interface StageOptions {
  /** Only these deployables (from `tools/affected.ts`); all when omitted. */
  services?: string[];
  env?: NodeJS.ProcessEnv;
  resultsDir?: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * `npm audit --omit=dev` at level high: 'clean', 'findings' (high or critical advisories in runtime
 * dependencies), or 'unavailable' when the registry offers no audit endpoint (then nothing is known).
 */
async function auditRuntimeDependencies(env?: NodeJS.ProcessEnv): Promise<'clean' | 'findings' | 'unavailable'> {
  const output = await new Promise<string>((resolve) => {
    const child = spawn('npm', ['audit', '--omit=dev', '--json'], { cwd: repoRoot, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk) => { text += chunk; });
    child.on('error', () => resolve(''));
    child.on('exit', () => resolve(text));
  });
  let report: { metadata?: { vulnerabilities?: Record<string, number> } };
  try {
    report = JSON.parse(output);
  } catch {
    return 'unavailable';
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) return 'unavailable';
  console.log(`npm audit --omit=dev: ${Object.entries(counts).map(([level, n]) => `${n} ${level}`).join(', ')}`);
  return (counts.high ?? 0) + (counts.critical ?? 0) > 0 ? 'findings' : 'clean';
}

/** biome lint (errors fail; warnings are listed), the Dockerfile lint and the audit of runtime dependencies. */
export async function lintStage(options: StageOptions = {}): Promise<StageOutcome> {
  const biome = await run(join(repoRoot, 'node_modules', '.bin', 'biome'), ['lint', '--max-diagnostics=50', '.'], options.env);
  const dockerfiles = await run(process.execPath, [join(repoRoot, 'tools', 'lint-dockerfile.ts')], options.env);
  const audit = await auditRuntimeDependencies(options.env);
  if (audit === 'unavailable') console.log('npm audit: the registry answered without an audit report (no advisory endpoint here); not checked');
  const problems = [
    biome !== 0 && 'biome found errors',
    dockerfiles !== 0 && 'Dockerfile lint failed',
    audit === 'findings' && 'npm audit: high or critical advisories in runtime dependencies',
  ].filter(Boolean);
  const checked = `biome + Dockerfiles clean; npm audit ${audit === 'unavailable' ? 'not available here' : 'clean'}`;
  return { note: problems.length ? problems.join('; ') : checked, ok: problems.length === 0 };
}

async function nodeTests(name: string, files: string[], options: StageOptions & { concurrency: number }): Promise<Required<StageOutcome>> {
  const resultsDir = options.resultsDir ?? join(repoRoot, 'test-results');
  mkdirSync(resultsDir, { recursive: true });
  const tap = join(resultsDir, `${name}.tap`);
  const code = await run(
    process.execPath,
    [
      '--test',
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`,
      `--test-concurrency=${options.concurrency}`,
      '--test-timeout=300000',
      '--test-force-exit',
      ...files,
    ],
    { ...(options.env ?? process.env), PACT_DO_NOT_TRACK: 'true' },
  );
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (label: string) => Number(text.match(new RegExp(`^# ${label} (\\d+)$`, 'm'))?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled') || (code === 0 ? 0 : 1);
  return { files: files.length, passed, failed, note: failed ? `see ${tap}` : '', ok: code === 0 && failed === 0 };
}

const testFiles = (dir: string, services?: string[]) =>
  globSync(`contracts/pact/${dir}/*.contract.test.ts`, { cwd: repoRoot })
    .filter((file) => !services || services.some((s) => file.endsWith(`/${s}.contract.test.ts`)) || (dir === 'providers' && file.includes('breaking') && services.includes('catalog')))
    .sort();

/**
 * Consumer tests first (they regenerate contracts/pacts/), then provider verification against
 * real infrastructure (records contracts/verifications/). Needs PostgreSQL, Kafka, Redis and etcd.
 */
export async function contractStage(options: StageOptions = {}): Promise<StageOutcome> {
  const consumers = testFiles('consumers', options.services);
  const providers = testFiles('providers', options.services);
  if (consumers.length + providers.length === 0) return { note: 'skipped: no contract tests for the affected services', ok: true };
  const consumed = consumers.length ? await nodeTests('contract-consumers', consumers, { ...options, concurrency: 4 }) : undefined;
  if (consumed && !consumed.ok) return { ...consumed, note: `consumer tests failed (providers not verified); ${consumed.note}` };
  const provided = providers.length ? await nodeTests('contract-providers', providers, { ...options, concurrency: 2 }) : undefined;
  const migrations = provided && !provided.ok ? undefined : await migrationCompatibility(options);
  const parts = [consumed, provided, migrations].filter((p) => p !== undefined);
  return {
    files: parts.reduce((n, p) => n + (p.files ?? 0), 0),
    passed: parts.reduce((n, p) => n + (p.passed ?? 0), 0),
    failed: parts.reduce((n, p) => n + (p.failed ?? 0), 0),
    note: parts.map((p) => p.note).filter(Boolean).join('; '),
    ok: parts.every((p) => p.ok),
  };
}

/**
 * Expand/contract: for each service whose migrations changed since its previous build, that build's
 * provider verification runs on the new migrations (tools/lib/migrationCheck.ts).
 */
async function migrationCompatibility(options: StageOptions): Promise<StageOutcome | undefined> {
  const services = globSync('services/*/migrations', { cwd: repoRoot }).map((dir) => dir.split('/')[1]).filter((s) => !options.services || options.services.includes(s));
  const checks = services.flatMap((service) => {
    const from = previousBuildRef(service);
    return from && migrationsChanged(service, from) ? [{ service, from }] : [];
  });
  if (checks.length === 0) return undefined;
  let failed = 0;
  for (const { service, from } of checks) {
    const result = await checkMigrations({ service, from, env: options.env, log: (line) => console.log(`[migration-check ${service}] ${line}`) });
    for (const problem of result.problems) console.log(`FAIL ${service}: ${problem}`);
    console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${service}: the build at ${from} ${result.ok ? 'works' : 'breaks'} on the new migrations`);
    if (!result.ok) failed++;
  }
  return { files: checks.length, passed: checks.length - failed, failed, note: `migrations checked against the previous build: ${checks.map((c) => c.service).join(', ')}`, ok: failed === 0 };
}

/** Builds each service's artifact outside the repo and checks it loads on its own. */
export async function buildStage(options: StageOptions = {}): Promise<StageOutcome> {
  // Every service with an entry point is a deployable, built from the one image template services/Dockerfile.
  const all = globSync('services/*/src/main.ts', { cwd: repoRoot }).map((file) => file.split('/')[1]).sort();
  const services = options.services ? all.filter((s) => options.services!.includes(s)) : all;
  let failed = 0;
  for (const service of services) {
    try {
      const result = buildService(service, join(tmpdir(), `meridian-build-${service}`));
      const check = checkArtifact(result.out);
      console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${service} ${result.version}: ${result.modules} modules, ${result.npmPackages.length} npm packages`);
      if (!check.ok) {
        console.log(check.output);
        failed++;
      }
    } catch (error) {
      console.log(`FAIL ${service}: ${(error as Error).message}`);
      failed++;
    }
  }
  return { files: services.length, passed: services.length - failed, failed, note: services.length ? '' : 'skipped: no affected service', ok: failed === 0 };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { services: { type: 'string' } } });
  const stages = { lint: lintStage, contract: contractStage, build: buildStage } as const;
  const stage = positionals[0] as keyof typeof stages;
  if (!stages[stage]) {
    console.error(`usage: stages.ts <${Object.keys(stages).join('|')}> [--services a,b]`);
    process.exit(2);
  }
  const services = values.services === undefined ? undefined : values.services.split(',').map((s) => s.trim()).filter(Boolean);
  const startedAt = Date.now();
  const outcome = await stages[stage]({ services });
  console.log(`${stage}: ${outcome.ok ? 'ok' : 'FAILED'} (${((Date.now() - startedAt) / 1000).toFixed(1)} s)${outcome.note ? ` ${outcome.note}` : ''}`);
  process.exit(outcome.ok ? 0 : 1);
}
