/**
 * Whole-machine CPU accounting from /proc: busy core-seconds of the machine (every process, the
 * kernel's work for them included) and the same split by process, grouped under the name of the
 * platform part it belongs to (a service, a web app, Kafka, PostgreSQL, ...).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const ticks = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(out.stdout?.trim());
  return Number.isInteger(value) && value > 0 ? value : 100;
})();

/**
 * Context switches of a thread since it started (voluntary: it waited for something; involuntary: it
 * was preempted), from its `/proc/<pid>/task/<tid>/status`: how often the thread was woken to work.
 */
export function switchesOf(status: string): number {
  const count = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return count('voluntary_ctxt_switches') + count('nonvoluntary_ctxt_switches');
}

/** Context switches of the whole machine since boot (`ctxt` of /proc/stat). */
export function machineSwitches(stat = readFileSync('/proc/stat', 'utf8')): number {
  return Number(/^ctxt (\d+)/m.exec(stat)?.[1] ?? 0);
}

/** Busy core-seconds of the whole machine since boot: /proc/stat's first line less idle and iowait. */
export function machineBusySeconds(stat = readFileSync('/proc/stat', 'utf8')): number {
  const [, ...fields] = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + (steal || 0)) / ticks;
}

/** The platform part a process belongs to, from its command line; `other` for the rest of the machine. */
export function partOf(cmdline: string, self = ''): string {
  if (self && cmdline === self) return 'load generator (this process)';
  const service = /\/services\/([\w-]+)\/src\/main\.ts/.exec(cmdline);
  if (service) return service[1];
  const app = /\/apps\/([\w-]+)\/server\//.exec(cmdline);
  if (app) return app[1];
  if (/zipkin-server/.test(cmdline)) return 'zipkin';
  if (/java .*kafka/i.test(cmdline) || /kafka\.Kafka|KafkaRaftServer|kafka-server/.test(cmdline)) return 'kafka';
  if (/^postgres|\/postgres\b|postgres:/.test(cmdline)) return 'postgresql';
  if (/redis-server/.test(cmdline)) return 'redis';
  if (/(^|\/)etcd\b/.test(cmdline)) return 'etcd';
  if (/(^|\/)(prometheus-)?alertmanager\b/.test(cmdline)) return 'alertmanager';
  if (/(^|\/)prometheus\b/.test(cmdline)) return 'prometheus';
  if (/scripts\/(start|platform)\.ts|bootstrap\.mjs/.test(cmdline)) return 'launcher';
  return 'other';
}

/**
 * The database a PostgreSQL backend serves, from its process title (`postgres: 15/main: <role> <database>
 * <client> <state>`), shortened to its service for the platform's `meridian_<ns>_<service>` databases.
 */
export function databaseOf(cmdline: string): string | undefined {
  const title = /^postgres: (?:[^:]+: )?(\S+) (\S+) (?:\[local\]|\d|\S+\(\d+\))/.exec(cmdline);
  if (!title) return undefined;
  const database = title[2]!;
  return /^meridian_.+_([a-z][\w-]*)$/.exec(database)?.[1] ?? database;
}

/** Parts that run on a JVM: their JIT compiler threads' CPU is read apart (`jitSeconds`). */
const jvmParts = new Set(['kafka', 'zipkin']);

/** A HotSpot JIT compiler thread, by its name (`C2 CompilerThread0` shows as `C2 CompilerThre` in comm). */
export function isJitCompilerThread(comm: string): boolean {
  return /^C[12] CompilerThre/.test(comm.trim());
}

/** CPU seconds (utime + stime) from a `/proc/<pid>/stat` or a thread's `/proc/<pid>/task/<tid>/stat`. */
export function cpuSecondsOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

export interface ProcessSample {
  /**
   * CPU seconds and context switches (of all its threads) by pid, with the part each belongs to; for
   * a PostgreSQL backend, the database it serves; for a JVM, the seconds of its JIT compiler threads.
   */
  byPid: Map<number, { part: string; seconds: number; switches?: number; database?: string; jitSeconds?: number }>;
  machine: number;
  /** The machine's context switches. */
  machineSwitches?: number;
  at: number;
}

/** CPU seconds of every process now (a process's name is read once per sample). */
export function sampleProcesses(): ProcessSample {
  const self = readCmdline(process.pid);
  const byPid = new Map<number, { part: string; seconds: number; switches: number; database?: string; jitSeconds?: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const seconds = cpuSecondsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      const cmdline = readCmdline(pid);
      const part = partOf(cmdline, self);
      const jvm = jvmParts.has(part);
      const threads = threadsOf(pid, jvm);
      byPid.set(pid, {
        part,
        seconds,
        switches: threads.switches,
        ...(part === 'postgresql' ? { database: databaseOf(cmdline) } : {}),
        ...(jvm ? { jitSeconds: threads.jitSeconds } : {}),
      });
    } catch {
      // gone between the listing and the read
    }
  }
  return { byPid, machine: machineBusySeconds(), machineSwitches: machineSwitches(), at: performance.now() };
}

/**
 * One pass over a process's threads: their context switches and, with `jit` (a JVM), the CPU seconds of
 * its JIT compiler threads (they end and start again as the JVM sees fit), told by the `Name:` of their status.
 */
function threadsOf(pid: number, jit: boolean): { switches: number; jitSeconds: number } {
  let switches = 0;
  let jitSeconds = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      switches += switchesOf(status);
      if (!jit || !isJitCompilerThread(/^Name:\s*(.*)$/m.exec(status)?.[1] ?? '')) continue;
      try {
        jitSeconds += cpuSecondsOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      } catch {
        // the thread ended between its status and its stat
      }
    }
  } catch {
    // the process or one of its threads ended between the listing and the read
  }
  return { switches, jitSeconds };
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

export interface CpuWindow {
  seconds: number;
  /** Busy cores of the whole machine over the window. */
  machineCores: number;
  /** CPU seconds per part over the window (processes that started within it count from 0). */
  parts: Record<string, number>;
  /** Context switches per part over the window, and of the whole machine (kernel threads included). */
  switches: Record<string, number>;
  machineSwitches: number;
  /** CPU seconds of PostgreSQL's backends by the database (service) they serve, within `parts.postgresql`. */
  databases: Record<string, number>;
  /**
   * CPU seconds of the JVMs' JIT compiler threads per part (`kafka`, `zipkin`), within `parts`: what a
   * young JVM spends compiling rather than serving. Compiler threads that ended within the window are
   * not counted, so this is a lower bound.
   */
  jit: Record<string, number>;
}

/** CPU used between two samples: the machine's and each part's. */
export function cpuBetween(before: ProcessSample, after: ProcessSample): CpuWindow {
  const parts: Record<string, number> = {};
  const switches: Record<string, number> = {};
  const databases: Record<string, number> = {};
  const jit: Record<string, number> = {};
  for (const [pid, now] of after.byPid) {
    const then = before.byPid.get(pid);
    const same = then && then.part === now.part;
    const used = now.seconds - (same ? then.seconds : 0);
    if (used > 0) parts[now.part] = (parts[now.part] ?? 0) + used;
    if (used > 0 && now.database) databases[now.database] = (databases[now.database] ?? 0) + used;
    const compiled = (now.jitSeconds ?? 0) - (same ? (then.jitSeconds ?? 0) : 0);
    if (compiled > 0) jit[now.part] = (jit[now.part] ?? 0) + compiled;
    const woken = (now.switches ?? 0) - (same ? (then.switches ?? 0) : 0);
    if (woken > 0) switches[now.part] = (switches[now.part] ?? 0) + woken;
  }
  const seconds = (after.at - before.at) / 1000;
  const machineSwitches = (after.machineSwitches ?? 0) - (before.machineSwitches ?? 0);
  return { seconds, machineCores: (after.machine - before.machine) / seconds, parts, switches, machineSwitches, databases, jit };
}
