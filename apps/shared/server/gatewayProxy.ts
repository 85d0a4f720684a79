import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceClient } from '@meridian/discovery';
import { ServiceUnavailableError } from '@meridian/discovery';
import type { App } from '@meridian/http';
import { problem } from '@meridian/http';

/** Request headers the browser may send on to the gateway. */
const forwardedRequestHeaders = ['accept', 'authorization', 'content-type', 'idempotency-key', 'if-none-match'];
/** Response headers that describe the connection or a body encoding fetch already undid. */
const droppedResponseHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'date', 'x-request-id']);

/**
 * Forwards `/api/*` to the gateway found through discovery, so the browser talks to one origin.
 * Bodies are passed through untouched; gateway problems (4xx/5xx) reach the browser as they are.
 */
export function proxyApiToGateway(app: App, gateway: ServiceClient, timeoutMs = 30_000): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const headers = new Headers({ 'x-request-id': String(request.id) });
      for (const name of forwardedRequestHeaders) {
        const value = request.headers[name];
        if (typeof value === 'string') headers.set(name, value);
      }
      const body = Buffer.isBuffer(request.body) && request.body.length > 0 ? new Uint8Array(request.body) : undefined;
      let response: Response;
      try {
        response = await gateway.request(request.url, { method: request.method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        if (err instanceof ServiceUnavailableError) throw problem(503, 'service-unavailable', 'The platform gateway is not available right now');
        if ((err as Error).name === 'TimeoutError') throw problem(504, 'gateway-timeout', `The platform gateway did not answer within ${timeoutMs} ms`);
        throw problem(502, 'bad-gateway', 'The platform gateway could not be reached');
      }
      reply.code(response.status);
      for (const [name, value] of response.headers) {
        if (!droppedResponseHeaders.has(name)) reply.header(name, value);
      }
      return reply.send(Buffer.from(await response.arrayBuffer()));
    };
    scope.all('/api/*', { schema: { hide: true } }, forward);
  });
}
