// The system's events in one place: `/asyncapi.json` merges every service's own AsyncAPI document
// (fetched through discovery, like the OpenAPI documents), and `/docs/events` renders it with the
// AsyncAPI React component's standalone bundle, served from here so the page works offline.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Resolver } from '@meridian/discovery';
import { type AsyncApiDocument, mergeAsyncApi } from '@meridian/messaging';

const renderer = {
  script: () => fileURLToPath(import.meta.resolve('@asyncapi/react-component/browser/standalone/index.js')),
  styles: () => fileURLToPath(import.meta.resolve('@asyncapi/react-component/styles/default.min.css')),
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Meridian events (AsyncAPI)</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/docs/events/asyncapi.css">
</head>
<body>
  <div id="asyncapi"></div>
  <script src="/docs/events/asyncapi.js"></script>
  <script>
    AsyncApiStandalone.render({
      schema: { url: '/asyncapi.json' },
      config: { show: { sidebar: true, servers: false }, sidebar: { showOperations: 'byDefault' } },
    }, document.getElementById('asyncapi'));
  </script>
</body>
</html>
`;

export function registerEventDocs(app: FastifyInstance, options: { resolver: Resolver; services: string[] }): void {
  app.get('/asyncapi.json', { schema: { hide: true } }, async () => {
    const missing: string[] = [];
    const documents = await Promise.all(
      options.services.map(async (service) => {
        const instance = options.resolver.resolve(service);
        const response = instance && (await fetch(new URL('/asyncapi.json', instance.url), { signal: AbortSignal.timeout(5000) }).catch(() => undefined));
        if (response?.ok) return (await response.json()) as AsyncApiDocument;
        missing.push(service);
        return undefined;
      }),
    );
    const description = [
      'Every business event of the platform: one channel per Kafka topic, one message per event version, and which service publishes and which consume each.',
      ...(missing.length ? [`Not included (no ready instance answered): ${missing.sort().join(', ')}.`] : []),
    ].join(' ');
    return mergeAsyncApi({ title: 'Meridian events', version: '1.0.0', description }, documents.filter((d) => d !== undefined));
  });
  app.get('/docs/events', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/docs/events/asyncapi.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(await readFile(renderer.script())),
  );
  app.get('/docs/events/asyncapi.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(await readFile(renderer.styles())),
  );
}
