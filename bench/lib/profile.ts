/** Summaries of V8 `.cpuprofile` files (`node --cpu-prof`): where the self time goes. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './paths.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  share: number;
}

export interface ProfileSummary {
  file: string;
  sampledMs: number;
  /** Share of the samples the process was busy (not idle); the shares below are of the busy samples. */
  busyShare: number;
  /** Functions by self time. */
  functions: SelfTime[];
  /** Self time by package (`fastify`, `pino`, `@meridian/http`, `node:internal`, `(gc)`, ...). */
  packages: SelfTime[];
}

/** The package a script URL belongs to. */
export function packageOf(url: string): string {
  if (!url) return '(native/vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = path.slice(modules + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const inRepo = relative(repoRoot, path).split('/');
  if (inRepo[0] === 'packages') return `@meridian/${inRepo[1]}`;
  if (inRepo[0] === 'services' || inRepo[0] === 'contracts') return `${inRepo[0]}/${inRepo[1] ?? ''}`;
  return inRepo.join('/');
}

function top(map: Map<string, number>, total: number, count: number): SelfTime[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => ({ name, share: Math.round((hits / total) * 1000) / 10 }));
}

export function summarizeProfile(file: string, count = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${relative(repoRoot, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const pkg = url ? packageOf(url) : functionName.startsWith('(') ? functionName : '(native/vm)';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  return {
    file: relative(repoRoot, file),
    sampledMs: (profile.endTime - profile.startTime) / 1000,
    busyShare: Math.round((total / (total + idle)) * 1000) / 10,
    functions: top(byFunction, total, count),
    packages: top(byPackage, total, count),
  };
}

/** Summaries of the profiles `processes` wrote into `dir` (V8 names them `CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`). */
export function summarizeProfiles(dir: string, processes: { service: string; pid: number }[]): (ProfileSummary & { service: string })[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')) : [];
  return processes.flatMap(({ service, pid }) => {
    const file = files.find((name) => name.split('.')[3] === String(pid));
    return file ? [{ service, ...summarizeProfile(join(dir, file)) }] : [];
  });
}
