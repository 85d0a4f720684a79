import { spawnSync } from 'node:child_process';
import { commandExists, run } from '../lib/proc.ts';

/** The Debian package that brings each command the platform or its tests run. */
export const debianPackageOf = {
  etcd: 'etcd-server',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  chromium: 'chromium',
} as const;

export type ProvidedCommand = keyof typeof debianPackageOf;

/** Every command `npm test` runs (its install stage installs them up front). */
export const testCommands: ProvidedCommand[] = ['etcd', 'prometheus', 'promtool', 'prometheus-alertmanager', 'chromium'];

const asRoot = (args: string[]): string[] => (process.getuid?.() === 0 ? args : ['sudo', '-n', ...args]);
// Another apt run (a second start, an unattended upgrade) holds the dpkg lock for a while: wait for it instead of failing.
const waitForLock = ['-o', 'DPkg::Lock::Timeout=300'];

/**
 * Installs, in one `apt-get install`, the Debian packages of the commands that are missing (after an
 * `apt-get update` when the package lists are stale). Returns the packages it installed.
 */
export async function ensureDebianPackages(commands: readonly ProvidedCommand[], log: (line: string) => void = console.log): Promise<string[]> {
  const missing = [...new Set(commands.filter((command) => !commandExists(command)).map((command) => debianPackageOf[command]))];
  if (missing.length === 0) return [];
  const startedAt = Date.now();
  log(`installing Debian package(s) ${missing.join(', ')} (first run only)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => {
    const [command, ...args] = asRoot(['apt-get', ...waitForLock, 'install', '-y', '--no-install-recommends', ...missing]);
    return run(command!, args, { env });
  };
  try {
    await install();
  } catch {
    const [command, ...args] = asRoot(['apt-get', ...waitForLock, 'update']);
    await run(command!, args, { env });
    try {
      await install();
    } catch (error) {
      throw new Error(`installing ${missing.join(', ')} failed (${(error as Error).message.split('\n')[0]}); install them with apt-get and run again`);
    }
  }
  // Where systemd runs, Debian's packages start system-wide servers (:9090, :9093); the platform runs its own.
  for (const unit of (['prometheus', 'prometheus-alertmanager'] as const).filter((name) => missing.includes(name))) {
    if (!commandExists('systemctl')) break;
    const [command, ...args] = asRoot(['systemctl', 'disable', '--now', unit]);
    spawnSync(command!, args, { stdio: 'ignore' });
  }
  log(`installed ${missing.join(', ')} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return missing;
}
