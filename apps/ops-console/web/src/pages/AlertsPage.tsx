import { useEffect, useState } from 'react';
import { ErrorNotice, formatTime, ResourceView, useAction, useResource } from '../../../../shared/web/ui.tsx';
import { api, type ActiveAlert, type AlertNotification, type Silence } from '../api.ts';

const refreshMs = 5000;
/** The labels that name what an alert is about; silencing matches on these. */
const identity = (labels: Record<string, string>) =>
  Object.fromEntries(['alertname', 'namespace', 'service', 'instance_id'].filter((name) => labels[name]).map((name) => [name, labels[name]]));

function SeverityBadge({ severity }: { severity?: string }) {
  const tone = severity === 'critical' ? 'badge-bad' : 'badge-warn';
  return <span className={`badge ${tone}`}>{severity ?? 'alert'}</span>;
}

function AlertCard({ alert, onChange }: { alert: ActiveAlert; onChange: () => void }) {
  const [minutes, setMinutes] = useState(60);
  const silence = useAction(async () => {
    await api.silence(identity(alert.labels), minutes, `silenced from the ops console: ${alert.labels.alertname}`);
    onChange();
  });
  const silenced = alert.status.silencedBy.length > 0;
  return (
    <li className="card stack" aria-label={`Alert ${alert.labels.alertname} ${alert.labels.service ?? ''}`.trim()}>
      <div className="spread">
        <strong>
          <SeverityBadge severity={alert.labels.severity} /> {alert.labels.alertname}
          {alert.labels.service && <span className="muted"> · {alert.labels.service}</span>}
        </strong>
        <span className="muted small">firing since {formatTime(alert.startsAt)}</span>
      </div>
      {alert.annotations.summary && <p style={{ margin: 0 }}>{alert.annotations.summary}</p>}
      {alert.annotations.description && <p className="muted small" style={{ margin: 0 }}>{alert.annotations.description}</p>}
      <div className="row">
        {silenced ? (
          <span className="notice notice-ok small" role="status">Silenced: no notification is sent while the silence lasts</span>
        ) : alert.status.inhibitedBy.length > 0 ? (
          <span className="muted small">Inhibited by a broader alert</span>
        ) : (
          <>
            <label className="small row" style={{ alignItems: 'center' }}>
              Silence for
              <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} aria-label="Silence duration">
                <option value={15}>15 minutes</option>
                <option value={60}>1 hour</option>
                <option value={240}>4 hours</option>
                <option value={1440}>1 day</option>
              </select>
            </label>
            <button type="button" onClick={() => void silence.run()} disabled={silence.busy}>
              {silence.busy ? 'Silencing…' : 'Silence'}
            </button>
          </>
        )}
      </div>
      <ErrorNotice error={silence.error} />
    </li>
  );
}

function SilenceRow({ silence, onChange }: { silence: Silence; onChange: () => void }) {
  const expire = useAction(async () => {
    await api.expireSilence(silence.id);
    onChange();
  });
  return (
    <tr>
      <td className="mono small">{silence.matchers.map((m) => `${m.name}=${m.value}`).join(', ')}</td>
      <td className="small">until {formatTime(silence.endsAt)}</td>
      <td className="small">{silence.createdBy}</td>
      <td>
        <button type="button" onClick={() => void expire.run()} disabled={expire.busy}>
          End now
        </button>
        <ErrorNotice error={expire.error} />
      </td>
    </tr>
  );
}

function HistoryRow({ entry }: { entry: AlertNotification }) {
  return (
    <tr>
      <td className="small mono" style={{ whiteSpace: 'nowrap' }}>{formatTime(entry.receivedAt)}</td>
      <td>
        <span className={`badge ${entry.status === 'firing' ? 'badge-bad' : 'badge-ok'}`}>{entry.status}</span>
      </td>
      <td>{entry.labels.alertname}</td>
      <td>{entry.labels.service ?? '—'}</td>
      <td className="small">{entry.annotations.summary ?? ''}</td>
    </tr>
  );
}

/** Alerts as Alertmanager routes them: firing now (with silences), and every notification the ops console received. */
export function AlertsPage() {
  const alerts = useResource((signal) => api.alerts(signal), []);
  const { reload } = alerts;
  useEffect(() => {
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), refreshMs);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Alerts</h1>
        {alerts.data && (
          <a href={alerts.data.alertmanagerUrl} target="_blank" rel="noopener" className="small">
            Alertmanager ↗
          </a>
        )}
      </div>
      <ResourceView resource={alerts} label="Asking Alertmanager…">
        {({ alerts: active, silences, history }) => (
          <>
            <section aria-labelledby="firing-title" className="stack">
              <h2 id="firing-title">Firing now ({active.length})</h2>
              {active.length === 0 ? (
                <p className="card muted">Nothing is firing. Rules: infra/prometheus/rules/alerts.rules.yml.</p>
              ) : (
                <ul className="stack" style={{ listStyle: 'none', padding: 0 }} aria-label="Firing alerts">
                  {active.map((alert) => <AlertCard key={alert.fingerprint} alert={alert} onChange={reload} />)}
                </ul>
              )}
            </section>
            {silences.length > 0 && (
              <section aria-labelledby="silences-title" className="stack">
                <h2 id="silences-title">Silences</h2>
                <table aria-label="Silences">
                  <tbody>{silences.map((silence) => <SilenceRow key={silence.id} silence={silence} onChange={reload} />)}</tbody>
                </table>
              </section>
            )}
            <section aria-labelledby="history-title" className="stack">
              <h2 id="history-title">Notifications received</h2>
              {history.length === 0 ? (
                <p className="card muted">No notification yet. Alertmanager sends one when an alert fires and when it resolves.</p>
              ) : (
                <table aria-label="Alert notifications">
                  <thead>
                    <tr><th>Received</th><th>Status</th><th>Alert</th><th>Service</th><th>Summary</th></tr>
                  </thead>
                  <tbody>{history.map((entry) => <HistoryRow key={entry.id} entry={entry} />)}</tbody>
                </table>
              )}
            </section>
          </>
        )}
      </ResourceView>
    </div>
  );
}
