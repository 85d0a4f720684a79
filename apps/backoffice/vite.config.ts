import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into apps/backoffice/dist/, served by apps/backoffice/server. `vite dev` proxies the APIs.
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const appServer = process.env.BACKOFFICE_URL ?? 'http://127.0.0.1:3001';

export default defineConfig({
  root: here('./web'),
  plugins: [react()],
  build: { outDir: here('./dist'), emptyOutDir: true },
  server: { proxy: { '/api': appServer, '/app-api': appServer } },
});
