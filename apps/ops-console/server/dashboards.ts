/**
 * The dashboards Grafana provisions in production (infra/grafana/dashboards, the single source),
 * served to the ops console with a read-only window on Prometheus to draw them live: instant and
 * range queries and label values, for signed-in staff only.
 */
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { problem, type App } from '@meridian/http';
import { loadDashboards } from '@meridian/observability';
import type { ServiceContext } from '@meridian/service';

export const defaultDashboardsDir = fileURLToPath(new URL('../../../infra/grafana/dashboards/', import.meta.url));

export interface DashboardRoutesOptions {
  prometheusUrl?: string;
  dashboardsDir?: string;
  preHandler: ServiceContext['auth']['requireStaff'];
}

const PrometheusQuery = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 4000 }),
  start: Type.Optional(Type.String({ pattern: '^[0-9.]+$' })),
  end: Type.Optional(Type.String({ pattern: '^[0-9.]+$' })),
  step: Type.Optional(Type.String({ pattern: '^[0-9.]+$' })),
  time: Type.Optional(Type.String({ pattern: '^[0-9.]+$' })),
}, { additionalProperties: false });

export function registerDashboardRoutes(app: App, { prometheusUrl, dashboardsDir = defaultDashboardsDir, preHandler }: DashboardRoutesOptions): void {
  const base = { tags: ['ops'], security: [{ bearerAuth: [] }] };
  // Read once: they change with a deployment, not while it runs.
  const dashboards = loadDashboards(dashboardsDir).map(({ dashboard }) => dashboard).sort((a, b) => a.title.localeCompare(b.title));

  app.get('/ops-api/dashboards', { preHandler, schema: { ...base, summary: "The Grafana dashboards' JSON, to draw them here", description: 'Staff only. The provisioned Grafana dashboard JSON (infra/grafana/dashboards), which the console draws itself with the same PromQL.' } }, async () => ({
    prometheusUrl: prometheusUrl ?? null,
    dashboards,
  }));

  async function prometheus(path: string, params: Record<string, string | undefined>): Promise<unknown> {
    if (!prometheusUrl) throw problem(503, 'metrics-unavailable', 'No Prometheus is configured (PROMETHEUS_URL)');
    const url = new URL(path, prometheusUrl);
    for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw problem(503, 'metrics-unavailable', `Prometheus at ${prometheusUrl} does not answer: ${(err as Error).message}`);
    }
    const body = (await response.json().catch(() => undefined)) as { status?: string; error?: string } | undefined;
    if (!response.ok || body?.status !== 'success') throw problem(response.status === 400 ? 400 : 502, 'query-failed', body?.error ?? `Prometheus answered ${response.status}`);
    return body;
  }

  app.get('/ops-api/metrics/query', { preHandler, schema: { ...base, summary: 'A PromQL instant query', description: 'Staff only. Passed to Prometheus\' /api/v1/query; its answer is returned as is.', querystring: PrometheusQuery } },
    async (request) => prometheus('/api/v1/query', request.query as Record<string, string>));
  app.get('/ops-api/metrics/query_range', { preHandler, schema: { ...base, summary: 'A PromQL range query', description: 'Staff only. Passed to Prometheus\' /api/v1/query_range (start, end, step); its answer is returned as is.', querystring: PrometheusQuery } },
    async (request) => prometheus('/api/v1/query_range', request.query as Record<string, string>));
}
