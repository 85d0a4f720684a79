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

export interface ProcessSample {
  /** CPU seconds by pid, with the part each belongs to. */
  byPid: Map<number, { part: string; seconds: number }>;
  machine: number;
  at: number;
}

/** CPU seconds of every process now (a process's name is read once per sample). */
export function sampleProcesses(): ProcessSample {
  const self = readCmdline(process.pid);
  const byPid = new Map<number, { part: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / ticks;
      byPid.set(pid, { part: partOf(readCmdline(pid), self), seconds });
    } catch {
      // gone between the listing and the read
    }
  }
  return { byPid, machine: machineBusySeconds(), at: performance.now() };
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
}

/** CPU used between two samples: the machine's and each part's. */
export function cpuBetween(before: ProcessSample, after: ProcessSample): CpuWindow {
  const parts: Record<string, number> = {};
  for (const [pid, now] of after.byPid) {
    const then = before.byPid.get(pid);
    const used = now.seconds - (then && then.part === now.part ? then.seconds : 0);
    if (used > 0) parts[now.part] = (parts[now.part] ?? 0) + used;
  }
  const seconds = (after.at - before.at) / 1000;
  return { seconds, machineCores: (after.machine - before.machine) / seconds, parts };
}
