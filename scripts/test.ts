// `npm test` (and CI): install → lint → typecheck → unit → contract → integration → build → system → e2e → chaos, then a summary.
// `npm test -- --affected origin/main` tests and builds only the services a change affects.
// Select stages with `npm test -- --stage unit,integration` (`npm run test:chaos` is `--stage chaos`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, globSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kafkaConnection } from '@meridian/config';
import { ensureInfra, type Infra } from './infra/index.ts';
import { repoRoot } from './lib/paths.ts';
import { startPlatform, type Platform } from './platform.ts';
import { ensureChromium } from './infra/chromium.ts';
import { ensureDebianPackages, testCommands } from './infra/packages.ts';
import { wipeNamespace } from './provision.ts';
import { seedIfEmpty } from './seed.ts';
import { buildStage, contractStage, lintStage } from '../tools/stages.ts';

const stages = ['install', 'lint', 'typecheck', 'unit', 'contract', 'integration', 'build', 'system', 'e2e', 'chaos'] as const;
const onRequestOnly: Stage[] = [];
type Stage = (typeof stages)[number];

/** Type errors fail the run. */
const typeErrorsFail = true;
const systemGatewayPort = Number(process.env.MERIDIAN_TEST_GATEWAY_PORT || 18080);
const codeRoots = ['packages', 'services', 'contracts', 'scripts', 'infra', 'apps', 'tools', 'bench', 'test'];
const resultsDir = join(repoRoot, 'test-results');

interface StageResult {
  stage: Stage;
  files?: number;
  passed?: number;
  failed?: number;
  durationMs?: number;
  note: string;
  ok: boolean;
}

const { values: args } = parseArgs({ options: { stage: { type: 'string' }, affected: { type: 'string' } } });
const selected = args.stage ? args.stage.split(',').map((s) => s.trim()) : stages.filter((s) => !onRequestOnly.includes(s));
const unknownStages = selected.filter((s) => !stages.includes(s as Stage));
if (unknownStages.length > 0) {
  console.error(`unknown stage(s): ${unknownStages.join(', ')} (stages: ${stages.join(', ')})`);
  process.exit(2);
}

const testEnv: NodeJS.ProcessEnv = { ...process.env, MERIDIAN_NAMESPACE: 'test' };
const cleanups: (() => Promise<void>)[] = [];
let runningChild: ChildProcess | undefined;

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

let cleanedUp: Promise<void> | undefined;
/** Runs the cleanups once, last registered first; both the normal end and Ctrl-C wait for the same run. */
function cleanUp(): Promise<void> {
  cleanedUp ??= (async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((error) => console.error(`[test] cleanup failed: ${error.message}`));
  })();
  return cleanedUp;
}

const interrupted = new AbortController();
/** Infra or platform being started: on Ctrl-C, wait for it so that what it started gets stopped. */
let startup: Promise<unknown> | undefined;
const tracked = <T>(promise: Promise<T>): Promise<T> => {
  startup = promise;
  return promise;
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (interrupted.signal.aborted) return; // npm and the terminal may both deliver the same Ctrl-C
    interrupted.abort();
    console.error(`\n[test] ${signal}: stopping`);
    if (runningChild) killGroup(runningChild);
    await startup?.catch(() => {}); // an aborted platform startup stops what it had started
    await cleanUp();
    process.exit(130);
  });
}

/** Test files matching `pattern` under `roots`, skipping node_modules and dot folders (scratch space). */
/**
 * `--affected <git ref>`: only the services and apps a change since that ref affects (tools/affected.ts)
 * are tested and built; the chassis and platform-level tests always run.
 */
const affected = args.affected === undefined ? undefined : await affectedDeployables(args.affected);
async function affectedDeployables(base: string): Promise<string[]> {
  const { affectedBy, buildGraph, changedFiles } = await import('../tools/affected.ts');
  const names = [...affectedBy(changedFiles(base), buildGraph()).reasons.keys()].sort();
  console.log(`[test] affected since ${base}: ${names.join(', ') || 'none'}`);
  return names;
}

const deployableOf = (file: string) => file.match(/^(?:services|apps)\/([^/]+)\//)?.[1];

function findTests(roots: string[], pattern: string): string[] {
  return roots
    .filter((root) => existsSync(join(repoRoot, root)))
    .flatMap((root) => globSync(`${root}/${pattern}`, { cwd: repoRoot }))
    .filter((file) => !file.split('/').some((part) => part === 'node_modules' || part.startsWith('.')))
    .filter((file) => !affected || !deployableOf(file) || affected.includes(deployableOf(file)!))
    .sort();
}

function header(stage: Stage): void {
  console.log(`\n━━━━ ${stage} ${'━'.repeat(60 - stage.length)}`);
}

const secondsOf = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Counts from node's TAP summary (`# pass N`, `# fail N`, `# cancelled N`); from the top-level
 * `ok` / `not ok` lines when the run was cut short before its summary.
 */
function tapCounts(tapFile: string): { passed: number; failed: number; complete: boolean } {
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  const summary = (name: string) => tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1];
  if (summary('pass') !== undefined) {
    return { passed: Number(summary('pass')), failed: Number(summary('fail') ?? 0) + Number(summary('cancelled') ?? 0), complete: true };
  }
  const lines = (pattern: RegExp) => tap.match(pattern)?.length ?? 0;
  return { passed: lines(/^ok \d+/gm), failed: lines(/^not ok \d+/gm), complete: false };
}

interface NodeTestOptions {
  env: NodeJS.ProcessEnv;
  concurrency?: number;
  /** Per test. */
  timeoutMs: number;
  /** For the whole stage: a test file that never exits (open handles) would otherwise hang the run. */
  stageTimeoutMs: number;
}

function runNodeTests(stage: Stage, files: string[], options: NodeTestOptions) {
  mkdirSync(resultsDir, { recursive: true });
  const tapFile = join(resultsDir, `${stage}.tap`);
  const nodeArgs = [
    '--test',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    `--test-timeout=${options.timeoutMs}`,
    '--test-force-exit', // a file whose tests are done but left a handle open must not hang the stage
    ...(options.concurrency ? [`--test-concurrency=${options.concurrency}`] : []),
    ...files,
  ];
  return new Promise<Omit<StageResult, 'stage' | 'durationMs'>>((resolve) => {
    // own process group, so a timeout or Ctrl-C can stop the runner together with its test files
    const child = spawn(process.execPath, nodeArgs, { cwd: repoRoot, env: options.env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    runningChild = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`[test] ${stage}: still running after ${secondsOf(options.stageTimeoutMs)}; stopping it (a test file that never exits?)`);
      killGroup(child);
    }, options.stageTimeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      runningChild = undefined;
      const counts = tapCounts(tapFile);
      if (timedOut || !counts.complete) {
        const why = timedOut ? `timed out after ${secondsOf(options.stageTimeoutMs)}` : `test runner exited with ${code} and no summary`;
        resolve({ files: files.length, passed: counts.passed, failed: Math.max(1, counts.failed), note: why, ok: false });
        return;
      }
      const ok = code === 0 && counts.failed === 0;
      const failed = ok || counts.failed > 0 ? counts.failed : 1; // a non-zero exit with no failed test still fails
      resolve({ files: files.length, passed: counts.passed, failed, note: ok ? '' : `see ${tapFile}`, ok });
    });
  });
}

/** The TypeScript projects: Node code, the app servers and tests, and the browser code of the web apps. */
const typeProjects = ['tsconfig.json', 'apps/tsconfig.json', 'apps/tsconfig.web.json'];

function typecheckProject(project: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function runTypecheck(): Promise<Omit<StageResult, 'stage' | 'durationMs'>> {
  let errors = 0;
  const failures: string[] = [];
  for (const project of typeProjects.filter((p) => existsSync(join(repoRoot, p)))) {
    const { code, output } = await typecheckProject(project);
    const found = output.match(/error TS\d+/g)?.length ?? 0;
    errors += found;
    if (code !== 0 && found === 0) failures.push(`tsc -p ${project} exited with ${code}`);
    const lines = output.trimEnd().split('\n').filter(Boolean);
    const shown = 60;
    if (lines.length > 0) console.log(lines.slice(0, shown).join('\n'));
    if (lines.length > shown) console.log(`… ${lines.length - shown} more lines (run: node_modules/.bin/tsc --noEmit -p ${project})`);
    console.log(`${project}: ${found} type error(s)`);
  }
  const note = [...failures, `${errors} type error(s)${errors > 0 && !typeErrorsFail ? ' (not fatal yet)' : ''}`].join('; ');
  return { note, ok: failures.length === 0 && (errors === 0 || !typeErrorsFail) };
}

let infra: Infra | undefined;
async function ensureTestInfra(): Promise<Infra> {
  if (!infra) {
    infra = await tracked(ensureInfra({ env: testEnv }));
    cleanups.push(() => infra!.stop());
    Object.assign(testEnv, infra.env);
  }
  return infra;
}

let platform: Platform | undefined;
let platformFailed = false;
/** One platform (namespace `test`, with Prometheus and the web apps) serves the system and e2e stages. */
async function ensureTestPlatform(): Promise<Platform | undefined> {
  if (platform || platformFailed) return platform;
  const { env } = await ensureTestInfra();
  try {
    const wiped = await wipeNamespace(
      { adminUrl: env.PG_ADMIN_URL, kafka: kafkaConnection(env.KAFKA_BROKERS, env), redisUrl: env.REDIS_URL, etcdEndpoints: env.ETCD_ENDPOINTS },
      'test',
    );
    console.log(`[platform] namespace test starts clean (removed ${wiped})`);
    // service output goes to the platform's log files; only launcher lines reach the terminal
    platform = await tracked(startPlatform({
      ns: 'test',
      gatewayPort: systemGatewayPort,
      env: testEnv,
      signal: interrupted.signal,
      prometheusPort: 0,
      zipkin: { port: 'free' },
      webApps: { ports: 'free' },
      print: (line) => { if (/^\[(platform|infra|apps)\]/.test(line)) console.log(line); },
    }));
  } catch (error) {
    platformFailed = true;
    console.error((error as Error).message);
    return undefined;
  }
  cleanups.push(stopTestPlatform);
  // As `npm start` does on a first start: the fresh namespace gets the demo catalog (e2e/first-run checks it).
  await seedIfEmpty({ gatewayUrl: platform.gatewayUrl, ns: platform.ns, staffEmail: platform.staff.email, staffPassword: platform.staff.password }, (line) => { if (!/^\[seed\] (products|stock) \d/.test(line)) console.log(line); });
  return platform;
}

async function stopTestPlatform(): Promise<void> {
  const running = platform;
  platform = undefined;
  platformFailed = true;
  await running?.stop();
}

function platformEnv(platform: Platform): NodeJS.ProcessEnv {
  return {
    ...testEnv,
    GATEWAY_URL: platform.gatewayUrl,
    PLATFORM_LOG_DIR: platform.logDir,
    STAFF_EMAIL: platform.staff.email,
    STAFF_PASSWORD: platform.staff.password,
    ...(platform.prometheusUrl ? { PROMETHEUS_URL: platform.prometheusUrl } : {}),
    ...(platform.zipkinUrl ? { ZIPKIN_URL: platform.zipkinUrl } : {}),
    ...(platform.alertmanagerUrl ? { ALERTMANAGER_URL: platform.alertmanagerUrl } : {}),
    ...Object.fromEntries(platform.apps.map((app) => [app.urlEnv, app.url])),
  };
}

async function runStage(stage: Stage): Promise<Omit<StageResult, 'stage' | 'durationMs'>> {
  switch (stage) {
    case 'install': {
      const install = JSON.parse(process.env.MERIDIAN_INSTALL ?? '{"note":"not run through scripts/bootstrap.mjs","ms":0}');
      console.log(install.note);
      // Debian packages first: unit tests already run promtool, later stages etcd, Prometheus and Chromium.
      const installed = await ensureDebianPackages(testCommands, (line) => console.log(`[install] ${line}`));
      return { note: [install.note, installed.length > 0 ? `apt: ${installed.join(', ')}` : ''].filter(Boolean).join('; '), ok: true };
    }
    case 'typecheck':
      return runTypecheck();
    case 'unit': {
      const files = findTests(codeRoots, '**/*.unit.test.ts');
      if (files.length === 0) return { note: 'skipped: no *.unit.test.ts files', ok: true };
      return runNodeTests(stage, files, { env: testEnv, timeoutMs: 60_000, stageTimeoutMs: 5 * 60_000 });
    }
    case 'integration': {
      const files = findTests(codeRoots, '**/*.int.test.ts');
      if (files.length === 0) return { note: 'skipped: no *.int.test.ts files', ok: true };
      await ensureTestInfra();
      return runNodeTests(stage, files, { env: testEnv, concurrency: 1, timeoutMs: 180_000, stageTimeoutMs: 15 * 60_000 });
    }
    case 'lint':
      return lintStage({ env: testEnv, resultsDir });
    case 'contract':
      await ensureTestInfra();
      return contractStage({ env: testEnv, resultsDir, services: affected });
    case 'build':
      return buildStage({ env: testEnv, services: affected });
    case 'system': {
      const files = findTests(codeRoots, '**/*.system.test.ts');
      if (files.length === 0) return { note: 'skipped: no system test files', ok: true };
      const platform = await ensureTestPlatform();
      if (!platform) return { files: files.length, passed: 0, failed: 1, note: 'platform failed to start', ok: false };
      const result = await runNodeTests(stage, files, { env: platformEnv(platform), concurrency: 1, timeoutMs: 300_000, stageTimeoutMs: 15 * 60_000 });
      return { ...result, note: [result.note, `service logs in ${platform.logDir}`].filter(Boolean).join('; ') };
    }
    case 'e2e': {
      const files = findTests(['e2e'], '**/*.e2e.test.ts');
      if (files.length === 0) return { note: 'skipped: no *.e2e.test.ts files', ok: true };
      await ensureChromium((line) => console.log(`[e2e] ${line}`));
      const platform = await ensureTestPlatform();
      if (!platform) return { files: files.length, passed: 0, failed: 1, note: 'platform failed to start', ok: false };
      const result = await runNodeTests(stage, files, { env: platformEnv(platform), concurrency: 1, timeoutMs: 180_000, stageTimeoutMs: 10 * 60_000 });
      return { ...result, note: [result.note, 'screenshots and traces of failures in test-results/'].filter(Boolean).join('; ') };
    }
    case 'chaos': {
      await stopTestPlatform(); // the chaos platforms need the machine's cores
      // each file starts its own Kafka, etcd, Redis and platform (test/chaos/harness.ts); only PostgreSQL is shared
      const files = findTests(codeRoots, '**/*.chaos.test.ts');
      if (files.length === 0) return { note: 'skipped: no *.chaos.test.ts files', ok: true };
      await ensureTestInfra();
      return runNodeTests(stage, files, { env: testEnv, concurrency: 1, timeoutMs: 300_000, stageTimeoutMs: 15 * 60_000 });
    }
  }
}

const results: StageResult[] = [];
try {
  for (const stage of stages.filter((s) => selected.includes(s))) {
    header(stage);
    const startedAt = Date.now();
    let result: Omit<StageResult, 'stage' | 'durationMs'>;
    try {
      result = await runStage(stage);
    } catch (error) {
      console.error(`[test] ${stage} failed: ${(error as Error).message}`);
      result = { passed: 0, failed: 1, note: `error: ${(error as Error).message.split('\n')[0]}`, ok: false };
    }
    const durationMs = (stage === 'install' ? JSON.parse(process.env.MERIDIAN_INSTALL ?? '{"ms":0}').ms : 0) + Date.now() - startedAt;
    results.push({ stage, durationMs, ...result });
    console.log(`━━━━ ${stage}: ${result.ok ? 'ok' : 'FAILED'} (${secondsOf(durationMs)})`);
  }
} finally {
  await cleanUp();
}

const cell = (value: number | undefined) => (value === undefined ? '-' : String(value));
const table = [
  ['stage', 'files', 'passed', 'failed', 'duration', 'note'],
  ...results.map((r) => [r.stage, cell(r.files), cell(r.passed), cell(r.failed), secondsOf(r.durationMs ?? 0), r.note]),
];
const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
console.log('\nSummary');
for (const row of table) {
  console.log(row.map((value, column) => (column >= 1 && column <= 4 ? value.padStart(widths[column]) : value.padEnd(widths[column]))).join('  ').trimEnd());
}
const passed = results.reduce((sum, r) => sum + (r.passed ?? 0), 0);
const failed = results.reduce((sum, r) => sum + (r.failed ?? 0), 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
