import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useResource } from '../../../../shared/web/ui.tsx';
import { api } from '../api.ts';
import { alignSeries, drawnPanelTypes, expand, formatValue, legendOf, reduce, stepFor, thresholdColor, type Panel } from './grafana.ts';

/** What every panel needs to query: the variables' values, the range, and a tick that refreshes it. */
export interface PanelContext {
  values: Record<string, string>;
  rangeSeconds: number;
  /** Changes on every refresh (auto or by hand). */
  tick: number;
}

const palette = ['#2563eb', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#1e40af'];

/** Every target of the panel as a range query over the chosen range, aligned on one time axis. */
function useRange(panel: Panel, { values, rangeSeconds, tick }: PanelContext) {
  const exprs = (panel.targets ?? []).filter((t) => t.expr).map((t) => ({ expr: expand(t.expr!, values), legendFormat: t.legendFormat }));
  const key = JSON.stringify(exprs);
  return useResource(async (signal) => {
    const step = stepFor(rangeSeconds);
    const end = Math.floor(Date.now() / 1000 / step) * step;
    const start = end - Math.floor(rangeSeconds / step) * step;
    const results = await Promise.all(exprs.map(async ({ expr, legendFormat }) => ({
      legendFormat,
      matrix: (await api.queryRange(expr, start, end, step, signal)).data.result,
    })));
    return alignSeries(results, start, end, step);
  }, [key, rangeSeconds, tick]);
}

function TimeSeries({ panel, context }: { panel: Panel; context: PanelContext }) {
  const data = useRange(panel, context);
  const holder = useRef<HTMLDivElement>(null);
  const unit = panel.fieldConfig?.defaults?.unit;
  const decimals = panel.fieldConfig?.defaults?.decimals;
  useEffect(() => {
    const element = holder.current;
    if (!element || !data.data || data.data.series.length === 0) return;
    const { times, series } = data.data;
    const plot = new uPlot(
      {
        width: element.clientWidth,
        height: 190,
        legend: { show: true, live: true },
        cursor: { points: { size: 6 } },
        // A flat series (all zeros, say) gets a readable axis instead of a range around a single value.
        scales: { x: { time: true }, y: { range: (_u, min, max) => (min === max ? [Math.min(0, min ?? 0), Math.max(1, (max ?? 0) * 2)] : [Math.min(0, min), max + (max - min) * 0.05]) } },
        axes: [{ stroke: '#64748b', grid: { stroke: '#eef1f5' } }, { stroke: '#64748b', grid: { stroke: '#eef1f5' }, size: 64, values: (_u, ticks) => ticks.map((v) => formatValue(v, unit, decimals)) }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: palette[i % palette.length],
            fill: `${palette[i % palette.length]}1a`,
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => formatValue(v, unit, decimals),
          })),
        ],
      },
      [times, ...series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: 190 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data.data, unit, decimals]);
  if (data.error) return <p className="notice notice-error small">{data.error.message}</p>;
  if (data.data && data.data.series.length === 0) return <p className="muted small panel-empty">No data in this range.</p>;
  return <div ref={holder} className="panel-chart" data-series={data.data?.series.length ?? 0} />;
}

function Stat({ panel, context, gauge }: { panel: Panel; context: PanelContext; gauge?: boolean }) {
  const data = useRange(panel, context);
  const defaults = panel.fieldConfig?.defaults ?? {};
  const calc = panel.options?.reduceOptions?.calcs?.[0];
  if (data.error) return <p className="notice notice-error small">{data.error.message}</p>;
  if (!data.data) return <p className="muted small">…</p>;
  if (data.data.series.length === 0) return <p className="muted small panel-empty">No data</p>;
  return (
    <div className="panel-stats">
      {data.data.series.map((s) => {
        const value = reduce(s.values, calc);
        const color = thresholdColor(value, defaults.thresholds?.steps);
        return (
          <div key={s.label} className="panel-stat" data-value={value ?? ''}>
            <span className="panel-stat-value" style={color ? { color } : undefined}>
              {formatValue(value, defaults.unit, defaults.decimals)}
            </span>
            {data.data!.series.length > 1 && <span className="muted small">{s.label}</span>}
            {gauge && value !== null && (
              <meter className="panel-gauge" value={value ?? 0} min={defaults.min ?? 0} max={defaults.max ?? 1} style={color ? { accentColor: color } : undefined}>
                {formatValue(value, defaults.unit, defaults.decimals)}
              </meter>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** Each series' value now (`$__range` and friends expanded), labelled by the target's legendFormat. */
function useInstant(panel: Panel, context: PanelContext) {
  const exprs = (panel.targets ?? []).filter((t) => t.expr).map((t) => ({ expr: expand(t.expr!, context.values), legendFormat: t.legendFormat }));
  return useResource(async (signal) => {
    const results = await Promise.all(exprs.map(async ({ expr, legendFormat }) => ({ legendFormat, rows: (await api.query(expr, signal)).data.result })));
    return results.flatMap(({ legendFormat, rows }) => rows.map((row) => ({ label: legendOf(row.metric, legendFormat), value: Number(row.value[1]) })));
  }, [JSON.stringify(exprs), context.tick]);
}

function Table({ panel, context }: { panel: Panel; context: PanelContext }) {
  const data = useInstant(panel, context);
  if (data.error) return <p className="notice notice-error small">{data.error.message}</p>;
  return (
    <table className="small">
      <tbody>
        {(data.data ?? []).map((row) => (
          <tr key={row.label}>
            <td>{row.label}</td>
            <td style={{ textAlign: 'right' }}>{formatValue(row.value, panel.fieldConfig?.defaults?.unit)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Grafana's horizontal bar gauge: one bar per series, longest first, scaled to `max` (or the largest value), coloured by thresholds. */
function BarGauge({ panel, context }: { panel: Panel; context: PanelContext }) {
  const data = useInstant(panel, context);
  const defaults = panel.fieldConfig?.defaults ?? {};
  if (data.error) return <p className="notice notice-error small">{data.error.message}</p>;
  if (!data.data) return <p className="muted small">…</p>;
  const rows = data.data.filter((row) => Number.isFinite(row.value)).sort((a, b) => b.value - a.value);
  if (rows.length === 0) return <p className="muted small panel-empty">No data in this range.</p>;
  const min = defaults.min ?? 0;
  const max = defaults.max ?? Math.max(...rows.map((row) => row.value), min + 1);
  return (
    <div className="panel-bars">
      {rows.map((row) => {
        const share = Math.min(1, Math.max(0, (row.value - min) / (max - min)));
        const color = thresholdColor(row.value, defaults.thresholds?.steps) ?? '#1d4ed8';
        return (
          <div key={row.label} className="panel-bar" data-value={row.value}>
            <span className="panel-bar-label" title={row.label}>
              {row.label}
            </span>
            <span className="panel-bar-track" role="meter" aria-label={row.label} aria-valuenow={row.value} aria-valuemin={min} aria-valuemax={max}>
              <span className="panel-bar-fill" style={{ width: `${share * 100}%`, background: `linear-gradient(90deg, ${color}55, ${color})` }} />
            </span>
            <span className="panel-bar-value" style={{ color }}>
              {formatValue(row.value, defaults.unit, defaults.decimals)}
            </span>
          </div>
        );
      })}
    </div>
  );
}

/** One panel in its grid place, drawn by its type; a type not drawn here says so. */
export function PanelView({ panel, context }: { panel: Panel; context: PanelContext }) {
  const grid = panel.gridPos ?? { x: 0, y: 0, w: 12, h: 8 };
  const drawn = (drawnPanelTypes as readonly string[]).includes(panel.type);
  return (
    <section
      className="card panel"
      aria-label={panel.title}
      data-panel-type={panel.type}
      style={{ gridColumn: `${grid.x + 1} / span ${grid.w}`, gridRow: `${grid.y + 1} / span ${grid.h}` }}
    >
      <h3 className="panel-title" title={panel.description}>{panel.title}</h3>
      {!drawn ? (
        <p className="muted small">Panel type “{panel.type}” is not drawn in the ops console; open this dashboard in Grafana.</p>
      ) : panel.type === 'timeseries' ? (
        <TimeSeries panel={panel} context={context} />
      ) : panel.type === 'table' ? (
        <Table panel={panel} context={context} />
      ) : panel.type === 'bargauge' ? (
        <BarGauge panel={panel} context={context} />
      ) : (
        <Stat panel={panel} context={context} gauge={panel.type === 'gauge'} />
      )}
    </section>
  );
}
