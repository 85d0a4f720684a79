import type { FastifyReply } from 'fastify';
import type { App } from '@meridian/http';

export interface EventStream {
  /** Sends one event; `data` is JSON-encoded. Ignored once closed. */
  send(event: string, data: unknown): void;
  close(): void;
  readonly closed: boolean;
  /** Runs once when the stream ends, from either side. */
  onClose(listener: () => void): void;
}

/** One server-sent event in wire format (RFC: HTML Living Standard §9.2). */
export function formatEvent(event: string, data: unknown): string {
  const lines = JSON.stringify(data).split('\n').map((line) => `data: ${line}`);
  return `event: ${event}\n${lines.join('\n')}\n\n`;
}

/**
 * Opens server-sent event streams on Fastify replies and ends them all when the app closes, so a
 * graceful shutdown does not wait for browsers to hang up.
 */
export function createEventStreams(app: App, heartbeatMs = 15_000) {
  const open = new Set<EventStream>();
  app.addHook('preClose', (done) => {
    for (const stream of open) stream.close();
    done();
  });

  return {
    open(reply: FastifyReply): EventStream {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      const listeners: (() => void)[] = [];
      let closed = false;
      const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
      const finish = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        open.delete(stream);
        for (const listener of listeners) listener();
      };
      const stream: EventStream = {
        send(event, data) {
          if (!closed) res.write(formatEvent(event, data));
        },
        close() {
          finish();
          res.end();
        },
        get closed() {
          return closed;
        },
        onClose(listener) {
          if (closed) listener();
          else listeners.push(listener);
        },
      };
      res.once('close', finish);
      open.add(stream);
      return stream;
    },
    get size() {
      return open.size;
    },
  };
}

/** Fan-out of values to listeners subscribed by key (e.g. order id), or to every key with `'*'`. */
export function createHub<T>() {
  const byKey = new Map<string, Set<(value: T) => void>>();
  return {
    subscribe(key: string, listener: (value: T) => void): () => void {
      let listeners = byKey.get(key);
      if (!listeners) byKey.set(key, (listeners = new Set()));
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) byKey.delete(key);
      };
    },
    publish(key: string, value: T): void {
      for (const listener of [...(byKey.get(key) ?? []), ...(byKey.get('*') ?? [])]) listener(value);
    },
    /** Listeners currently subscribed, over all keys. */
    get size() {
      let count = 0;
      for (const listeners of byKey.values()) count += listeners.size;
      return count;
    },
  };
}
export type Hub<T> = ReturnType<typeof createHub<T>>;
