import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { lintDockerfile } from '../lint-dockerfile.ts';

const good = readFileSync(new URL('../../services/Dockerfile', import.meta.url), 'utf8');
const rules = (text: string) => lintDockerfile(text).map((f) => f.rule);

test('the service image template passes', () => {
  assert.deepEqual(lintDockerfile(good), []);
});

test('a single-stage image running as root with a shell-form CMD fails, naming each rule and line', () => {
  const bad = ['FROM node:latest', 'WORKDIR /app', 'ADD . .', 'RUN npm install', 'RUN node tools/build-service.ts orders', 'CMD node src/main.js'].join('\n');
  const findings = lintDockerfile(bad);
  assert.deepEqual(
    findings.map((f) => f.rule).sort(),
    ['artifact', 'artifact', 'exec-form', 'healthcheck', 'multi-stage', 'multi-stage', 'no-add', 'non-root', 'npm-ci', 'pinned-base', 'production', 'production'].sort(),
  );
  assert.equal(findings.find((f) => f.rule === 'no-add')?.line, 3);
});

test('USER root, USER after CMD, or building a fixed service instead of SERVICE are findings', () => {
  assert.ok(rules(good.replace('USER node', 'USER root')).includes('non-root'));
  const late = good.replace('USER node\n', '').replace(/^(CMD .*)$/m, '$1\nUSER node');
  assert.ok(rules(late).includes('non-root'));
  assert.deepEqual(rules(good.replace(/tools\/build-service\.ts "\$\{SERVICE\}"/, 'tools/build-service.ts payments')), ['artifact']);
});

test('ARG defaults are expanded before checking that base images are pinned', () => {
  assert.ok(rules(good.replace('node:24.11.1-bookworm-slim', 'node:lts')).includes('pinned-base'));
});
