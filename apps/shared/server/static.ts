import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { App } from '@meridian/http';
import { problem } from '@meridian/http';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The file under `root` that `urlPath` names, or undefined when it escapes `root` or is not a file. */
export async function resolveStaticFile(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return undefined;
  }
  const file = normalize(join(root, decoded));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? file : undefined;
}

/**
 * Serves the built single-page app in `distDir`: files as they are (hashed `assets/` cached for a
 * year), and `index.html` for every other GET path so client-side routes survive a reload.
 * Routes registered elsewhere (`/api/*`, `/healthz`, ...) take precedence over this catch-all.
 */
export function serveSinglePageApp(app: App, distDir: string): void {
  const root = normalize(distDir);
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/api/') || path.startsWith('/app-api/') || path.startsWith('/ops-api/')) {
      throw problem(404, 'not-found', `No route for GET ${path}`);
    }
    const file = (await resolveStaticFile(root, path)) ?? (await resolveStaticFile(root, '/index.html'));
    if (!file) throw problem(503, 'app-not-built', `The web app is not built: run \`node apps/build.ts\` (looked in ${root})`);
    const immutable = file.startsWith(join(root, 'assets') + sep);
    reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    return reply.type(contentTypes[extname(file)] ?? 'application/octet-stream').send(await readFile(file));
  });
}
