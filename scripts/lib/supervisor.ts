import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { daemonOf } from './proc.ts';
import { formatLogLine } from './service-logs.ts';

export interface SupervisorOptions {
  name: string;
  /** Entry script, run with this Node (Node 24). */
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Every raw output line is appended here. */
  logFile: string;
  /** Prefixed (and, unless rawLogs, prettified) output lines go here. */
  print: (line: string) => void;
  prefix: string;
  rawLogs?: boolean;
  maxRestarts?: number;
}

export interface Supervised {
  name: string;
  logFile: string;
  /** 'running', 'restarting' (waiting out a backoff) or 'failed' (gave up after maxRestarts). */
  state(): 'running' | 'restarting' | 'failed';
  /** Fault injection: sends `signal` to the child, which is then restarted like after a crash (with `env` merged in). */
  kill(signal: NodeJS.Signals, env?: NodeJS.ProcessEnv): void;
  stop(): Promise<void>;
}

/** Extra Node flags for every service process, e.g. `MERIDIAN_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/profiles"`. */
function nodeArgs(env: NodeJS.ProcessEnv): string[] {
  return (env.MERIDIAN_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/** A run this long counts as healthy: a later crash starts the restart budget afresh. */
const stableRunMs = 60_000;

/** How many of a child's last stderr lines are kept to explain a crash. */
const stderrTailLines = 40;
const errorHeadline = /^\s*(Uncaught )?[\w$.]*(Error|Exception)\b.*:|^\s*\[?[\w$.]*(Error|Exception)\]?\s*$/;

/**
 * What a crashed child last said on stderr, as an indented block: its last error headline and the stack
 * frame under it (what Node prints for an uncaught exception), else its last two lines; '' if nothing.
 */
export function lastWords(stderrTail: string[]): string {
  const lines = stderrTail.filter((line) => line.trim() !== '');
  if (lines.length === 0) return '';
  const headline = lines.findLastIndex((line) => errorHeadline.test(line));
  const quoted = headline >= 0 ? lines.slice(headline, headline + 2) : lines.slice(-2);
  return `\n  its last error output:\n${quoted.map((line) => `    ${line.trim()}`).join('\n')}`;
}

/**
 * Runs a service as a child process, prefixing its output, and restarts it with exponential backoff
 * (1 s, 2 s, 4 s, ...) when it exits unexpectedly, at most `maxRestarts` times in a row.
 */
export function supervise(options: SupervisorOptions): Supervised {
  const { name, script, cwd, logFile, print, prefix, rawLogs = false, maxRestarts = 5 } = options;
  let env = options.env;
  // Written synchronously: a page-cache append costs less than handing each chunk to the thread pool.
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  let outputClosed: Promise<void>;
  let state: 'running' | 'restarting' | 'failed' = 'running';
  let restarts = 0;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let stderrTail: string[] = [];

  // A chunk's complete lines are handled together: one write to the log file per chunk.
  const pipeLines = (stream: NodeJS.ReadableStream, tail?: string[]) => {
    let partial = '';
    const handle = (text: string) => {
      writeSync(logFd, text);
      for (const line of text.split(/\r?\n/).slice(0, -1)) {
        print(`${prefix} ${rawLogs ? line : formatLogLine(line)}`);
        if (tail && tail.push(line) > stderrTailLines) tail.shift();
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const end = chunk.lastIndexOf('\n');
      if (end < 0) return void (partial += chunk);
      handle(partial + chunk.slice(0, end + 1));
      partial = chunk.slice(end + 1);
    });
    stream.on('end', () => partial && handle(`${partial}\n`));
  };

  const launch = () => {
    state = 'running';
    const startedAt = Date.now();
    // own process group: a terminal Ctrl-C reaches only the launcher, which stops services in order
    child = spawn(process.execPath, [...nodeArgs(env), script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    stderrTail = [];
    pipeLines(child.stdout!);
    pipeLines(child.stderr!, stderrTail);
    outputClosed = new Promise((resolve) => child.once('close', () => resolve()));
    child.on('error', (error) => print(`[platform] ${name}: could not start: ${error.message}`));
    // 'close' (not 'exit'): the child's output is read to its end, so the crash message can quote it
    child.on('close', (code, signal) => {
      if (stopping) return;
      if (Date.now() - startedAt > stableRunMs) restarts = 0;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (restarts >= maxRestarts) {
        state = 'failed';
        print(`[platform] ✖ ${name} exited (${how}) — gave up after ${maxRestarts} restarts; see ${logFile}${lastWords(stderrTail)}`);
        return;
      }
      restarts += 1;
      const delayMs = 1000 * 2 ** (restarts - 1);
      state = 'restarting';
      print(`[platform] ✖ ${name} exited (${how}) — restarting in ${delayMs / 1000} s (restart ${restarts}/${maxRestarts})${lastWords(stderrTail)}`);
      restartTimer = setTimeout(launch, delayMs);
    });
  };

  launch();
  return {
    name,
    logFile,
    state: () => state,
    kill(signal, extraEnv) {
      env = { ...env, ...extraEnv };
      child.kill(signal);
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      await daemonOf(child).stop(10_000);
      await outputClosed;
      closeSync(logFd);
    },
  };
}
