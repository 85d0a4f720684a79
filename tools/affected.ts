// Which deployables (services/*, apps/* with a server) a change affects: their own files, the
// workspace packages they use (package.json deps and imports, transitively), the contracts they
// are party to. `node tools/affected.ts [--base <ref>] [--json] [--explain] [files...]`
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { readPacts } from './lib/matrix.ts';
import { repoRoot } from './lib/paths.ts';

export interface Unit {
  /** Repo-relative folder, e.g. `packages/auth`, `services/orders`, `contracts`. */
  dir: string;
  /** Package name when it has one (`@meridian/auth`). */
  packageName?: string;
  /** Deployable name (`orders`, `storefront`), for services and apps with a server. */
  deployable?: string;
  /** Units (by dir) it uses. */
  uses: Set<string>;
}

export interface Graph {
  units: Map<string, Unit>;
  /** consumer/provider pairs of the pact files (`file` repo-relative). */
  pacts: { consumer: string; provider: string; file: string }[];
}

/** Changes here affect every deployable: the toolchain, the pipeline, root dependencies. */
const everything = [/^package(-lock)?\.json$/, /^tsconfig\.json$/, /^biome\.json$/, /^\.ci\//, /^\.github\//, /^scripts\//, /^tools\//];
/** Changes here affect no deployable. */
const nothing = [/\.md$/, /^docs\//, /^bench\//, /^contracts\/verifications\//, /^contracts\/deployments\.json$/, /(^|\/)\.gitignore$/];

const sourceFile = /\.(ts|tsx|mts|js|mjs)$/;
const importPattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

/** Not part of the package around them: the contract tests import every service (handled on their own). */
const notPackageSource = new Set(['contracts/pact']);

function walk(root: string, dir: string, files: string[] = []): string[] {
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (notPackageSource.has(relative(root, path).split(sep).join('/'))) continue;
    if (statSync(path).isDirectory()) walk(root, path, files);
    else if (sourceFile.test(name)) files.push(path);
  }
  return files;
}

function subdirs(root: string, parent: string): string[] {
  const dir = join(root, parent);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && statSync(join(dir, name)).isDirectory())
    .map((name) => `${parent}/${name}`);
}

const readJson = (file: string) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);

/** A service is deployable; an app is when it has a server entry point (apps/shared is a library). */
function deployableName(root: string, dir: string): string | undefined {
  const [parent, name] = dir.split('/');
  if (parent === 'services') return name;
  if (parent === 'apps' && existsSync(join(root, dir, 'server', 'main.ts'))) return name;
  return undefined;
}

export function buildGraph(root = repoRoot): Graph {
  const dirs = [...subdirs(root, 'packages'), 'contracts', ...subdirs(root, 'services'), ...subdirs(root, 'apps')];
  const units = new Map<string, Unit>();
  for (const dir of dirs) {
    const pkg = readJson(join(root, dir, 'package.json'));
    units.set(dir, { dir, packageName: pkg?.name, deployable: deployableName(root, dir), uses: new Set() });
  }
  const byPackage = new Map([...units.values()].filter((u) => u.packageName).map((u) => [u.packageName!, u.dir]));
  const unitOf = (path: string) => ownerUnit(units, path);

  for (const unit of units.values()) {
    const pkg = readJson(join(root, unit.dir, 'package.json')) ?? {};
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      const dep = byPackage.get(name);
      if (dep && dep !== unit.dir) unit.uses.add(dep);
    }
    for (const file of walk(root, join(root, unit.dir))) {
      for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
        const specifier = match[1] ?? match[2] ?? match[3];
        let dep: string | undefined;
        if (specifier.startsWith('.')) dep = unitOf(relative(root, resolve(dirname(file), specifier)).split(sep).join('/'));
        else dep = byPackage.get(specifier.split('/').slice(0, 2).join('/'));
        if (dep && dep !== unit.dir) unit.uses.add(dep);
      }
    }
  }
  const pacts = readPacts(join(root, 'contracts', 'pacts')).map(({ consumer, provider, file }) => ({
    consumer,
    provider,
    file: relative(root, file).split(sep).join('/'),
  }));
  return { units, pacts };
}

function ownerUnit(units: Map<string, Unit>, path: string): string | undefined {
  return [...units.keys()].filter((dir) => path === dir || path.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length)[0];
}

/** Every unit `dir` uses, directly or not, including itself. */
function closure(graph: Graph, dir: string, seen = new Set<string>()): Set<string> {
  if (seen.has(dir)) return seen;
  seen.add(dir);
  for (const dep of graph.units.get(dir)?.uses ?? []) closure(graph, dep, seen);
  return seen;
}

export interface Affected {
  /** Deployable → why it is affected (one reason per changed file that reaches it). */
  reasons: Map<string, string[]>;
}

export function affectedBy(changedFiles: string[], graph: Graph): Affected {
  const deployables = [...graph.units.values()].filter((u) => u.deployable);
  const reasons = new Map<string, string[]>();
  const mark = (name: string, why: string) => reasons.set(name, [...(reasons.get(name) ?? []), why]);
  const partiesOf = (service: string) => graph.pacts.filter((p) => p.provider === service).map((p) => p.consumer);

  for (const file of changedFiles.map((f) => f.replace(/^\.\//, ''))) {
    if (nothing.some((pattern) => pattern.test(file))) continue;
    if (everything.some((pattern) => pattern.test(file))) {
      for (const unit of deployables) mark(unit.deployable!, `${file} (toolchain)`);
      continue;
    }
    const pact = graph.pacts.find((p) => p.file === file);
    if (pact || /^contracts\/pacts\//.test(file)) {
      // A pact file names its two parties (a deleted one still does, by file name).
      const [consumer, provider] = pact ? [pact.consumer, pact.provider] : file.replace(/^.*\//, '').replace(/\.json$/, '').split('-');
      for (const name of [consumer, provider]) if (deployables.some((u) => u.deployable === name)) mark(name, `${file} (pact)`);
      continue;
    }
    if (/^contracts\/pact\//.test(file)) {
      for (const name of new Set(graph.pacts.flatMap((p) => [p.consumer, p.provider]))) mark(name, `${file} (contract tests)`);
      continue;
    }
    const events = file.match(/^contracts\/events\/(\w+)\.ts$/);
    if (events && deployables.some((u) => u.deployable === events[1])) {
      // One producer's event schemas: the producer and the consumers of its pacts.
      for (const name of [events[1], ...partiesOf(events[1])]) mark(name, `${file} (events of ${events[1]})`);
      continue;
    }
    const owner = ownerUnit(graph.units, file);
    if (!owner) {
      for (const unit of deployables) mark(unit.deployable!, `${file} (outside any package: assumed global)`);
      continue;
    }
    for (const unit of deployables) if (closure(graph, unit.dir).has(owner)) mark(unit.deployable!, unit.dir === owner ? file : `${file} (via ${owner})`);
  }
  return { reasons };
}

/** Files changed since `base` (committed, staged, unstaged and untracked). */
export function changedFiles(base: string, root = repoRoot): string[] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...new Set([...git('diff', '--name-only', base), ...git('ls-files', '--others', '--exclude-standard')])].sort();
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { base: { type: 'string' }, json: { type: 'boolean' }, explain: { type: 'boolean' } },
  });
  const files = positionals.length > 0 ? positionals : changedFiles(values.base ?? 'HEAD');
  const { reasons } = affectedBy(files, buildGraph());
  const names = [...reasons.keys()].sort();
  if (values.json) console.log(JSON.stringify(names));
  else if (values.explain) for (const name of names) console.log(`${name}\n${reasons.get(name)!.map((r) => `  ${r}`).join('\n')}`);
  else for (const name of names) console.log(name);
}
