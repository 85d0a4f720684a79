import { useEffect, useState } from 'react';
import { navigate, useLocation } from '../../../../shared/web/router.tsx';
import { ResourceView, useResource } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';
import { builtIns, expand, labelValuesQuery, timeRanges, type Dashboard, type Variable } from './grafana.ts';
import { PanelView } from './Panels.tsx';
import './dashboards.css';

const refreshChoices = [
  { label: 'Off', ms: 0 },
  { label: '10 s', ms: 10_000 },
  { label: '30 s', ms: 30_000 },
  { label: '1 min', ms: 60_000 },
];

/** The values a `label_values(...)` variable can take, given the variables before it. */
function VariablePicker({
  variable,
  values,
  onChange,
  onDefault,
}: {
  variable: Variable;
  values: Record<string, string>;
  onChange(value: string): void;
  /** Sets the first value when none (or one no longer offered) is chosen, unless the person chose one meanwhile. */
  onDefault(value: string, offered: string[]): void;
}) {
  const source = labelValuesQuery(variable);
  const selector = source ? expand(source.selector, values) : '';
  const options = useResource(async (signal) => {
    if (!source) return [];
    const result = (await api.query(`group by (${source.label}) (${selector})`, signal)).data.result;
    return result.map((row) => row.metric[source.label]).filter(Boolean).sort();
  }, [selector]);
  const current = values[variable.name];
  useEffect(() => {
    const first = options.data?.[0];
    if (first && (!current || !options.data!.includes(current))) onDefault(first, options.data!);
  }, [options.data, current, onDefault]);
  return (
    <label className="small">
      {variable.label ?? variable.name}
      <select value={current ?? ''} onChange={(e) => onChange(e.target.value)} aria-label={variable.label ?? variable.name}>
        {current && !options.data?.includes(current) && <option value={current}>{current}</option>}
        {(options.data ?? []).map((value) => (
          <option key={value} value={value}>{value}</option>
        ))}
      </select>
    </label>
  );
}

function DashboardView({ dashboard, namespace }: { dashboard: Dashboard; namespace: string }) {
  const { query } = useLocation();
  const rangeSeconds = Number(query.get('range')) || 3600;
  const refreshMs = Number(query.get('refresh') ?? 30_000);
  const variables = dashboard.templating?.list ?? [];
  const chosen = Object.fromEntries(variables.map((v) => [v.name, query.get(`var-${v.name}`) ?? (v.name === 'namespace' ? namespace : '')]));
  const values = { ...builtIns(rangeSeconds), ...chosen };
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => document.visibilityState === 'visible' && setTick((n) => n + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(window.location.search);
    next.set(name, value);
    navigate(`/dashboards?${next}`, { replace: true });
  };
  // The default lands after the options load, a render after they appear: a choice made in between is kept.
  const setDefault = (name: string, value: string, offered: string[]) => {
    const live = new URLSearchParams(window.location.search).get(name);
    if (!live || !offered.includes(live)) set(name, value);
  };
  const rows = Math.max(...dashboard.panels.map((p) => (p.gridPos ? p.gridPos.y + p.gridPos.h : 8)));
  return (
    <div className="stack">
      <div className="dashboard-controls" role="toolbar" aria-label="Dashboard settings">
        {variables.map((variable) => (
          <VariablePicker key={variable.name} variable={variable} values={values} onChange={(value) => set(`var-${variable.name}`, value)}
            onDefault={(value, offered) => setDefault(`var-${variable.name}`, value, offered)}
          />
        ))}
        <label className="small">
          Time range
          <select value={rangeSeconds} onChange={(e) => set('range', e.target.value)} aria-label="Time range">
            {timeRanges.map((r) => (
              <option key={r.seconds} value={r.seconds}>{r.label}</option>
            ))}
          </select>
        </label>
        <label className="small">
          Auto-refresh
          <select value={refreshMs} onChange={(e) => set('refresh', e.target.value)} aria-label="Auto-refresh">
            {refreshChoices.map((c) => (
              <option key={c.ms} value={c.ms}>{c.label}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setTick((n) => n + 1)}>Refresh</button>
      </div>
      <div className="dashboard-grid" style={{ gridTemplateRows: `repeat(${rows}, 30px)` }}>
        {dashboard.panels.map((panel) => (
          <PanelView key={panel.id ?? panel.title} panel={panel} context={{ values, rangeSeconds, tick }} />
        ))}
      </div>
    </div>
  );
}

/** The Grafana dashboards of infra/grafana/dashboards, drawn live from Prometheus. */
export function DashboardsPage() {
  const { query } = useLocation();
  const dashboards = useResource((signal) => api.dashboards(signal), []);
  const services = useResource((signal) => api.services(signal), []);
  return (
    <ResourceView resource={dashboards} label="Loading the dashboards…">
      {({ dashboards: list, prometheusUrl }) => {
        const uid = query.get('d') ?? list.find((d) => d.uid === 'meridian-overview')?.uid ?? list[0]?.uid;
        const dashboard = list.find((d) => d.uid === uid);
        return (
          <div className="stack">
            <div className="spread">
              <h1 style={{ margin: 0 }}>Dashboards</h1>
              {prometheusUrl && (
                <a className="small" href={`${prometheusUrl}/classic/graph`} target="_blank" rel="noopener">
                  Prometheus ↗
                </a>
              )}
            </div>
            <nav className="row" aria-label="Dashboards">
              {list.map((d) => (
                <a
                  key={d.uid}
                  href={`/dashboards?d=${d.uid}`}
                  aria-current={d.uid === uid ? 'page' : undefined}
                  className={d.uid === uid ? 'button-primary button-link' : 'button-link'}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`/dashboards?d=${d.uid}`);
                  }}
                >
                  {d.title.replace(/^Meridian \/ /, '')}
                </a>
              ))}
            </nav>
            {!prometheusUrl && <p className="notice notice-error">No Prometheus is configured for the ops console (PROMETHEUS_URL).</p>}
            {dashboard && services.data && <DashboardView key={dashboard.uid} dashboard={dashboard} namespace={services.data.namespace} />}
          </div>
        );
      }}
    </ResourceView>
  );
}
