// The HTTP conventions every Meridian server follows, for the chassis server and the gateway alike:
// the request-id rule, problem+json answers and their log lines, and `/metrics`.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { metricsRegistry } from './metrics.ts';
import { HttpProblem, OverloadedProblem, toProblem } from './problem.ts';
import { refusalLog } from './refusals.ts';

const requestIdPattern = /^[\w.:-]{1,128}$/;

/** The client's `x-request-id` when it is well-formed (word characters, `.:-`, at most 128), else a new UUID. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers['x-request-id'];
  return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID();
}

/** Requests answered 503 `overloaded`: their access lines are left to the refusal log's summary. */
export const refusedAsOverloaded = new WeakSet<FastifyRequest>();

/**
 * Answers `error` as problem+json. A 503 says when to come back (`Retry-After`: the overload's own
 * delay, else 1 s). Logged by what it means: a 5xx the code chose (an `HttpProblem`) is one warn line
 * without a stack, any other 5xx is a bug (error, with the stack), a 4xx is debug. An overload refusal
 * goes to the refusal log, which tells a flood of them in one line per interval. `inScope` runs the
 * logging in the request's log context.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown, inScope: <T>(fn: () => T) => T = (fn) => fn()) {
  const body = toProblem(error, request.url);
  if ((error as { code?: string } | undefined)?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    body.detail = `Unsupported content type: ${request.headers['content-type'] ?? '(none)'}`;
  }
  if (body.status === 503) reply.header('retry-after', String(error instanceof OverloadedProblem ? error.retryAfterSeconds : 1));
  inScope(() => {
    if (error instanceof OverloadedProblem) {
      refusedAsOverloaded.add(request);
      refusalLog.refused(request.log, { problem: body.type, status: body.status, detail: body.detail });
    } else if (body.status >= 500 && !(error instanceof HttpProblem)) request.log.error({ err: error, status: body.status }, 'request failed');
    else if (body.status >= 500) request.log.warn({ problem: body.type, status: body.status, detail: body.detail }, 'request refused');
    else request.log.debug({ problem: body.type, detail: body.detail }, 'request rejected');
  });
  return reply.code(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/** `GET /metrics`: every metric of the process, in Prometheus' text format. */
export function registerMetricsRoute(app: FastifyInstance): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()));
}
