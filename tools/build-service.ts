// Builds one deployable into a self-contained folder: its modules and the workspace packages they
// import, compiled to JavaScript, their runtime assets (migrations, sql, built web assets), and
// only the npm packages they need at run time (no dev dependencies).
// `node tools/build-service.ts <service> [--out <dir>] [--check]`; the Dockerfiles run the same.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { repoRoot } from './lib/paths.ts';
import { participantDir, participantVersion } from './lib/versions.ts';

const compilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2023,
  verbatimModuleSyntax: true,
  rewriteRelativeImportExtensions: true,
};
const specifierPattern = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s*['"]([^'"]+)['"]/g;
/** `import.meta.resolve('pkg/file')`: a file the code reads (a browser bundle, a stylesheet), not a module it runs. */
const resolvedFilePattern = /import\.meta\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g;
const builtins = new Set(builtinModules);

interface Unit {
  /** Absolute source folder. */
  dir: string;
  /** Folder inside the artifact. */
  outDir: string;
}

export interface BuildResult {
  out: string;
  version: string;
  modules: number;
  workspacePackages: string[];
  npmPackages: string[];
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const posix = (path: string) => path.split(sep).join('/');

/** Workspace package name → folder (packages/*, contracts). */
function workspacePackages(): Map<string, string> {
  const dirs = [...readdirSync(join(repoRoot, 'packages')).map((name) => join(repoRoot, 'packages', name)), join(repoRoot, 'contracts')];
  return new Map(dirs.filter((dir) => existsSync(join(dir, 'package.json'))).map((dir) => [readJson(join(dir, 'package.json')).name, dir]));
}

/** Finds `name` in node_modules from `fromDir` upwards, as Node resolves it. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) return undefined;
  }
}

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

export function buildService(name: string, out: string): BuildResult {
  const serviceDir = participantDir(name);
  if (!serviceDir) throw new Error(`no services/${name} or apps/${name}`);
  const entry = ['src/main.ts', 'server/main.ts'].map((path) => join(serviceDir, path)).find(existsSync);
  if (!entry) throw new Error(`${name} has no src/main.ts or server/main.ts`);

  rmSync(out, { recursive: true, force: true });
  const workspace = workspacePackages();
  const units = new Map<string, Unit>([[serviceDir, { dir: serviceDir, outDir: out }]]);
  const unitOf = (file: string) => [...units.values()].filter((u) => file.startsWith(`${u.dir}${sep}`)).sort((a, b) => b.dir.length - a.dir.length)[0];
  const npm = new Map<string, string>(); // package dir → artifact dir
  const withDependenciesAdded = new Set<string>(); // of those, the ones whose dependencies are copied too
  const imported = new Set<string>(); // npm packages the code imports itself
  const queue = [entry];
  const compiled = new Set<string>();

  function addNpmPackage(specifier: string, fromDir: string, withDependencies = true): void {
    const dir = resolvePackage(packageName(specifier), fromDir);
    if (!dir) throw new Error(`cannot resolve ${specifier} from ${relative(repoRoot, fromDir)}`);
    if (!npm.has(dir)) {
      const owner = unitOf(dir);
      npm.set(dir, owner ? join(owner.outDir, relative(owner.dir, dir)) : join(out, relative(repoRoot, dir)));
    }
    // A package only read as files needs no dependencies; once imported as a module it needs them all.
    if (!withDependencies || withDependenciesAdded.has(dir)) return;
    withDependenciesAdded.add(dir);
    const pkg = readJson(join(dir, 'package.json'));
    const needed = { ...pkg.dependencies, ...pkg.optionalDependencies };
    for (const dep of Object.keys(needed)) {
      if (resolvePackage(dep, dir)) addNpmPackage(dep, dir);
      else if (!(dep in (pkg.optionalDependencies ?? {}))) throw new Error(`${pkg.name} needs ${dep}, which is not installed`);
    }
  }

  while (queue.length > 0) {
    const file = queue.pop()!;
    if (compiled.has(file)) continue;
    compiled.add(file);
    const unit = unitOf(file);
    const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText;
    const target = join(unit.outDir, relative(unit.dir, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);

    for (const match of js.matchAll(specifierPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (specifier.startsWith('.')) {
        const source = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
        if (!existsSync(source)) throw new Error(`${relative(repoRoot, file)} imports ${specifier}, which does not exist`);
        if (!unitOf(source)) throw new Error(`${relative(repoRoot, file)} imports ${specifier} from outside its package`);
        queue.push(source);
      } else if (workspace.has(packageName(specifier))) {
        const dir = workspace.get(packageName(specifier))!;
        const pkg = readJson(join(dir, 'package.json'));
        if (!units.has(dir)) units.set(dir, { dir, outDir: join(out, 'node_modules', pkg.name) });
        const subpath = specifier === pkg.name ? '.' : `./${specifier.slice(pkg.name.length + 1)}`;
        const exported = typeof pkg.exports === 'string' && subpath === '.' ? pkg.exports : pkg.exports?.[subpath];
        if (!exported) throw new Error(`${pkg.name} does not export ${subpath}`);
        queue.push(join(dir, exported));
      } else if (!builtins.has(specifier) && !specifier.startsWith('node:')) {
        imported.add(packageName(specifier));
        addNpmPackage(specifier, dirname(file));
      }
    }
    for (const [, specifier] of js.matchAll(resolvedFilePattern)) addNpmPackage(specifier, dirname(file), false);
  }

  for (const unit of units.values()) {
    copyAssetFolders(unit);
    writeFileSync(join(unit.outDir, 'package.json'), `${JSON.stringify(artifactPackageJson(unit, name), null, 2)}\n`);
  }
  for (const [dir, outDir] of npm) {
    cpSync(dir, outDir, { recursive: true, dereference: true, filter: (path) => !relative(dir, path).split(sep).includes('node_modules') });
  }

  return {
    out,
    version: participantVersion(name),
    modules: compiled.size,
    workspacePackages: [...units.values()].filter((u) => u.dir !== serviceDir).map((u) => readJson(join(u.dir, 'package.json')).name).sort(),
    npmPackages: [...npm.keys()].map((dir) => readJson(join(dir, 'package.json')).name).sort(),
  };

  /** Top-level folders without TypeScript (migrations, sql, built web assets) are runtime assets. */
  function copyAssetFolders(unit: Unit): void {
    for (const entryName of readdirSync(unit.dir)) {
      const path = join(unit.dir, entryName);
      if (entryName.startsWith('.') || ['node_modules', 'test'].includes(entryName) || !statSync(path).isDirectory()) continue;
      if (hasTypeScript(path)) continue;
      cpSync(path, join(unit.outDir, entryName), { recursive: true });
    }
  }

  function artifactPackageJson(unit: Unit, service: string) {
    const pkg = readJson(join(unit.dir, 'package.json'));
    if (unit.dir !== serviceDir) {
      const exports = Object.fromEntries(Object.entries(typeof pkg.exports === 'string' ? { '.': pkg.exports } : pkg.exports).map(([k, v]) => [k, String(v).replace(/\.ts$/, '.js')]));
      return { name: pkg.name, version: pkg.version, private: true, type: 'module', exports };
    }
    const main = posix(relative(serviceDir, entry!)).replace(/\.ts$/, '.js');
    const installed = [...npm.keys()].map((dir) => readJson(join(dir, 'package.json')));
    const dependencies = Object.fromEntries(
      installed.filter((p) => imported.has(p.name)).map((p) => [p.name, p.version]).sort(([a], [b]) => a.localeCompare(b)),
    );
    return { name: pkg.name ?? service, version: participantVersion(service), private: true, type: 'module', main, scripts: { start: `node ${main}` }, dependencies };
  }
}

function hasTypeScript(dir: string): boolean {
  return readdirSync(dir).some((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? hasTypeScript(path) : /\.(ts|tsx)$/.test(name);
  });
}

/** Loads every module of the artifact except the entry point, with Node resolving only inside the artifact. */
export function checkArtifact(out: string): { ok: boolean; output: string } {
  const pkg = readJson(join(out, 'package.json'));
  const modules: string[] = [];
  const collect = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules') continue;
      if (statSync(path).isDirectory()) collect(path);
      else if (name.endsWith('.js') && posix(relative(out, path)) !== pkg.main) modules.push(path);
    }
  };
  collect(out);
  const script = `for (const m of ${JSON.stringify(modules)}) await import(m);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: out, encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, check: { type: 'boolean' } } });
  const [name] = positionals;
  if (!name) {
    console.error('usage: build-service <service> [--out <dir>] [--check]');
    process.exit(2);
  }
  // The check needs a folder outside the repo, so Node cannot fall back to the repo's node_modules.
  const out = resolve(values.out ?? (values.check ? join(tmpdir(), `meridian-build-${name}`) : join(repoRoot, 'dist', 'services', name)));
  const result = buildService(name, out);
  console.log(`${name} ${result.version}: ${result.modules} modules, ${result.workspacePackages.length} workspace packages, ${result.npmPackages.length} npm packages -> ${out}`);
  if (values.check) {
    const check = checkArtifact(out);
    if (!check.ok) {
      console.error(`artifact check failed: every module must load from the artifact alone\n${check.output}`);
      process.exit(1);
    }
    console.log('artifact check: every module loads from the artifact alone');
  }
}
