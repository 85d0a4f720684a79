// SQL is built only from parameters: every query is a porsager `sql`/`tx` tagged template (values
// become bind parameters). This scans the runtime code for the ways around that — `.unsafe(...)`,
// SQL text assembled by interpolation in an untagged template, or by `+` concatenation — and fails
// listing each offender. The few `.unsafe` uses that must stay are listed below with why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const repoRoot = join(import.meta.dirname, '..', '..');
const roots = ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'scripts/**/*.ts'];

/** Files allowed to call `.unsafe`, how many times, and why it is safe there. */
const allowedUnsafe: Record<string, { calls: number; why: string }> = {
  'packages/db/src/index.ts': {
    calls: 4,
    why: 'the migration runner executes migration files from the repo and constant lock/table SQL; no request or event data',
  },
  'packages/testkit/src/index.ts': {
    calls: 2,
    why: 'test helper: CREATE/DROP DATABASE take no bind parameters; names come from uniqueName() ([a-z0-9_] only), quoted',
  },
  'scripts/provision.ts': {
    calls: 8,
    why: 'CREATE/ALTER ROLE and DATABASE take no bind parameters; names pass databaseName() (^[a-z0-9_]+$), the password goes through quoteLiteral()',
  },
};

const objects = '(?:table|index|unique|role|user|database|schema|view|function|trigger|extension|sequence|type)';
const sqlStart = new RegExp(
  `^\\s*(select\\b[\\s\\S]*\\bfrom\\b|insert\\s+into\\b|update\\s+\\w+\\s+set\\b|delete\\s+from\\b|with\\s+\\w+\\s+as\\b|` +
  `(create|alter|drop)\\s+(or\\s+replace\\s+)?${objects}\\b|grant\\b|revoke\\b|truncate\\b)`,
  'i',
);

interface Finding {
  file: string;
  line: number;
  kind: 'unsafe' | 'interpolated' | 'concatenated';
  text: string;
}

/** Every `.unsafe(` call and every SQL string built outside a tagged template, in one source text. */
function findSqlBuilding(file: string, source: string): Finding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const add = (node: ts.Node, kind: Finding['kind']) => findings.push({
    file,
    line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
    kind,
    text: node.getText(sf).replace(/\s+/g, ' ').slice(0, 120),
  });
  const isSqlText = (node: ts.Node): boolean =>
    (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? sqlStart.test(node.text)
      : ts.isTemplateExpression(node) ? sqlStart.test(node.head.text)
        : false;
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'unsafe') {
      add(node, 'unsafe');
    } else if (ts.isTemplateExpression(node) && !ts.isTaggedTemplateExpression(node.parent) && isSqlText(node)) {
      add(node, 'interpolated');
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && (isSqlText(node.left) || isSqlText(node.right))) {
      add(node, 'concatenated');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

test('the scanner finds each way of building SQL from strings, and accepts tagged templates', () => {
  // Lines: two tagged templates (fine), unsafe + interpolated, interpolated, concatenated, prose (fine), unsafe DDL.
  const source = readFileSync(join(import.meta.dirname, 'fixtures', 'sql-building.ts.txt'), 'utf8');
  const kinds = findSqlBuilding('fixture.ts', source).map((f) => `${f.line}:${f.kind}`);
  assert.deepEqual(kinds, ['3:unsafe', '3:interpolated', '4:interpolated', '5:concatenated', '7:unsafe', '7:interpolated']);
});

test('runtime code builds SQL only from parameters (tagged templates); .unsafe only where allowed', () => {
  const files = roots.flatMap((pattern) => globSync(pattern, { cwd: repoRoot }))
    .filter((file) => !file.includes('node_modules') && !/\.test\.ts$/.test(file) && !file.split('/').includes('test'))
    .sort();
  assert.ok(files.length > 50, `scanned ${files.length} files`);
  const findings = files.flatMap((file) => findSqlBuilding(file, readFileSync(join(repoRoot, file), 'utf8')));

  const offenders: string[] = [];
  const unsafeCalls = new Map<string, number>();
  for (const finding of findings) {
    if (finding.kind === 'unsafe') unsafeCalls.set(finding.file, (unsafeCalls.get(finding.file) ?? 0) + 1);
    const allowed = allowedUnsafe[finding.file];
    // Inside an allowed .unsafe(...) the SQL text is itself the allowed DDL/migration.
    if (allowed) continue;
    offenders.push(`${finding.file}:${finding.line} ${finding.kind}: ${finding.text}`);
  }
  for (const [file, { calls, why }] of Object.entries(allowedUnsafe)) {
    const found = unsafeCalls.get(file) ?? 0;
    if (found !== calls) offenders.push(`${file}: ${found} .unsafe calls, ${calls} reviewed (${why}) — review the change and update the list`);
  }
  assert.deepEqual(offenders, [], `SQL built outside parameterised tagged templates:\n${offenders.join('\n')}`);
});
