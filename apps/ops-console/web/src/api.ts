import { request } from '../../../shared/web/api.ts';
import { createSessionStore } from '../../../shared/web/session.ts';
import type { DeadLetter, GroupLag, OutboxReport, Replayed, ServiceMap, TopicSummary } from '../../types.ts';

export type { DeadLetter, GroupLag, OutboxReport, Replayed, ServiceMap, TopicSummary };
import type { Dashboard } from './dashboards/grafana.ts';

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
/** A Kafka record of the live tail. */
export type TailMessage = FeedMessage;

import type { FeedMessage } from '../../../shared/feedMessage.ts';
import type { LogEntry, Page } from '../../../shared/web/types.ts';

export type { LogEntry };
/** An alert as Alertmanager's API shows it (`GET /api/v2/alerts`). */
export interface ActiveAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}
export interface Silence {
  id: string;
  matchers: { name: string; value: string }[];
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}
/** A notification Alertmanager sent to the ops console's webhook. */
export interface AlertNotification {
  id: string;
  receivedAt: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
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
  alerts: (signal?: AbortSignal) =>
    request<{ alertmanagerUrl: string; alerts: ActiveAlert[]; silences: Silence[]; history: AlertNotification[] }>('/ops-api/alerts', { token: token(), signal }),
  silence: (matchers: Record<string, string>, minutes: number, comment: string) =>
    request<{ silenceID: string }>('/ops-api/alerts/silences', { method: 'POST', body: { matchers, minutes, comment }, token: token() }),
  expireSilence: (id: string) => request<void>(`/ops-api/alerts/silences/${id}`, { method: 'DELETE', token: token() }),
  dashboards: (signal?: AbortSignal) => request<{ prometheusUrl: string | null; dashboards: Dashboard[] }>('/ops-api/dashboards', { token: token(), signal }),
  queryRange: (query: string, start: number, end: number, step: number, signal?: AbortSignal) =>
    request<{ data: { result: { metric: Record<string, string>; values: [number, string][] }[] } }>(
      `/ops-api/metrics/query_range?${new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) })}`,
      { token: token(), signal },
    ),
  query: (query: string, signal?: AbortSignal) =>
    request<{ data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } }>(
      `/ops-api/metrics/query?${new URLSearchParams({ query })}`,
      { token: token(), signal },
    ),
  config: (signal?: AbortSignal) => request<{ zipkinUrl: string | null }>('/ops-api/config', { token: token(), signal }),
  services: (signal?: AbortSignal) => request<{ namespace: string; services: { service: string; instances: Instance[] }[] }>('/ops-api/services', { token: token(), signal }),
  serviceMap: (signal?: AbortSignal) => request<ServiceMap>('/ops-api/service-map', { token: token(), signal }),
  outbox: (signal?: AbortSignal) => request<{ items: OutboxReport[] }>('/ops-api/outbox', { token: token(), signal }),
  kafka: (signal?: AbortSignal) => request<{ topics: TopicSummary[]; groups: GroupLag[] }>('/ops-api/kafka', { token: token(), signal }),
  logs: (params: LogQuery, signal?: AbortSignal) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
    return request<Page<LogEntry>>(`/api/v1/ops/logs?${search}`, { token: token(), signal });
  },
  deadLetters: (signal?: AbortSignal) => request<{ items: DeadLetter[] }>('/ops-api/dead-letters', { token: token(), signal }),
  replay: (letter: Pick<DeadLetter, 'topic' | 'partition' | 'offset'>) =>
    request<Replayed>('/ops-api/dead-letters/replay', {
      method: 'POST',
      body: { topic: letter.topic, partition: letter.partition, offset: letter.offset },
      token: token(),
    }),
};
