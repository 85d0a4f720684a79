import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect, createServer } from 'node:net';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const seconds = (sinceMs: number) => `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;

/** Runs a command to completion; rejects with its output when it fails. */
export function run(cmd: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => { output += chunk; });
    child.stderr!.on('data', (chunk) => { output += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${output.trim()}`));
    });
  });
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export function commandExists(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${cmd}`));
}

/**
 * The environment for a Go server of the local platform (etcd, Prometheus): one processor for Go code
 * (`GOMAXPROCS=1`) unless the caller chose otherwise. A bare etcd with the platform's 11 lease holders and
 * watchers made 0.55x the context switches and used 0.78x the CPU with one as with two
 * (docs/benchmarks.md, session 14).
 */
export function goServerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, GOMAXPROCS: env.GOMAXPROCS ?? '1' };
}

export interface Daemon {
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts a long-running process in its own process group (so a terminal Ctrl-C reaches only us and
 * we decide the shutdown order), with stdout/stderr appended to `logFile`.
 */
export function startDaemon(cmd: string, args: string[], logFile: string, options: SpawnOptions = {}): Daemon {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { ...options, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return daemonOf(child);
}

/** Wraps a detached child: `stop()` sends SIGTERM to its group, then SIGKILL after `timeoutMs`. */
export function daemonOf(child: ChildProcess): Daemon {
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  return {
    child,
    exited,
    async stop(timeoutMs = 15_000) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      signal('SIGKILL'); // anything left in the group
    },
  };
}

/**
 * Polls `check` until it passes. Fails early when `daemon` exits, and on timeout, with `what` and
 * the tail of `logFile` in the message; a `daemon` that did not become ready is stopped before it fails.
 */
export async function waitUntilReady(
  check: () => Promise<boolean>,
  { what, timeoutMs, daemon, logFile }: { what: string; timeoutMs: number; daemon?: Daemon; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  daemon?.exited.then((code) => { exitCode = code; });
  try {
    while (!(await check())) {
      const logs = logFile ? `\n--- last lines of ${logFile} ---\n${tail(logFile)}` : '';
      if (exitCode !== undefined) throw new Error(`${what} exited (code ${exitCode}) before it was ready${logs}`);
      if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs / 1000} s${logs}`);
      await sleep(250);
    }
  } catch (error) {
    await daemon?.stop();
    throw error;
  }
}

/** True when `url`'s `/-/ready` answers 2xx within a second (Prometheus and Alertmanager both serve it). */
export async function readyEndpointAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/-/ready', url), { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Whether a server can bind 127.0.0.1:`port` right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port free right now on 127.0.0.1, taken below Linux's ephemeral range (32768+): a port that
 * listen(0) hands out is an ephemeral one, which any process's next outgoing connection may take before
 * our server binds it (a chaos run lost Kafka that way). With `pair`, port + 1 is free too (Kafka's
 * controller and etcd's peer listen there).
 */
export async function freePort(options: { pair?: boolean } = {}): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = options.pair ? [port, port + 1] : [port];
    // A port handed out earlier may not be bound yet (a server starting), so bindable alone would repeat it.
    if (ports.some((p) => handedOut.has(p))) continue;
    if (!(await everyBindable(ports))) continue;
    for (const p of ports) handedOut.add(p);
    return port;
  }
}

async function everyBindable(ports: number[]): Promise<boolean> {
  for (const port of ports) if (!(await bindable(port))) return false;
  return true;
}

/** Every port `freePort` returned in this process: never handed out twice. */
const handedOut = new Set<number>();

/** Whether something accepts TCP connections at host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** host and port of `host:port` or a URL. */
export function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || defaultPort };
}
