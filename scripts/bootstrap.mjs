// Entry point of `npm start|test|reset`. Runs on the machine's Node (20+) with built-ins only:
// makes sure node_modules is installed and current, then re-runs the command on the project's
// Node 24 (node_modules/.bin/node) as `scripts/<command>.ts`, forwarding signals and the exit code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants } from 'node:os';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const commands = ['start', 'test', 'reset', 'seed', 'bench'];
const [command, ...args] = process.argv.slice(2);
if (!commands.includes(command)) {
  console.error(`usage: node scripts/bootstrap.mjs <${commands.join('|')}> [args]`);
  process.exit(2);
}

const projectNode = join(root, 'node_modules', '.bin', 'node');
const lockfile = join(root, 'package-lock.json');
const installedLockfile = join(root, 'node_modules', '.package-lock.json');

function installReason() {
  if (!existsSync(projectNode)) return 'node_modules is not installed';
  if (!existsSync(installedLockfile)) return 'node_modules has no .package-lock.json';
  if (existsSync(lockfile) && statSync(lockfile).mtimeMs > statSync(installedLockfile).mtimeMs) {
    return 'package-lock.json changed since the last install';
  }
  return undefined;
}

const reason = installReason();
let install = { note: 'node_modules up to date', ms: 0 };
if (reason) {
  const startedAt = Date.now();
  console.log(`[bootstrap] ${reason}: running npm install (first run downloads Node 24 and all packages)…`);
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (npm.status !== 0) {
    console.error(`[bootstrap] npm install failed (${npm.error?.message ?? `exit ${npm.status}`})`);
    process.exit(npm.status || 1);
  }
  // npm may leave package-lock.json a touch newer than its own record: mark this install as current.
  const now = new Date();
  if (existsSync(installedLockfile)) utimesSync(installedLockfile, now, now);
  install = { note: `npm install (${reason})`, ms: Date.now() - startedAt };
  console.log(`[bootstrap] dependencies installed (${(install.ms / 1000).toFixed(1)} s)`);
}

const child = spawn(projectNode, [join(root, 'scripts', `${command}.ts`), ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, MERIDIAN_INSTALL: JSON.stringify(install) }, // reported by `npm test`
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (error) => {
  console.error(`[bootstrap] could not run ${projectNode}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
