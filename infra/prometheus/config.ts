import { stringify } from 'yaml';

export interface PrometheusConfigOptions {
  /** The discovery bridge's http_sd URL. */
  sdUrl: string;
  /** Absolute paths of the rule files to load. */
  rulesFiles: string[];
  scrapeInterval?: string;
  /** Defaults to the scrape interval. */
  evaluationInterval?: string;
  /** Prometheus's own `host:port`, scraped as job `prometheus`. */
  selfAddress?: string;
  /** Alertmanagers (`host:port`) firing alerts are sent to. */
  alertmanagers?: string[];
}

/** Job name of every Meridian service instance; dashboards and rules select on it. */
export const servicesJob = 'meridian';

export function renderPrometheusConfig({
  sdUrl,
  rulesFiles,
  scrapeInterval = '5s',
  evaluationInterval = scrapeInterval,
  selfAddress = '127.0.0.1:9090',
  alertmanagers = [],
}: PrometheusConfigOptions): string {
  return stringify({
    global: { scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval, evaluation_interval: evaluationInterval },
    rule_files: rulesFiles,
    ...(alertmanagers.length > 0 ? { alerting: { alertmanagers: [{ static_configs: [{ targets: alertmanagers }] }] } } : {}),
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [selfAddress] }] },
      { job_name: servicesJob, http_sd_configs: [{ url: sdUrl, refresh_interval: '5s' }] },
    ],
  });
}
