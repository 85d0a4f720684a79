import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface Panel {
  id?: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: { refId?: string; expr?: string; datasource?: DatasourceRef }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: { name: string; query?: unknown; datasource?: DatasourceRef }[] };
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

/** Every `*.json` dashboard in `dir`, by file name; a file that does not parse throws naming it. */
export function loadDashboards(dir: string): { file: string; dashboard: Dashboard }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      try {
        return { file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard };
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
      }
    });
}

/** Every panel that shows data, including those nested in collapsed rows. */
export function dataPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) =>
    panel.type === 'row' ? (panel.panels ?? []).filter((nested) => nested.type !== 'row') : [panel],
  );
}

export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  return dataPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      dashboard: dashboard.uid,
      panel: panel.title,
      refId: target.refId ?? '',
      expr: target.expr ?? '',
    })),
  );
}

/**
 * Substitutes Grafana variables (`$name`, `${name}`, `[[name]]`) in a query; an unknown one throws,
 * so a dashboard cannot reference a variable nobody defines.
 */
export function expandVariables(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, braced, bracketed, bare) => {
    const name = braced ?? bracketed ?? bare;
    if (!(name in values)) throw new Error(`unknown variable ${whole} in: ${expr}`);
    return values[name];
  });
}

const standIns: Record<string, (namespace: string) => string> = { namespace: (ns) => ns, service: () => '.+' };

/**
 * Values standing in for a dashboard's own variables and Grafana's built-ins when its queries are
 * checked against Prometheus: `$service` matches every service, ranges are an hour.
 */
export function checkVariables(dashboard: Dashboard, namespace: string): Record<string, string> {
  const values: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '1h' };
  for (const { name } of dashboard.templating?.list ?? []) {
    if (!Object.hasOwn(standIns, name)) throw new Error(`${dashboard.uid}: no stand-in value for variable $${name}`);
    values[name] = standIns[name](namespace);
  }
  return values;
}
