import type { ReactNode } from 'react';
import { Link } from '../../../../shared/web/router.tsx';
import { usePolling } from '../../../../shared/web/ui.tsx';
import '../dashboards/dashboards.css';
import { formatValue } from '../dashboards/grafana.ts';
import { api } from '../api.ts';

const refreshMs = 10_000;

/** One number from Prometheus (the sum of an instant query's samples), polled. */
function useMetric(expr: string | undefined) {
  return usePolling(async (signal) => {
    if (!expr) return undefined;
    const result = (await api.query(expr, signal)).data.result;
    if (result.length === 0) return null;
    return result.reduce((sum, row) => sum + Number(row.value[1]), 0);
  }, refreshMs, [expr]);
}

function Tile({ title, to, tone, children, detail }: { title: string; to: string; tone?: 'ok' | 'warn' | 'bad'; children: ReactNode; detail?: ReactNode }) {
  return (
    <Link to={to} className={`card overview-tile${tone ? ` overview-${tone}` : ''}`} aria-label={title} aria-current={false}>
      <span className="overview-title">{title}</span>
      <span className="overview-value">{children}</span>
      {detail && <span className="muted small">{detail}</span>}
    </Link>
  );
}

function MetricTile({ title, to, expr, unit, warnAbove, badAbove, namespace }: {
  title: string; to: string; expr: string; unit: string; warnAbove: number; badAbove: number; namespace?: string;
}) {
  const metric = useMetric(namespace ? expr.replaceAll('$namespace', namespace) : undefined);
  const value = metric.data;
  const tone = value === undefined || value === null || Number.isNaN(value) ? undefined : value > badAbove ? 'bad' : value > warnAbove ? 'warn' : 'ok';
  return (
    <Tile title={title} to={to} tone={tone} detail={metric.error ? metric.error.message : value === null ? 'no data yet' : 'last 5 minutes'}>
      {value === undefined ? '…' : formatValue(value ?? 0, unit)}
    </Tile>
  );
}

/** The landing page: is the platform well, at a glance, each number linked to where it is explained. */
export function OverviewPage() {
  const services = usePolling((signal) => api.services(signal), 3000);
  const alerts = usePolling((signal) => api.alerts(signal), refreshMs);
  const namespace = services.data?.namespace;
  const list = services.data?.services ?? [];
  const down = list.filter(({ instances }) => !instances.some((i) => i.health === 'ready')).map(({ service }) => service);
  const firing = alerts.data?.alerts.filter((a) => a.status.silencedBy.length === 0) ?? [];
  const dashboard = (uid: string) => `/dashboards?d=${uid}&range=3600`;
  return (
    <div className="stack">
      <div className="spread">
        <h1 style={{ margin: 0 }}>Overview</h1>
        <span className="muted small">Namespace <code>{namespace ?? '…'}</code></span>
      </div>
      <div className="overview-grid">
        <Tile title="Services ready" to="/services" tone={!services.data ? undefined : down.length > 0 ? 'bad' : 'ok'}
          detail={down.length > 0 ? `not ready: ${down.join(', ')}` : services.error?.message ?? 'every service has a ready instance'}>
          {services.data ? `${list.length - down.length} / ${list.length}` : '…'}
        </Tile>
        <Tile title="Alerts firing" to="/alerts" tone={!alerts.data ? undefined : firing.length > 0 ? 'bad' : 'ok'}
          detail={alerts.error ? alerts.error.message : firing.map((a) => `${a.labels.alertname}${a.labels.service ? ` (${a.labels.service})` : ''}`).join(', ') || 'nothing firing'}>
          {alerts.data ? firing.length : alerts.error ? '?' : '…'}
        </Tile>
        <MetricTile title="Orders / s" to={dashboard('meridian-business')} namespace={namespace} unit="short" warnAbove={Infinity} badAbove={Infinity}
          expr={'sum(rate(orders_placed_total{job="meridian", namespace="$namespace"}[5m]))'} />
        <MetricTile title="p99 latency, all routes" to={dashboard('meridian-overview')} namespace={namespace} unit="s" warnAbove={0.5} badAbove={1}
          expr={'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="meridian", namespace="$namespace"}[5m])))'} />
        <MetricTile title="Consumer lag, all groups" to={dashboard('meridian-messaging')} namespace={namespace} unit="short" warnAbove={100} badAbove={1000}
          expr={'sum(kafka_consumer_lag{job="meridian", namespace="$namespace"})'} />
        <MetricTile title="Oldest unpublished event" to={dashboard('meridian-messaging')} namespace={namespace} unit="s" warnAbove={5} badAbove={30}
          expr={'max(outbox_oldest_unpublished_age_seconds{job="meridian", namespace="$namespace"})'} />
      </div>
    </div>
  );
}
