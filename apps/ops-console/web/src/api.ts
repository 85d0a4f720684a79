import { request } from '../../../shared/web/api.ts';
import { createSessionStore } from '../../../shared/web/session.ts';
import type { DeadLetter, GroupLag, OutboxReport, Replayed, TopicSummary } from '../../types.ts';

export type { DeadLetter, GroupLag, OutboxReport, Replayed, TopicSummary };

export const session = createSessionStore('meridian.ops.token');
export const token = () => session.get()?.token ?? null;

export interface Instance {
  instanceId: string;
  version: string;
  url: string;
  health: 'starting' | 'ready' | 'draining';
  apiVersions: string[];
  startedAt: string;
}
export interface TailMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  timestamp: string;
  headers: Record<string, string>;
  value: unknown;
}

export interface LogEntry {
  id: string;
  time: string;
  service: string;
  level: string;
  instance: string | null;
  msg: string;
  traceId: string | null;
  spanId: string | null;
  reqId: string | null;
  data: Record<string, unknown>;
}
/** Parameters of the logging service's search (`GET /api/v1/ops/logs`); all optional. */
export interface LogQuery {
  traceId?: string;
  service?: string;
  level?: string;
  q?: string;
  since?: string;
  until?: string;
  order?: 'asc' | 'desc';
  cursor?: string;
  limit?: number;
}

export const api = {
  config: (signal?: AbortSignal) => request<{ zipkinUrl: string | null }>('/ops-api/config', { token: token(), signal }),
  services: (signal?: AbortSignal) => request<{ namespace: string; services: { service: string; instances: Instance[] }[] }>('/ops-api/services', { token: token(), signal }),
  outbox: (signal?: AbortSignal) => request<{ items: OutboxReport[] }>('/ops-api/outbox', { token: token(), signal }),
  kafka: (signal?: AbortSignal) => request<{ topics: TopicSummary[]; groups: GroupLag[] }>('/ops-api/kafka', { token: token(), signal }),
  logs: (params: LogQuery, signal?: AbortSignal) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
    return request<{ items: LogEntry[]; nextCursor: string | null }>(`/api/v1/ops/logs?${search}`, { token: token(), signal });
  },
  deadLetters: (signal?: AbortSignal) => request<{ items: DeadLetter[] }>('/ops-api/dead-letters', { token: token(), signal }),
  replay: (letter: Pick<DeadLetter, 'topic' | 'partition' | 'offset'>) =>
    request<Replayed>('/ops-api/dead-letters/replay', {
      method: 'POST',
      body: { topic: letter.topic, partition: letter.partition, offset: letter.offset },
      token: token(),
    }),
};
