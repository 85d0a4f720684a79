/**
 * Alerts in the ops console, from Alertmanager: what fires now (its API), what was notified (its
 * webhook, the `ops-console` receiver of infra/alertmanager/config.ts, kept here newest first), and
 * silences created and expired through its API by signed-in staff.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Type } from 'typebox';
import { problem, type App } from '@meridian/http';
import type { ServiceContext } from '@meridian/service';

/** Notifications kept for the history view. */
const historyLimit = 500;

export interface AlertsOptions {
  /** Alertmanager's base URL; without it the routes answer 503 `alerts-unavailable`. */
  alertmanagerUrl?: string;
  /** The bearer token Alertmanager's webhook sends; without it the webhook refuses everything. */
  webhookToken?: string;
  preHandler: ServiceContext['auth']['requireStaff'];
}

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint?: string;
}

const Labels = Type.Record(Type.String(), Type.String());
const WebhookBody = Type.Object({ alerts: Type.Array(Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: Labels,
  annotations: Type.Optional(Labels),
  startsAt: Type.String(),
  endsAt: Type.String(),
}, { additionalProperties: true })) }, { additionalProperties: true });
const SilenceBody = Type.Object({
  matchers: Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'Label values an alert must have (e.g. its alertname and service)', minProperties: 1 }),
  minutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: 'How long the silence lasts' }),
  comment: Type.String({ minLength: 1, maxLength: 500, description: 'Why it is silenced' }),
}, { additionalProperties: false });

const sameToken = (given: string, expected: string) =>
  given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));

export function registerAlertRoutes(app: App, { alertmanagerUrl, webhookToken, preHandler }: AlertsOptions): void {
  const history: (WebhookAlert & { id: string; receivedAt: string })[] = [];
  const base = { tags: ['ops'], security: [{ bearerAuth: [] }] };

  async function alertmanager(path: string, init: RequestInit = {}): Promise<unknown> {
    if (!alertmanagerUrl) throw problem(503, 'alerts-unavailable', 'No Alertmanager is configured (ALERTMANAGER_URL)');
    let response: Response;
    try {
      response = await fetch(new URL(path, alertmanagerUrl), { ...init, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000) });
    } catch (err) {
      throw problem(503, 'alerts-unavailable', `Alertmanager at ${alertmanagerUrl} does not answer: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      // Alertmanager answers an unknown silence with 500 "silence not found".
      if (response.status === 404 || /not found/i.test(text)) throw problem(404, 'not-found', `Alertmanager: ${text.replaceAll('"', '').slice(0, 200)}`);
      if (response.status === 400 || response.status === 422) throw problem(400, 'alertmanager-refused', `Alertmanager refused it: ${text.slice(0, 300)}`);
      throw problem(502, 'alertmanager-failed', `Alertmanager answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return text ? JSON.parse(text) : undefined;
  }

  app.get('/ops-api/alerts', { preHandler, schema: { ...base, summary: 'Alerts firing now, silences, and the notifications received', description: 'Staff only. Read from Alertmanager (alerts, silences) and from the notifications Alertmanager posted to this app\'s webhook.' } }, async () => {
    const [alerts, silences] = await Promise.all([
      alertmanager('/api/v2/alerts?active=true&silenced=true&inhibited=true') as Promise<unknown[]>,
      alertmanager('/api/v2/silences') as Promise<{ status: { state: string } }[]>,
    ]);
    return { alertmanagerUrl, alerts, silences: silences.filter((silence) => silence.status.state !== 'expired'), history };
  });

  // Alertmanager's webhook carries the bearer token the platform generated for this run.
  const requireWebhookToken = Object.assign(async (request: { headers: { authorization?: string } }) => {
    const given = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!webhookToken || !sameToken(given, webhookToken)) throw problem(401, 'unauthorized', 'The webhook token is missing or wrong');
  }, { problemStatuses: [401] });

  app.post('/ops-api/alerts/notifications', {
    preHandler: requireWebhookToken,
    schema: { tags: ['ops'], summary: "Alertmanager's webhook receiver (bearer token from ALERTMANAGER_WEBHOOK_TOKEN)", description: 'Alertmanager posts each firing or resolved group here; the ops console keeps the latest and shows them. Not for people.', body: WebhookBody, response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const receivedAt = new Date().toISOString();
    for (const alert of (request.body as { alerts: WebhookAlert[] }).alerts) {
      history.unshift({ id: randomUUID(), receivedAt, status: alert.status, labels: alert.labels, annotations: alert.annotations ?? {}, startsAt: alert.startsAt, endsAt: alert.endsAt });
    }
    history.length = Math.min(history.length, historyLimit);
    return reply.code(204).send(null);
  });

  app.post('/ops-api/alerts/silences', {
    preHandler,
    schema: { ...base, summary: 'Silence the alerts matching some labels, through Alertmanager', description: 'Staff only. Creates an Alertmanager silence for the given label matchers and duration; answers its id.', body: SilenceBody, response: { 201: Type.Object({ silenceID: Type.String() }) } },
  }, async (request, reply) => {
    const { matchers, minutes, comment } = request.body as { matchers: Record<string, string>; minutes: number; comment: string };
    const now = Date.now();
    const created = await alertmanager('/api/v2/silences', {
      method: 'POST',
      body: JSON.stringify({
        matchers: Object.entries(matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + minutes * 60_000).toISOString(),
        createdBy: request.user?.email ?? 'ops console',
        comment,
      }),
    });
    return reply.code(201).send(created as { silenceID: string });
  });

  app.delete('/ops-api/alerts/silences/:id', {
    preHandler,
    schema: { ...base, summary: 'Expire a silence', description: 'Staff only. Ends an Alertmanager silence now; its alerts notify again.', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await alertmanager(`/api/v2/silence/${(request.params as { id: string }).id}`, { method: 'DELETE' });
    return reply.code(204).send(null);
  });
}
