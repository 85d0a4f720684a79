// `npm run bench [-- --only http,kafka,outbox,e2e] [--quick]`: ensures the infrastructure (as `npm start`
// does), runs bench/run.ts against it, then stops what it started. Results: bench/results/<name>.json.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureInfra } from './infra/index.ts';
import { repoRoot } from './lib/paths.ts';

const infra = await ensureInfra({ env: process.env });
const child = spawn(process.execPath, [join(repoRoot, 'bench', 'run.ts'), ...process.argv.slice(2)], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, ...infra.env },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) => child.on('exit', (exitCode) => resolve(exitCode ?? 1)));
await infra.stop();
process.exit(code);
