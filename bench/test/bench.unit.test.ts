import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseProcStat, parseTimes } from '../lib/proc.ts';
import { packageOf, summarizeProfile } from '../lib/profile.ts';
import { formatResult, withTargets, type BenchResult } from '../lib/report.ts';
import { percentile, perSecond, ratio, summarize, targetMet } from '../lib/stats.ts';

test('percentile uses the nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('summarize sorts its input and reports p50/p90/p99, min, max and mean', () => {
  const summary = summarize([5, 1, 4, 2, 3]);
  assert.deepEqual(summary, { count: 5, min: 1, p50: 3, p90: 5, p99: 5, max: 5, mean: 3 });
  assert.equal(summarize([]).count, 0);
});

test('ratio refuses a missing or zero denominator; perSecond scales to seconds', () => {
  assert.equal(ratio(50, 100), 0.5);
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(Number.NaN, 2), null);
  assert.equal(perSecond(300, 1500), 200);
});

test('targets are met at or above atLeast and strictly below below', () => {
  assert.equal(targetMet({ name: 'r', value: 0.5, atLeast: 0.5 }), true);
  assert.equal(targetMet({ name: 'r', value: 0.49, atLeast: 0.5 }), false);
  assert.equal(targetMet({ name: 'p99', value: 100, below: 100 }), false);
  assert.equal(targetMet({ name: 'p99', value: 99.9, below: 100 }), true);
  assert.equal(targetMet({ name: 'x', value: null, atLeast: 1 }), null);
  assert.deepEqual(withTargets([{ name: 'r', value: 0.12345, atLeast: 0.5 }]), [{ name: 'r', value: 0.123, atLeast: 0.5, met: false }]);
});

test('parseProcStat reads utime + stime even when the command name has spaces and parens', () => {
  const line = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 123 0 0';
  assert.equal(parseProcStat(line, 100), 3);
});

test('parseTimes sums the children line of bash `times`', () => {
  assert.equal(parseTimes('0m0.010s 0m0.002s\n1m2.500s 0m0.500s\n'), 63);
  assert.equal(parseTimes(''), 0);
});

test('packageOf attributes scripts to packages', () => {
  assert.equal(packageOf('file:///work/main/node_modules/pino/lib/tools.js'), 'pino');
  assert.equal(packageOf('file:///work/main/node_modules/@pinojs/redact/index.js'), '@pinojs/redact');
  assert.equal(packageOf('node:internal/streams/writable'), 'node:internal');
  assert.equal(packageOf(''), '(native/vm)');
});

test('summarizeProfile ranks busy self time and leaves idle out of the shares', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const file = join(dir, 'x.cpuprofile');
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '0' });
  writeFileSync(file, JSON.stringify({
    startTime: 0,
    endTime: 2_000_000,
    nodes: [
      { id: 1, callFrame: frame('(root)'), hitCount: 0 },
      { id: 2, callFrame: frame('(idle)'), hitCount: 50 },
      { id: 3, callFrame: frame('write', 'file:///x/node_modules/pino/lib/proto.js'), hitCount: 30 },
      { id: 4, callFrame: frame('handler', 'node:internal/http'), hitCount: 20 },
    ],
  }));
  const summary = summarizeProfile(file);
  assert.equal(summary.sampledMs, 2000);
  assert.equal(summary.busyShare, 50);
  assert.deepEqual(summary.packages, [{ name: 'pino', share: 60 }, { name: 'node:internal', share: 40 }]);
  assert.equal(summary.functions[0].share, 60);
});

test('formatResult prints a row per variant and a verdict per target', () => {
  const machine = { cpus: 2, loadavg: [1, 1, 1], node: 'v24', at: '2026-01-01T00:00:00.000Z' };
  const result: BenchResult = {
    name: 'demo',
    description: 'demo',
    quick: true,
    machine: { before: machine, after: machine },
    settings: {},
    rows: [{ variant: 'bare', kind: 'baseline', throughput: 1000, unit: 'req/s', p50Ms: 1, p99Ms: 3 }],
    targets: withTargets([{ name: 'platform / bare', value: 0.6, atLeast: 0.5 }]),
    notes: [],
  };
  const text = formatResult(result);
  assert.match(text, /bare\s+baseline\s+1000 req\/s\s+1\s+3/);
  assert.match(text, /platform \/ bare: 0.6 \(target >= 0.5\) MET/);
});

test('machine CPU: busy seconds from /proc/stat, processes grouped by platform part', async () => {
  const { cpuBetween, machineBusySeconds, partOf } = await import('../lib/machine.ts');
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy
  assert.equal(machineBusySeconds('cpu  100 0 50 1000 30 5 5 0 0 0\ncpu0 1 2 3\n'), 160 / 100);
  assert.equal(partOf('/x/node_modules/.bin/node /x/services/orders/src/main.ts'), 'orders');
  assert.equal(partOf('/x/node /x/apps/ops-console/server/main.ts'), 'ops-console');
  assert.equal(partOf('java -Xmx1G -cp /x/.cache/kafka/4.1.1/libs/* kafka.Kafka /x/server.properties'), 'kafka');
  assert.equal(partOf('postgres: 15/main: meridian_orders orders 127.0.0.1(5000) idle'), 'postgresql');
  assert.equal(partOf('/usr/bin/etcd --data-dir /x'), 'etcd');
  assert.equal(partOf('java -Xmx384m -jar /x/.cache/zipkin/3.6.1/zipkin-server-exec.jar --armeria.ports[0].port=9411'), 'zipkin');
  assert.equal(partOf('prometheus-alertmanager --config.file=/x/alertmanager.yml'), 'alertmanager');
  assert.equal(partOf('/usr/bin/prometheus --config.file=/x/prometheus.yml'), 'prometheus');
  assert.equal(partOf('/usr/sbin/mariadbd'), 'other');
  assert.equal(partOf('node bench/run.ts', 'node bench/run.ts'), 'load generator (this process)');
  const before = { byPid: new Map([[1, { part: 'orders', seconds: 1 }], [2, { part: 'kafka', seconds: 5 }]]), machine: 10, at: 0 };
  const after = { byPid: new Map([[1, { part: 'orders', seconds: 1.5 }], [2, { part: 'kafka', seconds: 6 }], [3, { part: 'orders', seconds: 0.25 }]]), machine: 12, at: 2000 };
  const window = cpuBetween(before, after);
  assert.deepEqual(window.parts, { orders: 0.75, kafka: 1 });
  assert.equal(window.machineCores, 1);
});

test('machine wake-ups: context switches per thread and of the machine, per part over a window', async () => {
  const { cpuBetween, machineSwitches, switchesOf } = await import('../lib/machine.ts');
  const status = 'Name:\tnode\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t1200\nnonvoluntary_ctxt_switches:\t34\n';
  assert.equal(switchesOf(status), 1234);
  assert.equal(switchesOf('Name:\tkthreadd\n'), 0, 'a status without the lines counts none');
  assert.equal(machineSwitches('cpu  1 2 3 4\nintr 99 1 2\nctxt 987654\nbtime 1\n'), 987654);
  const before = { byPid: new Map([[1, { part: 'orders', seconds: 1, switches: 100 }], [2, { part: 'postgresql', seconds: 2, switches: 40 }]]), machine: 0, machineSwitches: 1000, at: 0 };
  const after = {
    byPid: new Map([
      [1, { part: 'orders', seconds: 1.1, switches: 130 }],
      [2, { part: 'postgresql', seconds: 2.2, switches: 90 }],
      [3, { part: 'postgresql', seconds: 0.1, switches: 7 }], // a backend that started within the window
    ]),
    machine: 1,
    machineSwitches: 1500,
    at: 1000,
  };
  const window = cpuBetween(before, after);
  assert.deepEqual(window.switches, { orders: 30, postgresql: 57 });
  assert.equal(window.machineSwitches, 500);
});

test('JIT compilers of the JVMs: their threads told apart, their CPU per part, and their share of the JVMs', async () => {
  const { cpuBetween, cpuSecondsOf, isJitCompilerThread } = await import('../lib/machine.ts');
  const { jitShare } = await import('../cost.ts');
  assert.equal(isJitCompilerThread('C2 CompilerThre\n'), true);
  assert.equal(isJitCompilerThread('C1 CompilerThre'), true);
  assert.equal(isJitCompilerThread('data-plane-kafk'), false);
  assert.equal(isJitCompilerThread('G1 Conc#0'), false);
  // utime 300 and stime 100 ticks (fields 14 and 15), a name with spaces and parentheses in it
  const stat = '4242 (C2 CompilerThre) S 1 1 1 0 -1 4194368 0 0 0 0 300 100 0 0 20 0 30 0 1 0 0';
  assert.equal(cpuSecondsOf(stat), 4, 'at 100 ticks a second');
  type Entry = { part: string; seconds: number; jitSeconds?: number };
  const jvm = (seconds: number, jitSeconds: number): Entry => ({ part: 'kafka', seconds, jitSeconds });
  const before = { byPid: new Map<number, Entry>([[1, jvm(10, 4)], [2, { part: 'orders', seconds: 3 }]]), machine: 0, at: 0 };
  const after = { byPid: new Map<number, Entry>([[1, jvm(12, 4.5)], [2, { part: 'orders', seconds: 4 }], [3, { part: 'zipkin', seconds: 1, jitSeconds: 0.5 }]]), machine: 4, at: 2000 };
  const window = cpuBetween(before, after);
  assert.deepEqual(window.jit, { kafka: 0.5, zipkin: 0.5 }, 'a JVM that started within the window counts from 0');
  assert.deepEqual(window.parts, { kafka: 2, orders: 1, zipkin: 1 });
  assert.equal(jitShare(window), 1 / 3, 'compiling 1 of the JVMs\' 3 CPU seconds; the Node process is no JVM');
  assert.equal(jitShare({ parts: { orders: 1 }, jit: {} }), 0, 'no JVM: nothing compiles');
});

test('PostgreSQL CPU split by the database (service) each backend serves', async () => {
  const { cpuBetween, databaseOf } = await import('../lib/machine.ts');
  assert.equal(databaseOf('postgres: 15/main: meridian_dev_orders meridian_dev_orders [local] idle'), 'orders');
  assert.equal(databaseOf('postgres: 15/main: meridian_bench_1a2b_ops-console meridian_bench_1a2b_ops-console [local] SELECT'), 'ops-console');
  assert.equal(databaseOf('postgres: meridian_orders shop 127.0.0.1(5000) idle in transaction'), 'shop', 'a database outside the platform keeps its name');
  assert.equal(databaseOf('postgres: 15/main: checkpointer '), undefined, 'a server process serves no database');
  assert.equal(databaseOf('postgres: 15/main: logical replication launcher '), undefined);
  const backend = (seconds: number, database?: string) => ({ part: 'postgresql', seconds, ...(database ? { database } : {}) });
  const before = { byPid: new Map([[1, backend(1, 'orders')], [2, backend(2, 'inventory')], [3, backend(5)]]), machine: 0, at: 0 };
  const after = { byPid: new Map([[1, backend(1.5, 'orders')], [2, backend(2.25, 'inventory')], [3, backend(5.5)], [4, backend(0.25, 'orders')]]), machine: 2, at: 1000 };
  const window = cpuBetween(before, after);
  assert.deepEqual(window.databases, { orders: 0.75, inventory: 0.25 });
  assert.equal(window.parts.postgresql, 1.5, 'the server processes count in the part, not in a database');
});
