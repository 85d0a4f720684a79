// The layering rules of the tree, checked on the source: the chassis (`packages/`) knows no
// business, no service imports another, and production code needs no `as unknown as`.
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const repoRoot = join(import.meta.dirname, '..', '..');
const sourceFiles = (pattern: string) =>
  globSync(pattern, { cwd: repoRoot }).filter((file) => !file.includes('node_modules') && !/(^|\/)test\//.test(file));

/** Every module specifier a file imports (static, dynamic and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** Where a relative specifier points, repo-relative; bare specifiers as they are. */
const target = (file: string, specifier: string) =>
  specifier.startsWith('.') ? relative(repoRoot, resolve(repoRoot, dirname(file), specifier)) : specifier;

const businessPackages = ['@meridian/contracts', ...globSync('services/*', { cwd: repoRoot }).map((dir) => `@meridian/${dir.split('/')[1]}`)];

test('nothing under packages/ imports contracts, a service or a web app', () => {
  const offenders = sourceFiles('packages/*/src/**/*.ts').flatMap((file) =>
    importsOf(file)
      .map((specifier) => target(file, specifier))
      .filter((to) => businessPackages.includes(to) || /^(contracts|services|apps)\//.test(to))
      .map((to) => `${file} -> ${to}`),
  );
  assert.deepEqual(offenders, []);
});

test('no service imports another service', () => {
  const offenders = sourceFiles('services/*/src/**/*.ts').flatMap((file) => {
    const own = file.split('/')[1];
    return importsOf(file)
      .map((specifier) => target(file, specifier))
      .filter((to) => {
        const other = /^services\/([^/]+)\//.exec(to)?.[1] ?? /^@meridian\/([^/]+)$/.exec(to)?.[1];
        return other !== undefined && other !== own && businessPackages.includes(`@meridian/${other}`) && other !== 'contracts';
      })
      .map((to) => `${file} -> ${to}`);
  });
  assert.deepEqual(offenders, []);
});

test('production code has no `as unknown as`', () => {
  const roots = ['packages', 'services', 'contracts', 'apps', 'scripts', 'infra', 'tools'];
  const offenders = roots
    .flatMap((root) => sourceFiles(`${root}/**/*.{ts,tsx}`))
    .filter((file) => !file.endsWith('.test.ts'))
    .flatMap((file) =>
      readFileSync(join(repoRoot, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (line.includes('as unknown as') ? [`${file}:${i + 1}`] : [])),
    );
  assert.deepEqual(offenders, []);
});
