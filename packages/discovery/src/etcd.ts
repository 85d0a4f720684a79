// Minimal etcd v3 client over the JSON gateway (etcd 3.4: POST /v3/...; keys and values base64).
import http from 'node:http';

export interface EtcdClientOptions {
  endpoints: string[];
  /** Per-call timeout; for watches, the time allowed to open the stream. */
  timeoutMs?: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export type WatchEvent = { type: 'put'; key: string; value: string } | { type: 'delete'; key: string };

export class EtcdError extends Error {
  override name = 'EtcdError';
}

interface RawKv {
  key: string;
  value?: string;
  mod_revision?: string;
}

const encode = (text: string): string => Buffer.from(text).toString('base64');
const decode = (base64: string | undefined): string => Buffer.from(base64 ?? '', 'base64').toString();

/** The smallest key greater than every key starting with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  bytes[bytes.length - 1]++;
  return bytes.toString('base64');
}

export function createEtcdClient({ endpoints, timeoutMs = 2000 }: EtcdClientOptions) {
  if (endpoints.length === 0) throw new EtcdError('no etcd endpoints given');
  let preferred = 0;

  /**
   * Runs `attempt` against the preferred endpoint, failing over to the others when it throws (unless
   * `signal` aborted); the endpoint that answered becomes the preferred one.
   */
  async function onFirstAnswering<T>(attempt: (endpoint: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let lastError: unknown;
    for (let i = 0; i < endpoints.length; i++) {
      const index = (preferred + i) % endpoints.length;
      try {
        const answer = await attempt(endpoints[index]);
        preferred = index;
        return answer;
      } catch (err) {
        if (signal?.aborted) throw err;
        lastError = err;
      }
    }
    throw new EtcdError(`etcd unreachable at ${endpoints.join(', ')}`, { cause: lastError });
  }

  // Kept-alive connections for the calls (a process's keep-alives and updates run one at a time, so
  // mostly one is open); node:http costs the client 0.58x the CPU of fetch per call (docs/benchmarks.md, session 12).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  /** POSTs `body` once to `endpoint`; settles with the status and parsed answer, or rejects within `timeoutMs`. */
  function postOnce(endpoint: string, path: string, payload: string): Promise<{ status: number; json: any }> {
    return new Promise((resolve, reject) => {
      const request = http.request(new URL(path, endpoint), {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      });
      const timer = setTimeout(() => request.destroy(new EtcdError(`etcd ${path} timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      request.once('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as we reused it: nothing reached etcd, send it again.
        if (request.reusedSocket && err.code === 'ECONNRESET') {
          clearTimeout(timer); // the new attempt has a timeout of its own
          postOnce(endpoint, path, payload).then(resolve, reject);
        } else fail(err);
      });
      request.once('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.once('error', fail);
        response.once('end', () => {
          clearTimeout(timer);
          try {
            resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            reject(new EtcdError(`etcd ${path} answered ${response.statusCode} with a body that is not JSON`));
          }
        });
      });
      request.end(payload);
    });
  }

  /**
   * Opens a long-lived response stream (a watch) on the first answering endpoint. It uses `node:http`
   * rather than fetch: a watch is silent while nothing changes, and fetch's body timeout would cut it
   * every 5 minutes. Only opening the stream is bounded by `timeoutMs`.
   */
  async function openStream(path: string, body: unknown, signal: AbortSignal): Promise<http.IncomingMessage> {
    const response = await onFirstAnswering(
      (endpoint) =>
        new Promise<http.IncomingMessage>((resolve, reject) => {
          const request = http.request(new URL(path, endpoint), { method: 'POST', headers: { 'content-type': 'application/json' }, signal });
          const timer = setTimeout(() => request.destroy(new EtcdError(`etcd ${path} timed out after ${timeoutMs} ms`)), timeoutMs);
          request.once('response', (res) => {
            clearTimeout(timer);
            res.setEncoding('utf8');
            resolve(res);
          });
          request.once('error', (err) => {
            clearTimeout(timer);
            reject(err);
          });
          request.end(JSON.stringify(body));
        }),
      signal,
    );
    if (response.statusCode !== 200) {
      response.destroy();
      throw new EtcdError(`etcd ${path} failed: ${response.statusCode}`);
    }
    return response;
  }

  /** POSTs to the first answering endpoint; the parsed answer, or an EtcdError with etcd's message. */
  async function call(path: string, body: unknown): Promise<any> {
    const payload = JSON.stringify(body);
    const { status, json } = await onFirstAnswering((endpoint) => postOnce(endpoint, path, payload));
    if (status < 200 || status >= 300 || json.error) {
      throw new EtcdError(`etcd ${path} failed: ${json.message ?? json.error?.message ?? status}`);
    }
    return json;
  }

  return {
    async put(key: string, value: string, lease?: string): Promise<void> {
      await call('/v3/kv/put', { key: encode(key), value: encode(value), ...(lease ? { lease } : {}) });
    },

    /** Every key under `prefix`, and the store revision the read saw. */
    async rangePrefix(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
      const json = await call('/v3/kv/range', { key: encode(prefix), range_end: prefixEnd(prefix) });
      const kvs = ((json.kvs ?? []) as RawKv[]).map((kv) => ({ key: decode(kv.key), value: decode(kv.value) }));
      return { kvs, revision: Number(json.header.revision) };
    },

    async delete(key: string): Promise<void> {
      await call('/v3/kv/deleterange', { key: encode(key) });
    },

    /** Deletes every key under `prefix`; returns how many there were. */
    async deletePrefix(prefix: string): Promise<number> {
      const json = await call('/v3/kv/deleterange', { key: encode(prefix), range_end: prefixEnd(prefix) });
      return Number(json.deleted ?? 0);
    },

    /** Grants a lease and returns its id (a decimal string: etcd ids are int64). */
    async leaseGrant(ttlSeconds: number): Promise<string> {
      const json = await call('/v3/lease/grant', { TTL: ttlSeconds });
      return json.ID;
    },

    /** Refreshes a lease; returns its remaining TTL, 0 when the lease no longer exists. */
    async leaseKeepAlive(id: string): Promise<number> {
      const json = await call('/v3/lease/keepalive', { ID: id });
      return Number(json.result?.TTL ?? 0);
    },

    async leaseRevoke(id: string): Promise<void> {
      await call('/v3/lease/revoke', { ID: id });
    },

    /**
     * Watches every key under `prefix` from `startRevision`, calling `onEvents` per batch.
     * Settles only when the stream ends: rejects on errors, on compaction and on server close;
     * resolves once `signal` aborts.
     */
    async watchPrefix(
      prefix: string,
      startRevision: number,
      onEvents: (events: WatchEvent[]) => void,
      signal: AbortSignal,
    ): Promise<void> {
      const create = { key: encode(prefix), range_end: prefixEnd(prefix), start_revision: String(startRevision) };
      const response = await openStream('/v3/watch', { create_request: create }, signal);
      let buffered = '';
      try {
        for await (const chunk of response) {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) handleMessage(JSON.parse(line));
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      } finally {
        response.destroy();
      }
      if (!signal.aborted) throw new EtcdError('etcd closed the watch stream');

      function handleMessage(message: any): void {
        if (message.error) throw new EtcdError(`etcd watch error: ${message.error.message}`);
        const result = message.result ?? {};
        if (result.canceled || result.compact_revision) {
          throw new EtcdError(`etcd watch canceled (compacted at ${result.compact_revision ?? '?'})`);
        }
        const events = ((result.events ?? []) as { type?: string; kv: RawKv }[]).map(
          ({ type, kv }): WatchEvent =>
            type === 'DELETE'
              ? { type: 'delete', key: decode(kv.key) }
              : { type: 'put', key: decode(kv.key), value: decode(kv.value) },
        );
        if (events.length > 0) onEvents(events);
      }
    },
  };
}

export type EtcdClient = ReturnType<typeof createEtcdClient>;
