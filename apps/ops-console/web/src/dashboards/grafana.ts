/**
 * Just enough of Grafana's dashboard model to draw Meridian's dashboards from the same JSON: panels,
 * targets, template variables, units, thresholds and legends. Pure functions, tested without a browser.
 */

export interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  instant?: boolean;
}

export interface ThresholdStep {
  color: string;
  value: number | null;
}

export interface Panel {
  id?: number;
  type: string;
  title: string;
  description?: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string; decimals?: number; min?: number; max?: number; thresholds?: { steps: ThresholdStep[] } } };
  options?: { reduceOptions?: { calcs?: string[] } };
}

export interface Variable {
  name: string;
  label?: string;
  definition?: string;
  query?: string | { query?: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  description?: string;
  panels: Panel[];
  templating?: { list: Variable[] };
}

/** The panel types drawn here; any other says so in its place. */
export const drawnPanelTypes = ['timeseries', 'stat', 'gauge', 'bargauge', 'table'] as const;

export const timeRanges = [
  { label: 'Last 5 minutes', seconds: 5 * 60 },
  { label: 'Last 15 minutes', seconds: 15 * 60 },
  { label: 'Last 1 hour', seconds: 60 * 60 },
  { label: 'Last 6 hours', seconds: 6 * 60 * 60 },
  { label: 'Last 24 hours', seconds: 24 * 60 * 60 },
] as const;

/** About 240 points across the range, never finer than the 5 s scrape interval. */
export function stepFor(rangeSeconds: number): number {
  return Math.max(5, Math.round(rangeSeconds / 240));
}

/** Grafana's built-ins for a range, beside the dashboard's own variables. */
export function builtIns(rangeSeconds: number): Record<string, string> {
  const step = stepFor(rangeSeconds);
  return { __range: `${rangeSeconds}s`, __interval: `${step}s`, __rate_interval: `${Math.max(4 * step, 60)}s` };
}

/** `$name`, `${name}` and `[[name]]` replaced by their values; an unknown one is left as written. */
export function expand(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, braced, bracketed, bare) => values[braced ?? bracketed ?? bare] ?? whole);
}

/** The label and metric selector of a `label_values(selector, label)` variable query. */
export function labelValuesQuery(variable: Variable): { selector: string; label: string } | undefined {
  const text = typeof variable.query === 'string' ? variable.query : variable.query?.query ?? variable.definition ?? '';
  const match = text.match(/^label_values\((.*),\s*(\w+)\)$/s);
  return match ? { selector: match[1].trim(), label: match[2] } : undefined;
}

/** A series' legend from `legendFormat` (`{{service}} {{route}}`), else its labels. */
export function legendOf(labels: Record<string, string>, legendFormat?: string): string {
  if (legendFormat && legendFormat !== '__auto') return legendFormat.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => labels[name] ?? '');
  const { __name__: name, ...rest } = labels;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}="${value}"`).join(', ');
  return name ? `${name}${pairs ? `{${pairs}}` : ''}` : pairs ? `{${pairs}}` : 'value';
}

const scaled = (value: number, base: number, units: string[], decimals?: number): string => {
  let i = 0;
  let v = Math.abs(value);
  while (v >= base && i < units.length - 1) {
    v /= base;
    i += 1;
  }
  return `${value < 0 ? '-' : ''}${round(v, decimals)}${units[i]}`;
};

function round(value: number, decimals?: number): string {
  if (decimals !== undefined) return value.toFixed(decimals);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3))); // three significant digits, no trailing zeros
}

function duration(seconds: number, decimals?: number): string {
  const abs = Math.abs(seconds);
  if (abs === 0) return '0 s';
  if (abs < 1e-3) return `${round(seconds * 1e6, decimals)} µs`;
  if (abs < 1) return `${round(seconds * 1e3, decimals)} ms`;
  if (abs < 60) return `${round(seconds, decimals)} s`;
  if (abs < 3600) return `${round(seconds / 60, decimals)} min`;
  return `${round(seconds / 3600, decimals)} h`;
}

/** A value in a Grafana unit (`short`, `s`, `ms`, `bytes`, `percentunit`, `percent`, `reqps`, `ops`, …). */
export function formatValue(value: number | null | undefined, unit = 'short', decimals?: number): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  switch (unit) {
    case 's':
      return duration(value, decimals);
    case 'ms':
      return duration(value / 1000, decimals);
    case 'bytes':
      return scaled(value, 1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB'], decimals);
    case 'percentunit':
      return `${round(value * 100, decimals)}%`;
    case 'percent':
      return `${round(value, decimals)}%`;
    case 'reqps':
      return `${scaled(value, 1000, ['', 'k', 'M'], decimals)} req/s`;
    case 'ops':
      return `${scaled(value, 1000, ['', 'k', 'M'], decimals)} ops/s`;
    default:
      return scaled(value, 1000, ['', 'k', 'M', 'G'], decimals);
  }
}

const namedColors: Record<string, string> = { green: '#15803d', red: '#b91c1c', yellow: '#a16207', orange: '#c2410c', blue: '#1d4ed8' };

/** The colour of the highest threshold step at or below `value` (Grafana's rule); undefined without steps. */
export function thresholdColor(value: number | null | undefined, steps?: ThresholdStep[]): string | undefined {
  if (!steps?.length || value === null || value === undefined) return undefined;
  let color = steps[0].color;
  for (const step of steps) if (step.value === null || value >= step.value) color = step.color;
  return namedColors[color] ?? color;
}

/** The stat of a series by the panel's reducer (`lastNotNull` by default; `mean`, `max`, `min`, `sum` too). */
export function reduce(values: (number | null)[], calc = 'lastNotNull'): number | null {
  const present = values.filter((v): v is number => v !== null && !Number.isNaN(v));
  if (present.length === 0) return null;
  switch (calc) {
    case 'mean':
      return present.reduce((a, b) => a + b, 0) / present.length;
    case 'max':
      return Math.max(...present);
    case 'min':
      return Math.min(...present);
    case 'sum':
      return present.reduce((a, b) => a + b, 0);
    case 'last':
      return values.at(-1) ?? null;
    default:
      return present.at(-1)!;
  }
}

export interface RangeSeries {
  label: string;
  values: (number | null)[];
}

/**
 * Prometheus matrix results of a panel's targets on one shared time axis (start to end by step), one
 * series per result with at least one value, gaps as null: the shape uPlot draws.
 */
export function alignSeries(
  results: { legendFormat?: string; matrix: { metric: Record<string, string>; values: [number, string][] }[] }[],
  start: number,
  end: number,
  step: number,
): { times: number[]; series: RangeSeries[] } {
  const times: number[] = [];
  for (let t = start; t <= end; t += step) times.push(t);
  const index = new Map(times.map((t, i) => [t, i]));
  const series: RangeSeries[] = [];
  for (const { legendFormat, matrix } of results) {
    for (const { metric, values } of matrix) {
      const aligned: (number | null)[] = times.map(() => null);
      for (const [t, v] of values) {
        const i = index.get(t);
        const n = Number(v);
        if (i !== undefined && Number.isFinite(n)) aligned[i] = n; // NaN (e.g. a quantile of nothing) is a gap
      }
      if (aligned.some((value) => value !== null)) series.push({ label: legendOf(metric, legendFormat), values: aligned });
    }
  }
  return { times, series };
}
