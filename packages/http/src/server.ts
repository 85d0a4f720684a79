import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { documentResponses } from './docs.ts';
import { Problem } from './problem.ts';
import { registerAjvFormats, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { registerFormats } from './formats.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { withLogContext } from '@meridian/log';
import type { Logger } from '@meridian/log';
import { extractContext, SpanKind, SpanStatusCode, startSpan } from '@meridian/telemetry';
import { answerClientError } from './clientError.ts';
import { refusedAsOverloaded, registerMetricsRoute, requestIdOf, sendProblem as sendProblemAnswer } from './conventions.ts';
import { ensureHttpMetrics } from './metrics.ts';
import { createReadiness } from './readiness.ts';
import type { Readiness, ReadinessCheck } from './readiness.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The checks behind `/readyz`; add more with `readiness.add(name, check)`. */
    readiness: Readiness;
  }
}

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface HttpServerOptions {
  name: string;
  version: string;
  logger: Logger;
  readiness?: Record<string, ReadinessCheck>;
  openapi?: { title?: string; description?: string };
  /** Largest accepted request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Access log lines at info for every request (`all`) or only non-2xx and slow ones (`errors`); default env `ACCESS_LOG`, else `errors`. */
  accessLog?: AccessLog;
  /** A request taking at least this long is logged at info under `errors` (default 500 ms). */
  slowRequestMs?: number;
}

/** Per-request state kept on the raw request by the server wrapper. */
interface RequestScope {
  reqId: string;
  /** None for a probe (`untracedPaths`). */
  span?: Span;
  /** Re-enters the request's async context (trace span + log context) from detached callbacks. */
  resource: AsyncResource;
  route?: string;
}

const scopes = new WeakMap<IncomingMessage, RequestScope>();

/** Runs `fn` in the request's trace and log context (needed in callbacks Node detaches from it). */
function inRequestScope<T>(request: FastifyRequest, fn: () => T): T {
  const scope = scopes.get(request.raw);
  return scope ? scope.resource.runInAsyncScope(fn) : fn();
}

/**
 * Prometheus scrapes and health probes: answered like any request, measured in the RED metrics, but
 * not traced. Each service is scraped every few seconds; a trace per scrape filled the trace viewer
 * with `GET /metrics` and cost the service and Zipkin CPU while the platform had no work at all.
 */
export const untracedPaths: ReadonlySet<string> = new Set(['/metrics', '/livez', '/readyz', '/healthz']);

function isProbe(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return untracedPaths.has(query === -1 ? url : url.slice(0, query));
}

/** The request's server span, child of the caller's `traceparent`, ended when the response closes. */
function serverSpan(req: IncomingMessage, res: ServerResponse): Span {
  const span = startSpan(`HTTP ${req.method}`, { 'http.request.method': req.method ?? '', 'url.path': req.url ?? '' }, {
    kind: SpanKind.SERVER,
    parent: extractContext(req.headers),
  });
  // Lets clients (and the ops console) look up everything logged under this request's trace.
  res.setHeader('x-trace-id', span.spanContext().traceId);
  res.once('close', () => {
    const route = scopes.get(req)?.route;
    span.setAttribute('http.response.status_code', res.statusCode);
    if (route) span.setAttribute('http.route', route);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return span;
}

// Starts the server span (not for probes) and log context before Fastify sees the request, so every
// hook, handler and Fastify log line of the request runs inside them.
function tracedServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer((req, res) => {
    const reqId = requestIdOf(req.headers);
    res.setHeader('x-request-id', reqId);
    const span = isProbe(req) ? undefined : serverSpan(req, res);
    const serve = () =>
      withLogContext({ reqId }, () => {
        scopes.set(req, { reqId, span, resource: new AsyncResource('meridian.http.request') });
        handler(req, res);
      });
    if (span) context.with(trace.setSpan(context.active(), span), serve);
    else serve();
  });
  // Idle keep-alive connections outlive the gateway's (it closes its own a second before this hint).
  server.keepAliveTimeout = 72_000;
  return server;
}

/** `all`: an info line per request; `errors`: info only for non-2xx or slow requests, debug for the rest. */
export type AccessLog = 'all' | 'errors';

/** The access-log mode `ACCESS_LOG` asks for: `all`, else `errors`. */
export function accessLogFrom(env: Record<string, string | undefined> = process.env): AccessLog {
  return env.ACCESS_LOG === 'all' ? 'all' : 'errors';
}

class RequestLogs extends LogController {
  readonly #logger: Logger;
  readonly #accessLog: AccessLog;
  readonly #slowMs: number;

  constructor(logger: Logger, accessLog: AccessLog, slowMs: number) {
    super();
    this.#logger = logger;
    this.#accessLog = accessLog;
    this.#slowMs = slowMs;
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.#logger.isLevelEnabled('debug')) request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // An overload refusal is routine too: the refusal log tells them (a line per flood, not per request).
    const routine =
      !error && this.#accessLog === 'errors' && ((reply.statusCode < 300 && reply.elapsedTime < this.#slowMs) || refusedAsOverloaded.has(request));
    // Skipped before building anything: the access line was the largest per-request cost of a cached read.
    if (routine && !this.#logger.isLevelEnabled('debug')) return;
    inRequestScope(request, () => {
      const fields = {
        method: request.method,
        url: request.url,
        route: request.routeOptions.url,
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      };
      if (error) request.log.error({ ...fields, err: error }, 'request errored');
      else if (routine) request.log.debug(fields, 'request completed');
      else request.log.info(fields, 'request completed');
    });
  }
}

/** The chassis' problem answers, logged in the request's trace and log context. */
function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown) {
  return sendProblemAnswer(request, reply, error, (fn) => inRequestScope(request, fn));
}

/**
 * A Fastify instance with the TypeBox type provider, request ids, a server span per request,
 * problem+json errors, `/healthz`, `/readyz`, `/metrics`, `/openapi.json` and `/docs`.
 * Add routes after awaiting it (or inside `app.register`).
 */
export async function createHttpServer(options: HttpServerOptions): Promise<App> {
  registerAjvFormats();
  registerFormats();
  const metrics = ensureHttpMetrics();
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new RequestLogs(options.logger, options.accessLog ?? accessLogFrom(), options.slowRequestMs ?? 500),
    // reqId comes from the log context (see @meridian/log), not a child-logger binding.
    childLoggerFactory: (logger, _bindings, childOptions) => logger.child({}, childOptions),
    requestIdHeader: false,
    genReqId: (req) => scopes.get(req)?.reqId ?? randomUUID(),
    serverFactory: tracedServer,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // While closing, requests on open connections are still served (drained), not refused.
    return503OnClosing: false,
    frameworkErrors: (error, request, reply) => sendProblem(request, reply, error),
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  // Every route that takes input can answer 400 validation-failed (and a bad path 400 bad-request): document it.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, any> | undefined;
    if (!schema || schema.hide) return;
    // A route that documents no response gets OpenAPI's default 200; keep it when adding problems below.
    const documentsNothing = !schema.response;
    const takesInput = route.url.includes(':') || ['params', 'querystring', 'body', 'headers'].some((part) => schema[part]);
    if (takesInput && !schema.response?.[400] && !schema.response?.['4xx']) {
      schema.response = { ...schema.response, 400: Problem };
    }
    // Hooks that may refuse a request (e.g. requireUser: 401) say so in `problemStatuses`.
    const hooks = [route.onRequest, route.preHandler].flat().filter(Boolean) as { problemStatuses?: number[] }[];
    for (const status of hooks.flatMap((hook) => hook.problemStatuses ?? [])) {
      if (!schema.response?.[status]) schema.response = { ...schema.response, [status]: Problem };
    }
    if (documentsNothing && schema.response) schema.response = { 200: { description: 'OK' }, ...schema.response };
    if (schema.response) schema.response = documentResponses(schema.response);
  });

  const readiness = createReadiness(options.readiness);
  app.decorate('readiness', readiness);

  app.addHook('onRequest', (request, _reply, done) => {
    const scope = scopes.get(request.raw);
    const route = request.routeOptions.url;
    if (scope && route) {
      scope.route = route;
      scope.span?.updateName(`${request.method} ${route}`);
    }
    done();
  });
  // Body parsing resumes from stream callbacks outside the request's context; re-enter it.
  app.addHook('preValidation', (request, _reply, done) => {
    const scope = scopes.get(request.raw);
    if (scope) scope.resource.runInAsyncScope(done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode };
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    metrics.requests.inc(labels);
    done();
  });
  // While draining, each answer closes its connection, so close() is not held up by idle keep-alives.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (readiness.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('preClose', (done) => {
    readiness.drain();
    done();
  });

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, { statusCode: 404, message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.openapi?.title ?? options.name, version: options.version, description: options.openapi?.description },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'An access token from identity: POST /api/v1/auth/login with email and password answers `accessToken`; ' +
              'send it as `Authorization: Bearer <accessToken>`. Customers register with POST /api/v1/auth/register; ' +
              'a dev platform has a staff account (STAFF_EMAIL / STAFF_PASSWORD).',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const hidden = { schema: { hide: true } };
  app.get('/openapi.json', hidden, () => app.swagger());
  const alive = () => ({ status: 'ok', service: options.name, version: options.version });
  app.get('/healthz', hidden, alive);
  // The container image's HEALTHCHECK: the same path on every deployable (the gateway's /healthz differs).
  app.get('/livez', hidden, alive);
  app.get('/readyz', hidden, async (_request, reply) => {
    const report = await readiness.run();
    return reply.code(report.status === 'ready' ? 200 : 503).send(report);
  });
  registerMetricsRoute(app);
  return app;
}
