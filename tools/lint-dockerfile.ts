// Checks the production Dockerfile template every service is built from (no Docker engine here):
// `node tools/lint-dockerfile.ts [Dockerfile ...]` (default: services/Dockerfile).
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './lib/paths.ts';

export interface Finding {
  line: number;
  rule: string;
  message: string;
}

interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Instructions with their first line number; continuation lines joined, comments dropped. */
function parse(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: Instruction | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    const body = line.endsWith('\\') ? line.slice(0, -1).trim() : line;
    if (pending) pending.args += ` ${body}`;
    else {
      const [keyword, ...rest] = body.split(/\s+/);
      pending = { line: index + 1, keyword: keyword.toUpperCase(), args: rest.join(' ') };
    }
    if (!line.endsWith('\\')) {
      instructions.push(pending);
      pending = undefined;
    }
  });
  return instructions;
}

const isExecForm = (args: string) => {
  try {
    return Array.isArray(JSON.parse(args));
  } catch {
    return false;
  }
};

/** Lints the service image template (built with `--build-arg SERVICE=<name>`); an empty list means it passes. */
export function lintDockerfile(text: string): Finding[] {
  const findings: Finding[] = [];
  const add = (line: number, rule: string, message: string) => findings.push({ line, rule, message });
  const instructions = parse(text);
  const args = new Map<string, string>();
  for (const i of instructions) {
    const match = i.keyword === 'ARG' ? i.args.match(/^(\w+)=(\S+)$/) : null;
    if (match) args.set(match[1], match[2]);
  }
  const expand = (value: string) => value.replace(/\$\{?(\w+)\}?/g, (_, name) => args.get(name) ?? `$${name}`);

  const stages = instructions.filter((i) => i.keyword === 'FROM');
  if (stages.length < 2) add(stages[0]?.line ?? 1, 'multi-stage', 'use a build stage and a separate runtime stage');
  for (const from of stages) {
    const image = expand(from.args.split(/\s+/)[0]);
    const tag = image.includes('@sha256:') ? 'digest' : image.split(':')[1];
    if (!tag || tag === 'latest' || !/\d/.test(tag)) add(from.line, 'pinned-base', `pin the base image to a version: ${image}`);
  }
  for (const i of instructions) {
    if (i.keyword === 'ADD') add(i.line, 'no-add', 'use COPY (ADD fetches URLs and unpacks archives implicitly)');
    if (i.keyword === 'RUN' && /\bnpm (install|i)\b/.test(i.args)) add(i.line, 'npm-ci', 'install with `npm ci` (lockfile exact)');
    if (i.keyword === 'MAINTAINER') add(i.line, 'deprecated', 'MAINTAINER is deprecated; use a LABEL');
  }
  const build = instructions.find((i) => i.keyword === 'RUN' && i.args.includes('tools/build-service.ts'));
  if (!build) add(1, 'artifact', 'the build stage must run tools/build-service.ts (the artifact CI checks)');
  else if (!/tools\/build-service\.ts\s+"?\$\{?SERVICE\}?"?/.test(build.args)) add(build.line, 'artifact', 'build-service must build the service of the build argument SERVICE');
  if (!instructions.some((i) => i.keyword === 'ARG' && /^SERVICE\b/.test(i.args))) add(1, 'artifact', 'declare ARG SERVICE (which service to build)');

  const finalStart = stages.at(-1)?.line ?? 0;
  const final = instructions.filter((i) => i.line >= finalStart);
  const user = final.filter((i) => i.keyword === 'USER').at(-1);
  const start = final.find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
  if (!user) add(finalStart, 'non-root', 'the runtime stage must switch to a non-root USER');
  else if (/^(root|0)(:|$)/.test(user.args)) add(user.line, 'non-root', 'the runtime USER must not be root');
  else if (start && user.line > start.line) add(user.line, 'non-root', 'set USER before CMD/ENTRYPOINT');
  if (!final.some((i) => i.keyword === 'COPY' && /--from=/.test(i.args))) add(finalStart, 'multi-stage', 'the runtime stage must copy the artifact from the build stage');
  if (!final.some((i) => i.keyword === 'ENV' && /NODE_ENV=production/.test(i.args))) add(finalStart, 'production', 'set NODE_ENV=production in the runtime stage');
  if (final.some((i) => i.keyword === 'RUN' && /\bnpm\b/.test(i.args))) add(finalStart, 'production', 'no npm in the runtime stage: it copies a built artifact');
  if (!final.some((i) => i.keyword === 'HEALTHCHECK')) add(finalStart, 'healthcheck', 'declare a HEALTHCHECK against /livez');
  if (!start) add(finalStart, 'entrypoint', 'the runtime stage needs a CMD or ENTRYPOINT');
  else if (!isExecForm(start.args)) add(start.line, 'exec-form', `${start.keyword} must use the exec (JSON array) form so signals reach node`);
  return findings.sort((a, b) => a.line - b.line);
}

if (import.meta.main) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : ['services/Dockerfile'];
  let failed = 0;
  for (const file of files) {
    const path = join(repoRoot, file);
    const findings = lintDockerfile(readFileSync(path, 'utf8'));
    for (const f of findings) console.log(`${relative(repoRoot, path)}:${f.line}: ${f.rule}: ${f.message}`);
    if (findings.length) failed++;
  }
  console.log(`${files.length} Dockerfile(s) linted, ${failed} with problems`);
  process.exit(failed > 0 ? 1 : 0);
}
