import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Resolver, ServiceInstance } from '@meridian/discovery';
import { counterOf, histogramOf, metricsRegistry, problem, refusalLog, type AccessLog } from '@meridian/http';
import { extractContext, SpanKind, SpanStatusCode, startSpan } from '@meridian/telemetry';
import { type TrafficSplit, versionHeader, wantedVersion } from './versions.ts';

export interface ProxyOptions {
  resolver: Resolver;
  /** Upstream inactivity timeout (no bytes either way) before answering 504. */
  timeoutMs: number;
  /** Instances tried per request, at most. */
  attempts: number;
  /** Largest request body forwarded, in bytes (declared or streamed); bigger ones get 413. Unlimited when unset. */
  bodyLimit?: number;
  /**
   * `errors` (default, `ACCESS_LOG`): a successful fast read (GET/HEAD, status < 300, under `slowMs`) is
   * logged at debug, everything else at info: every command (an order placed, a product changed) keeps
   * its access line in the logs and its trace; a read is in its span and the metrics. `all`: every
   * request at info.
   */
  accessLog?: AccessLog;
  slowMs?: number;
  /** Traffic split per service between the versions running side by side (see versions.ts); none: any ready instance. */
  splits?: ReadonlyMap<string, TrafficSplit>;
}

// Connection-scoped headers (RFC 9110 §7.6.1) are not forwarded; `host` is set for the upstream.
const hopByHop = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host',
]);
const readMethods = new Set(['GET', 'HEAD']);
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

class UpstreamTimeout extends Error {}

/** Requests the upstream refused as overloaded (503 with Retry-After). */
const refusedUpstream = new WeakSet<FastifyRequest>();
class BodyTooLarge extends Error {}

/** Relays an upstream answer's status and headers to the client (the body follows). */
type Answer = (statusCode: number, headers: IncomingHttpHeaders) => void;

/**
 * An upstream answer written straight into the client's response as undici parses it (its dispatch
 * handler API): no intermediate stream, pipe or AbortController per request. The promise settles
 * when the head is relayed (`relayed`) or the attempt failed before it (`failed`, may be retried);
 * after that, a failure on either side ends the other (the client sees a truncated response).
 */
class RelayHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #started = false;
  #ended = false;
  readonly #response: ServerResponse;
  readonly #answer: Answer;
  readonly #relayed: () => void;
  readonly #failed: (err: Error) => void;

  constructor(response: ServerResponse, answer: Answer, relayed: () => void, failed: (err: Error) => void) {
    this.#response = response;
    this.#answer = answer;
    this.#relayed = relayed;
    this.#failed = failed;
    // The client left before the answer was relayed: stop the upstream request.
    response.once('close', () => {
      if (!this.#ended) this.#controller?.abort(new Error('the client went away'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // The client left while the request waited for a connection.
    if (this.#response.destroyed) controller.abort(new Error('the client went away'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // informational (1xx): the final answer follows
    this.#started = true;
    this.#relayed(); // settled first: should relaying the head throw, undici ends the response (onResponseError)
    this.#answer(statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#response.write(chunk)) return;
    controller.pause();
    this.#response.once('drain', () => controller.resume());
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#response.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#ended = true;
    if (this.#started) this.#response.destroy(err);
    else this.#failed(err);
  }
}

/** A failed upstream attempt; `sent` tells whether any of the request may have reached the upstream. */
class AttemptFailed extends Error {
  readonly sent: boolean;
  constructor(cause: Error, sent: boolean) {
    super(cause.message, { cause });
    this.sent = sent;
  }
}

// undici sets these itself from the origin and the body (and does not support `expect`).
const setByUndici = new Set([...hopByHop, 'expect', 'content-length']);

/** The headers sent upstream; `replayable`: for undici (see `setByUndici`), else for `node:http`. */
function forwardedHeaders(request: FastifyRequest, replayable: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const skipped = replayable ? setByUndici : hopByHop;
  for (const name in request.headers) {
    const value = request.headers[name];
    if (value !== undefined && !skipped.has(name)) headers[name] = value;
  }
  const clientIp = request.raw.socket.remoteAddress;
  const priorFor = request.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor && clientIp ? `${priorFor}, ${clientIp}` : (priorFor ?? clientIp);
  headers['x-forwarded-proto'] = request.headers['x-forwarded-proto'] ?? 'http';
  if (request.headers.host) headers['x-forwarded-host'] = request.headers['x-forwarded-host'] ?? request.headers.host;
  headers['x-request-id'] = request.id;
  // A span active in the gateway becomes the upstream's parent; otherwise traceparent passes through.
  propagation.inject(context.active(), headers);
  return headers;
}

function responseHeaders(upstream: IncomingHttpHeaders, requestId: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
  }
  headers['x-request-id'] = requestId;
  return headers;
}

// Instance URLs parsed once (instances come and go rarely; the map is bounded by the ones ever seen).
const targets = new Map<string, URL>();
function targetOf(instance: ServiceInstance): URL {
  let target = targets.get(instance.url);
  if (!target) targets.set(instance.url, (target = new URL(instance.url)));
  return target;
}

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/** Largest request body kept in memory so that the request can be sent again on another connection. */
export const replayableBodyBytes = 64 * 1024;

/**
 * How a request may travel (the rule of Go's `net/http` Transport): one that is safe to send twice, an
 * idempotent method or one carrying an `Idempotency-Key` (the upstream answers a repeat as it answered the
 * first), goes over kept-alive connections and is sent again on another instance if anything fails before
 * the answer's headers; its body, when it has one, is read first (a declared length up to
 * `replayableBodyBytes`) so it can be. Any other request streams its body on a connection of its own.
 */
export function deliveryOf(method: string, headers: FastifyRequest['headers']): 'replay' | 'replay-body' | 'once' {
  const safeTwice = idempotentMethods.has(method) || headers['idempotency-key'] !== undefined;
  if (!safeTwice) return 'once';
  if (headers['transfer-encoding'] !== undefined) return 'once';
  const declared = Number(headers['content-length'] ?? 0);
  if (declared === 0) return 'replay';
  return declared <= replayableBodyBytes ? 'replay-body' : 'once';
}

/** The request's body, all of it (its length was declared and is small: see `deliveryOf`). */
async function bodyOf(request: FastifyRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request.raw) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Forwards requests to a discovered instance over keep-alive connections, streaming bodies both
 * ways. The request body is only piped once the upstream connection is up, so a refused
 * connection can be retried on another instance for any method; a connection that breaks later
 * is retried only for idempotent requests without a body.
 */
export function createProxy({
  resolver,
  timeoutMs,
  attempts,
  bodyLimit = Number.POSITIVE_INFINITY,
  accessLog = 'errors',
  slowMs = 500,
  splits = new Map(),
}: ProxyOptions) {
  // Per upstream version, so a canary's error rate and latency can be told from the stable build's.
  const upstreamMetrics = {
    responses: counterOf(metricsRegistry, 'gateway_upstream_responses_total', 'Answers relayed from an upstream instance, by service, its build version and status', ['service', 'version', 'status_code']),
    duration: histogramOf(metricsRegistry, 'gateway_upstream_duration_seconds', 'Time until an upstream instance answered (headers), by service and build version', ['service', 'version'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  };
  const instancesOf = (service: string) => resolver.instances(service);
  // Keep-alive connections for replayable requests (a request on a connection the upstream just closed
  // as idle fails and is simply sent again); their idle timeout stays below the services' (72 s).
  // A command sent this way cost the gateway 4-14% less CPU per order (docs/benchmarks.md, session 15).
  const readAgent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000, connections: 256 });
  // A request that cannot be replayed goes on a fresh connection: on a reused one it could race the
  // upstream closing that connection as idle, fail with "socket hang up" and not be retryable.
  const freshAgent = new http.Agent({ keepAlive: false });

  function attemptOnce(instance: ServiceInstance, request: FastifyRequest, reply: FastifyReply, headers: OutgoingHttpHeaders) {
    const target = targetOf(instance);
    headers.host = target.host;
    return new Promise<IncomingMessage>((resolve, reject) => {
      let connected = false;
      const upstream = http.request({
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers,
        agent: freshAgent,
        timeout: timeoutMs,
      });
      const sendBody = () => {
        connected = true;
        if (!hasBody(request)) return upstream.end();
        // Cut off here rather than let the upstream reject it mid-upload (which races into a 502).
        let bytes = 0;
        request.raw.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > bodyLimit) upstream.destroy(new BodyTooLarge(`request body larger than ${bodyLimit} bytes`));
        });
        request.raw.pipe(upstream);
      };
      // The client left before the answer came: stop waiting for it.
      const abandon = () => upstream.destroy();
      reply.raw.once('close', abandon);
      upstream.once('socket', (socket) => (socket.connecting ? socket.once('connect', sendBody) : sendBody()));
      upstream.once('response', (response) => {
        reply.raw.off('close', abandon);
        resolve(response);
      });
      upstream.once('timeout', () => upstream.destroy(new UpstreamTimeout(`no answer from ${instance.url} within ${timeoutMs} ms`)));
      upstream.on('error', (err) => reject(err instanceof UpstreamTimeout || err instanceof BodyTooLarge ? err : new AttemptFailed(err, connected)));
    });
  }

  /**
   * A replayable request (see `deliveryOf`) goes through undici's dispatcher, its answer written
   * straight into the client's response by `RelayHandler` (no intermediate stream). Any failure
   * before the answer's headers may be retried on another instance; `answer` writes the head.
   */
  function attemptReplayable(instance: ServiceInstance, request: FastifyRequest, reply: FastifyReply, headers: OutgoingHttpHeaders, body: Buffer | undefined, answer: Answer): Promise<void> {
    const target = targetOf(instance);
    return new Promise<void>((resolve, reject) => {
      const handler = new RelayHandler(reply.raw, answer, resolve, (err) => {
        if (err instanceof undiciErrors.HeadersTimeoutError) reject(new UpstreamTimeout(`no answer from ${instance.url} within ${timeoutMs} ms`));
        else reject(new AttemptFailed(err, true));
      });
      readAgent.dispatch(
        {
          origin: target.origin,
          path: request.url,
          method: request.method as Dispatcher.HttpMethod,
          headers: headers as Record<string, string | string[]>,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        handler,
      );
    });
  }

  /** A request with a body (or not idempotent): the body is piped only once connected, on a fresh connection. */
  async function attemptWithBody(instance: ServiceInstance, request: FastifyRequest, reply: FastifyReply, headers: OutgoingHttpHeaders, answer: Answer): Promise<void> {
    const response = await attemptOnce(instance, request, reply, headers);
    answer(response.statusCode ?? 502, response.headers);
    // Either side failing mid-body ends the other (the client sees a truncated response).
    // Plain pipe: stream.pipeline allocates an AbortController per call, measurable here.
    response.pipe(reply.raw);
    response.once('error', () => reply.raw.destroy());
    reply.raw.once('close', () => {
      if (!response.complete) response.destroy();
    });
  }

  async function forward(request: FastifyRequest, reply: FastifyReply, service: string): Promise<FastifyReply> {
    const tooLarge = () => {
      // The rest of the upload is not read: close the connection after answering.
      reply.header('connection', 'close');
      return problem(413, 'payload-too-large', `request body larger than ${bodyLimit} bytes`);
    };
    if (Number(request.headers['content-length'] ?? 0) > bodyLimit) throw tooLarge();
    const version = wantedVersion(service, request.headers, request.raw.socket.remoteAddress ?? '', splits, instancesOf);
    const delivery = deliveryOf(request.method, request.headers);
    const replayable = delivery !== 'once';
    const headers = forwardedHeaders(request, replayable);
    let body: Buffer | undefined;
    if (delivery === 'replay-body') {
      try {
        body = await bodyOf(request);
      } catch {
        if (reply.raw.destroyed) return reply; // the client left mid-upload; nobody to answer
        throw problem(400, 'bad-request', 'the request body could not be read to the end');
      }
    }
    let lastError: Error | undefined;
    for (let tries = 0; tries < attempts; tries++) {
      // A split's version may have just lost its instances: then any ready one (a pinned version is kept to).
      const instance = resolver.resolve(service, version) ?? (version && !request.headers[versionHeader] ? resolver.resolve(service) : undefined);
      if (!instance) break;
      const startedAt = performance.now();
      // The upstream's head, relayed: from here the body streams to the client and there is no retry.
      const answer: Answer = (statusCode, upstreamHeaders) => {
        upstreamMetrics.duration.observe({ service, version: instance.version }, (performance.now() - startedAt) / 1000);
        upstreamMetrics.responses.inc({ service, version: instance.version, status_code: statusCode });
        if (statusCode === 503 && upstreamHeaders['retry-after'] !== undefined) refusedUpstream.add(request);
        // Written straight to the socket: Fastify's reply machinery is not needed for a relay.
        reply.hijack();
        const answerHeaders = responseHeaders(upstreamHeaders, request.id);
        answerHeaders[versionHeader] = instance.version;
        reply.raw.writeHead(statusCode, answerHeaders);
      };
      try {
        if (replayable) await attemptReplayable(instance, request, reply, headers, body, answer);
        else await attemptWithBody(instance, request, reply, headers, answer);
        return reply;
      } catch (err) {
        if (reply.raw.destroyed) return reply; // the client is gone; nobody to answer
        if (err instanceof UpstreamTimeout) throw problem(504, 'gateway-timeout', err.message);
        if (err instanceof BodyTooLarge) throw tooLarge();
        const failure = err as AttemptFailed;
        resolver.markFailed(instance.instanceId);
        request.log.warn({ err: failure.cause, reqId: request.id, service, instance: instance.url }, 'upstream attempt failed');
        lastError = failure;
        if (failure.sent && !replayable) break;
      }
    }
    if (!lastError) throw problem(503, 'service-unavailable', `no ready instance of ${service}${version ? ` at version ${version}` : ''}`);
    throw problem(502, 'bad-gateway', `${service} could not be reached: ${lastError.message}`);
  }

  // A server span per request (child of the client's traceparent, parent of the upstream's span)
  // and one log line carrying its trace id when the response is done.
  function proxy(request: FastifyRequest, reply: FastifyReply, service: string): Promise<FastifyReply> {
    const span = startSpan(
      `${request.method} ${service}`,
      { 'http.request.method': request.method, 'url.path': request.url, 'meridian.upstream.service': service },
      { kind: SpanKind.SERVER, parent: extractContext(request.headers) },
    );
    const spanContext = trace.setSpan(context.active(), span);
    reply.header('x-trace-id', span.spanContext().traceId);
    reply.raw.once('close', () => {
      const statusCode = reply.raw.statusCode;
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      const durationMs = reply.elapsedTime;
      // A routine request is in its span and the metrics; its access line is built only when debug is on.
      const routine = accessLog === 'errors' && readMethods.has(request.method) && statusCode < 300 && durationMs < slowMs;
      if (routine && !(request.log as { isLevelEnabled?(level: string): boolean }).isLevelEnabled?.('debug')) return;
      const fields = { reqId: request.id, upstream: service, method: request.method, url: request.url, statusCode, durationMs: Math.round(durationMs) };
      // The upstream refused it as overloaded (503 + Retry-After): told with the others of its flood.
      if (accessLog === 'errors' && refusedUpstream.has(request)) {
        context.with(spanContext, () => refusalLog.refused(request.log, fields));
        return;
      }
      context.with(spanContext, () => (routine ? request.log.debug(fields, 'request completed') : request.log.info(fields, 'request completed')));
    });
    return context.with(spanContext, () => forward(request, reply, service));
  }

  /** Closes the kept-alive upstream connections (the gateway is stopping). */
  proxy.close = () => readAgent.close();
  return proxy;
}
