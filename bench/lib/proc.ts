/** Child processes for the benchmarks: CPU accounting, bounded external tools, long-running Node servers. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export const projectNode = join(repoRoot, 'node_modules', '.bin', 'node');

const clockTicks = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(out.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** utime + stime of a /proc/<pid>/stat line, in seconds (the command name may contain spaces and parens). */
export function parseProcStat(line: string, ticks = clockTicks): number {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** CPU seconds this process has used so far. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export interface Machine {
  cpus: number;
  loadavg: number[];
  node: string;
  at: string;
}

export function machine(): Machine {
  return { cpus: availableParallelism(), loadavg: loadavg().map((l) => Math.round(l * 100) / 100), node: process.version, at: new Date().toISOString() };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** CPU seconds of the command and its children (bash `times`). */
  cpuSeconds: number;
}

/**
 * Runs an external tool to completion (killed after `timeoutMs`), with its CPU time measured by the
 * wrapping shell's `times` builtin, written to fd 3 so it never mixes with the tool's output.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<CommandResult> {
  const script = '"$@"; rc=$?; times >&3; exit $rc';
  const child = spawn('bash', ['-c', script, 'bench', command, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so a timeout kills the tool too
  });
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[], times: [] as Buffer[] };
  child.stdout!.on('data', (c: Buffer) => chunks.stdout.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.stderr.push(c));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => chunks.times.push(c));
  const startedAt = performance.now();
  const timer = setTimeout(() => killGroup(child), options.timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return {
    code,
    stdout: Buffer.concat(chunks.stdout).toString(),
    stderr: Buffer.concat(chunks.stderr).toString(),
    wallMs: performance.now() - startedAt,
    cpuSeconds: parseTimes(Buffer.concat(chunks.times).toString()),
  };
}

/** The children's line of bash `times` ("0m1.200s 0m0.300s") as seconds. */
export function parseTimes(output: string): number {
  const lines = output.trim().split('\n');
  const children = lines[1] ?? '';
  let total = 0;
  for (const [, minutes, seconds] of children.matchAll(/(\d+)m([\d.]+)s/g)) total += Number(minutes) * 60 + Number(seconds);
  return total;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export interface NodeServer {
  pid: number;
  /** First stdout line of the child: its JSON announcement (e.g. `{ "url": ... }`). */
  announcement: Record<string, unknown>;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * Starts `node <script>` (Node 24) whose first stdout line is a JSON announcement; stderr goes to
 * `logFile`. `stop()` sends SIGTERM, then SIGKILL after 5 s.
 */
export async function startNodeServer(script: string, options: { env?: NodeJS.ProcessEnv; logFile: string; timeoutMs?: number }): Promise<NodeServer> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(projectNode, [script], { cwd: repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', log] });
  const announcement = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`${script} did not announce itself within ${options.timeoutMs ?? 15_000} ms`)), options.timeoutMs ?? 15_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code} before announcing itself (log: ${options.logFile})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      try {
        resolve(JSON.parse(buffered.slice(0, newline)));
      } catch {
        fail(new Error(`${script} announced something that is not JSON: ${buffered.slice(0, newline)}`));
      }
    });
  });
  return { pid: child.pid!, announcement, cpuSeconds: () => cpuSecondsOf(child.pid!), stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
