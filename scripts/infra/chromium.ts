import { existsSync } from 'node:fs';
import { run } from '../lib/proc.ts';

/** Debian's Chromium, which Playwright drives for the browser tests (a browser download of its own cannot work here). */
export const chromiumPath = '/usr/bin/chromium';

/** Installs Debian's `chromium` package when the binary is missing. */
export async function ensureChromium(log: (line: string) => void = console.log): Promise<string> {
  if (existsSync(chromiumPath)) return chromiumPath;
  log('chromium: installing Debian package chromium (first run only)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env });
  } catch {
    await run('apt-get', ['update'], { env });
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env });
  }
  log(`chromium: installed at ${chromiumPath}`);
  return chromiumPath;
}
