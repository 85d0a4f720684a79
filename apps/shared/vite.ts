// The Vite configuration every web app shares: built into apps/<name>/dist/ and served by
// apps/<name>/server; `vite dev` proxies the APIs to that server. The apps' index.html hold only
// their title and entry script; the shell around them (charset, viewport, root element, a
// no-JavaScript notice) is added here, once.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

function htmlShell(noscript: string): Plugin {
  return {
    name: 'meridian-html-shell',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { charset: 'utf-8' }, injectTo: 'head-prepend' },
      { tag: 'meta', attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' }, injectTo: 'head' },
      { tag: 'div', attrs: { id: 'root' }, injectTo: 'body-prepend' },
      { tag: 'noscript', children: noscript, injectTo: 'body' },
    ],
  };
}

export function webAppConfig(options: {
  /** The app's `vite.config.ts` `import.meta.url`. */
  configUrl: string;
  /** Where its server runs by default, and the env variable that overrides it. */
  server: { env: string; url: string };
  /** Path prefixes proxied to the app server in `vite dev`. */
  proxied: string[];
  noscript: string;
}): UserConfig {
  const here = (path: string) => fileURLToPath(new URL(path, options.configUrl));
  const appServer = process.env[options.server.env] ?? options.server.url;
  return defineConfig({
    root: here('./web'),
    plugins: [react(), htmlShell(options.noscript)],
    build: { outDir: here('./dist'), emptyOutDir: true },
    server: { proxy: Object.fromEntries(options.proxied.map((prefix) => [prefix, appServer])) },
  });
}
