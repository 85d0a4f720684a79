import { stringify } from 'yaml';

export interface AlertmanagerConfigOptions {
  /** Where notifications go: the ops console's webhook receiver. None: alerts are kept, shown by the API, sent nowhere. */
  webhook?: { url: string; token: string };
  /** How long a group waits before it notifies again of changes (firing or resolved); default 30s. */
  groupInterval?: string;
}

/**
 * Routes and receivers: every alert is grouped per alert, namespace and service and sent to the ops
 * console (firing and resolved); critical ones without the group wait. Production adds its pager or
 * chat receivers here (docs/observability.md).
 */
export function renderAlertmanagerConfig({ webhook, groupInterval = '30s' }: AlertmanagerConfigOptions = {}): string {
  const receiver = webhook ? 'ops-console' : 'none';
  return stringify({
    route: {
      receiver,
      group_by: ['alertname', 'namespace', 'service'],
      group_wait: '5s',
      group_interval: groupInterval,
      repeat_interval: '4h',
      routes: [{ matchers: ['severity="critical"'], receiver, group_wait: '0s' }],
    },
    inhibit_rules: [
      // A service with no instance at all says more than each of its instances being down.
      { source_matchers: ['alertname="ServiceDown"'], target_matchers: ['alertname="InstanceDown"'], equal: ['namespace', 'service'] },
    ],
    receivers: [
      webhook
        ? {
            name: receiver,
            webhook_configs: [{ url: webhook.url, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: webhook.token } } }],
          }
        : { name: receiver },
    ],
  });
}
