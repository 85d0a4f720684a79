// Just enough PromQL reading to know which metrics an expression touches (no full parser).

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric names an expression selects (recording-rule names included), sorted and unique. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ') // label lists
    .replace(/\$\w+/g, ' '); // Grafana variables
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*(?![\w:]|\s*\()/g)) {
    const name = match[0];
    if (!KEYWORDS.has(name.toLowerCase()) && !/^\d/.test(name)) names.add(name);
  }
  return [...names].sort();
}

/** Metrics Prometheus or prom-client's default collectors produce without any chassis code. */
export function isBuiltinMetric(name: string): boolean {
  return /^(up|ALERTS|ALERTS_FOR_STATE|scrape_\w+|process_\w+|nodejs_\w+|prometheus_\w+)$/.test(name);
}

/** Names a histogram or summary named `name` is exposed as. */
export function exposedSeriesBase(name: string): string {
  return name.replace(/_(bucket|count|sum)$/, '');
}
