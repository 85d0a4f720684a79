import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '@meridian/log';
import type { Resolver, ServiceInstance } from '@meridian/discovery';
import {
  accessLogFrom,
  counterOf,
  answerClientError,
  ensureHttpMetrics,
  metricsRegistry,
  overloaded,
  problem,
  registerMetricsRoute,
  requestIdOf,
  sendProblem as sendProblemAnswer,
} from '@meridian/http';
import { withLogContext } from '@meridian/log';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerEventDocs } from './eventDocs.ts';
import { createProxy } from './proxy.ts';
import { defaultExpectedServices, routeTable, type RouteRule } from './routes.ts';
import type { TrafficSplit } from './versions.ts';

export interface GatewayOptions {
  resolver: Resolver;
  logger?: Logger;
  /** Services that must each have a ready instance for `/healthz` to answer 200. */
  expectedServices?: string[];
  routes?: RouteRule[];
  upstreamTimeoutMs?: number;
  /** Instances tried per request when connections fail. */
  attempts?: number;
  /** Largest request body forwarded, in bytes; unlimited when unset. */
  bodyLimit?: number;
  /** Requests in flight to one service at which more are refused (503 + Retry-After); unlimited when unset. */
  maxInFlightPerService?: number;
  /** Traffic split per service between versions running side by side (versions.ts); none: any ready instance. */
  splits?: ReadonlyMap<string, TrafficSplit>;
}

/** Problem answers in the request's log context (the gateway keeps no child logger per request). */
function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  return sendProblemAnswer(request, reply, error, (fn) => withLogContext({ reqId: request.id }, fn));
}

/** The gateway's HTTP app: prefix routing to discovered instances, plus an aggregate `/healthz`. */
export function buildGateway({
  resolver,
  logger,
  expectedServices = defaultExpectedServices,
  routes = routeTable,
  upstreamTimeoutMs = 30_000,
  attempts = 3,
  bodyLimit = Number.POSITIVE_INFINITY,
  maxInFlightPerService = Number.POSITIVE_INFINITY,
  splits,
}: GatewayOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
    // The client's x-request-id when well-formed, else a new one (the rule of every Meridian server).
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers),
    // Request ids go into log lines as a field; a child logger per proxied request is avoidable cost.
    childLoggerFactory: (parent) => parent,
    frameworkErrors: (error, request, reply) => sendProblem(request, reply, error),
    clientErrorHandler: answerClientError,
  });
  const proxy = createProxy({ resolver, timeoutMs: upstreamTimeoutMs, attempts, bodyLimit, accessLog: accessLogFrom(), splits });
  app.addHook('onClose', async () => proxy.close());
  const metrics = {
    ...ensureHttpMetrics(),
    refused: counterOf(metricsRegistry, 'gateway_requests_refused_total', 'Requests refused with 503 because too many were in flight to the service', ['service']),
  };

  // The request id on every answer, and RED metrics per route prefix (proxied responses are hijacked,
  // so measured on the raw response). One hook: each costs a step of Fastify's hook runner per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const started = process.hrtime.bigint();
    reply.raw.once('finish', () => {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.raw.statusCode };
      metrics.duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      metrics.requests.inc(labels);
    });
    done();
  });

  registerMetricsRoute(app);

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, problem(404, 'not-found', `no route for ${request.method} ${request.url.split('?')[0]}; the API is described at /docs`)),
  );

  // The front door: a browser goes to the API docs, a client gets where things are.
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if ((request.headers.accept ?? '').includes('text/html')) return reply.redirect('/docs', 302);
    return {
      name: 'Meridian gateway',
      docs: '/docs',
      events: { docs: '/docs/events', asyncapi: '/asyncapi.json' },
      openapi: Object.fromEntries(expectedServices.map((service) => [service, `/openapi/${service}`])),
      health: '/healthz',
    };
  });

  // The process answers: the container HEALTHCHECK (its /healthz is the whole platform's health).
  app.get('/livez', { schema: { hide: true } }, async () => ({ status: 'ok', service: 'gateway' }));

  // The gateway's own readiness (for a load balancer in front of several gateways): it knows instances to route to.
  // `/healthz` is the whole platform's health instead.
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const known = resolver.instances().length;
    return reply.code(known > 0 ? 200 : 503).send({ status: known > 0 ? 'ready' : 'not_ready', instances: known });
  });

  app.get('/healthz', async (_request, reply) => {
    const byService = new Map<string, ServiceInstance[]>(expectedServices.map((service) => [service, []]));
    for (const instance of resolver.instances()) {
      byService.set(instance.service, [...(byService.get(instance.service) ?? []), instance]);
    }
    const services = [...byService.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([service, instances]) => ({
        service,
        instances: instances.map(({ instanceId, version, url, health }) => ({ instanceId, version, url, health })),
      }));
    const missing = expectedServices.filter((service) => !byService.get(service)?.some((i) => i.health === 'ready'));
    if (missing.length === 0) return { status: 'ready', services };
    return reply.code(503).send({ status: 'unavailable', services, missing });
  });

  // One docs page for the whole public API: each service's own OpenAPI document, fetched through discovery.
  app.get('/openapi/:service', { schema: { hide: true } }, async (request) => {
    const { service } = request.params as { service: string };
    if (!expectedServices.includes(service)) throw problem(404, 'not-found', `no service named ${service}`);
    const instance = resolver.resolve(service);
    if (!instance) throw problem(503, 'service-unavailable', `no ready instance of ${service}`);
    const response = await fetch(new URL('/openapi.json', instance.url), { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!response?.ok) throw problem(502, 'bad-gateway', `${service} did not serve its OpenAPI document`);
    // Its paths are the gateway's public paths, so "try it out" goes through the gateway.
    return { ...((await response.json()) as object), servers: [{ url: '/' }] };
  });
  registerEventDocs(app, { resolver, services: expectedServices });
  app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'Meridian gateway', version: '1' } } });
  app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { urls: expectedServices.map((service) => ({ name: service, url: `/openapi/${service}` })) },
  });

  // Proxied routes leave bodies unparsed: the raw request stream is piped upstream.
  app.register(async (proxied) => {
    proxied.removeAllContentTypeParsers();
    proxied.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const { prefix, service } of routes) {
      // Admission: past the limit a request is refused before it costs the service anything.
      let inFlight = 0;
      const done = () => void (inFlight -= 1);
      const handler = (request: FastifyRequest, reply: FastifyReply) => {
        if (inFlight >= maxInFlightPerService) {
          metrics.refused.inc({ service });
          throw overloaded(`${service} has ${inFlight} requests in progress; please try again in a moment`, 1);
        }
        inFlight += 1;
        reply.raw.once('close', done);
        return proxy(request, reply, service);
      };
      proxied.all(prefix, handler);
      proxied.all(`${prefix}/*`, handler);
    }
  });

  return app;
}
