import { ensureDebianPackages } from './packages.ts';

/** Debian's Chromium, which Playwright drives for the browser tests (a browser download of its own cannot work here). */
export const chromiumPath = '/usr/bin/chromium';

/** Installs Debian's `chromium` package when the binary is missing. */
export async function ensureChromium(log: (line: string) => void = console.log): Promise<string> {
  await ensureDebianPackages(['chromium'], (line) => log(`chromium: ${line}`));
  return chromiumPath;
}
