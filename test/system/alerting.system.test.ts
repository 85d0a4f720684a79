// Alert routing on the running platform: an alert that reaches the platform's Alertmanager is sent to
// the ops console's webhook (with the token the platform generated) and shown, with its history, to
// staff; a webhook call without that token is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { staffLogin, waitFor } from './support.ts';

const alertmanagerUrl = process.env.ALERTMANAGER_URL;
const opsUrl = process.env.OPS_URL;
const skip = !(alertmanagerUrl && opsUrl) && 'ALERTMANAGER_URL and OPS_URL are not set (the test platform runs both)';

interface OpsAlerts {
  alerts: { labels: Record<string, string> }[];
  history: { status: string; labels: Record<string, string> }[];
}

test("an alert in the platform's Alertmanager reaches the ops console: firing now and in the notification history", { skip }, async () => {
  const staff = await staffLogin();
  const alertname = `SystemTestAlert_${randomUUID().slice(0, 8)}`;
  const posted = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname, service: 'system-test', severity: 'critical' }, annotations: { summary: 'raised by a system test' },
      endsAt: new Date(Date.now() + 60_000).toISOString() }]),
  });
  assert.equal(posted.status, 200);
  const opsAlerts = async (): Promise<OpsAlerts> => {
    const response = await fetch(`${opsUrl}/ops-api/alerts`, { headers: { authorization: `Bearer ${staff}` } });
    assert.equal(response.status, 200);
    return (await response.json()) as OpsAlerts;
  };
  const seen = await waitFor(async () => {
    const now = await opsAlerts();
    return now.history.some((entry) => entry.labels.alertname === alertname && entry.status === 'firing') ? now : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, message: 'the alert notified to the ops console' });
  assert.ok(seen.alerts.some((alert) => alert.labels.alertname === alertname), 'listed as firing');

  const anonymous = await fetch(`${opsUrl}/ops-api/alerts`);
  assert.equal(anonymous.status, 401, 'alerts are for staff only');
  const forged = await fetch(`${opsUrl}/ops-api/alerts/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-platform-token' },
    body: JSON.stringify({ alerts: [{ status: 'firing', labels: { alertname: 'Forged' }, startsAt: new Date().toISOString(), endsAt: new Date().toISOString() }] }),
  });
  assert.equal(forged.status, 401);
  assert.ok(!(await opsAlerts()).history.some((entry) => entry.labels.alertname === 'Forged'));
});
