/**
 * What a person looks at, in Kubernetes: Zipkin (every span), Alertmanager (routes and receivers from
 * infra/alertmanager/config.ts) and Grafana, provisioned from the same dashboard JSON and datasource as
 * the ops console draws locally. Prometheus itself is kube-prometheus-stack's (the ServiceMonitors).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAlertmanagerConfig } from '../alertmanager/config.ts';
import {
  appLabels, containerSecurity, dnsEgress, inNamespace, meta, names, podSecurity, ports, prometheusPeer, repoRoot, selectors, tcp,
  type K8sObject, type OverlaySettings,
} from './render.ts';

export const images = { zipkin: 'openzipkin/zipkin:3.6.1', alertmanager: 'quay.io/prometheus/alertmanager:v0.28.1', grafana: 'grafana/grafana:12.2.1' };

// A function, not a constant: render.ts imports this module, so its exports are only ready at call time.
const grafanaDir = () => join(repoRoot, 'infra', 'grafana');
const anyMeridianPod = { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'meridian' } } };

function deployment(o: OverlaySettings, name: string, labels: Record<string, string>, selector: Record<string, string>, pod: Record<string, unknown>): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(o, name, labels),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: { metadata: { labels }, spec: { automountServiceAccountToken: false, securityContext: podSecurity, ...pod } },
    },
  };
}

function service(o: OverlaySettings, name: string, labels: Record<string, string>, selector: Record<string, string>, port: number): K8sObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(o, name, labels), spec: { selector, ports: [{ name: 'http', port, targetPort: 'http' }] } };
}

function policy(o: OverlaySettings, name: string, labels: Record<string, string>, selector: Record<string, string>, ingressFrom: unknown[], port: number, egress: unknown[]): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(o, name, labels),
    spec: { podSelector: { matchLabels: selector }, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: ingressFrom, ports: [tcp(port)] }], egress },
  };
}

/** Zipkin with in-memory storage: the newest spans of one replica. A larger installation sets STORAGE_TYPE=elasticsearch. */
function zipkinObjects(o: OverlaySettings): K8sObject[] {
  const labels = appLabels(names.zipkin, 'tracing');
  return [
    deployment(o, names.zipkin, labels, selectors.zipkin, {
      containers: [{
        name: 'zipkin',
        image: images.zipkin,
        env: [{ name: 'STORAGE_TYPE', value: 'mem' }, { name: 'MEM_MAX_SPANS', value: '500000' }, { name: 'JAVA_OPTS', value: '-Xmx768m' }],
        ports: [{ name: 'http', containerPort: ports.zipkin }],
        readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 20, initialDelaySeconds: 30 },
        resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { memory: '1Gi' } },
        securityContext: { ...containerSecurity, readOnlyRootFilesystem: false },
      }],
    }),
    service(o, names.zipkin, labels, selectors.zipkin, ports.zipkin),
    // Every Meridian process sends spans; people reach the UI through a port-forward or their own ingress.
    policy(o, names.zipkin, labels, selectors.zipkin, [anyMeridianPod], ports.zipkin, []),
  ];
}

/** Alertmanager: its config is the one `npm start` runs, rendered from infra/alertmanager/config.ts. */
function alertmanagerObjects(o: OverlaySettings): K8sObject[] {
  const labels = appLabels(names.alertmanager, 'alerting');
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(o, `${names.alertmanager}-config`, labels),
      type: 'Opaque',
      // Receivers may carry credentials (a pager key, a webhook token): a Secret, not a ConfigMap.
      stringData: { 'alertmanager.yml': renderAlertmanagerConfig() },
    },
    deployment(o, names.alertmanager, labels, selectors.alertmanager, {
      containers: [{
        name: 'alertmanager',
        image: images.alertmanager,
        args: ['--config.file=/etc/alertmanager/alertmanager.yml', '--storage.path=/alertmanager', '--cluster.listen-address='],
        ports: [{ name: 'http', containerPort: ports.alertmanager }],
        readinessProbe: { httpGet: { path: '/-/ready', port: 'http' }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: '/-/healthy', port: 'http' }, periodSeconds: 20 },
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        securityContext: containerSecurity,
        volumeMounts: [{ name: 'config', mountPath: '/etc/alertmanager' }, { name: 'data', mountPath: '/alertmanager' }],
      }],
      volumes: [{ name: 'config', secret: { secretName: `${names.alertmanager}-config` } }, { name: 'data', emptyDir: {} }],
    }),
    service(o, names.alertmanager, labels, selectors.alertmanager, ports.alertmanager),
    // Prometheus sends alerts; the ops console reads and silences them.
    policy(o, names.alertmanager, labels, selectors.alertmanager, [prometheusPeer, anyMeridianPod], ports.alertmanager, [dnsEgress, { ports: [tcp(443)] }]),
  ];
}

/** Grafana provisioned from infra/grafana: the datasource file and every dashboard JSON, unchanged. */
function grafanaObjects(o: OverlaySettings): K8sObject[] {
  const labels = appLabels(names.grafana, 'dashboards');
  const dashboards = Object.fromEntries(
    readdirSync(join(grafanaDir(), 'dashboards')).filter((file) => file.endsWith('.json')).sort()
      .map((file) => [file, readFileSync(join(grafanaDir(), 'dashboards', file), 'utf8')]),
  );
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(o, `${names.grafana}-provisioning`, labels),
      data: {
        'datasources.yml': readFileSync(join(grafanaDir(), 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
        'dashboards.yml': readFileSync(join(grafanaDir(), 'provisioning', 'dashboards', 'dashboards.yml'), 'utf8'),
      },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(o, `${names.grafana}-dashboards`, labels), data: dashboards },
    deployment(o, names.grafana, labels, selectors.grafana, {
      containers: [{
        name: 'grafana',
        image: images.grafana,
        env: [
          { name: 'PROMETHEUS_URL', value: names.prometheusUrl },
          { name: 'MERIDIAN_DASHBOARDS_DIR', value: '/var/lib/grafana/dashboards/meridian' },
          { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
          { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
          { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: `${names.grafana}-admin`, key: 'password' } } },
        ],
        ports: [{ name: 'http', containerPort: ports.grafana }],
        readinessProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 10 },
        resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { memory: '384Mi' } },
        securityContext: { ...containerSecurity, readOnlyRootFilesystem: false },
        volumeMounts: [
          { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources' },
          { name: 'providers', mountPath: '/etc/grafana/provisioning/dashboards' },
          { name: 'dashboards', mountPath: '/var/lib/grafana/dashboards/meridian' },
        ],
      }],
      volumes: [
        { name: 'datasources', configMap: { name: `${names.grafana}-provisioning`, items: [{ key: 'datasources.yml', path: 'datasources.yml' }] } },
        { name: 'providers', configMap: { name: `${names.grafana}-provisioning`, items: [{ key: 'dashboards.yml', path: 'dashboards.yml' }] } },
        { name: 'dashboards', configMap: { name: `${names.grafana}-dashboards` } },
      ],
    }),
    service(o, names.grafana, labels, selectors.grafana, ports.grafana),
    // People reach it through the ingress controller (or a port-forward); it asks only Prometheus.
    policy(o, names.grafana, labels, selectors.grafana, [{ namespaceSelector: { matchLabels: inNamespace(names.ingressNamespace) } }], ports.grafana, [
      dnsEgress,
      { to: [{ namespaceSelector: { matchLabels: inNamespace(names.monitoringNamespace) }, podSelector: { matchLabels: selectors.prometheus } }], ports: [tcp(9090)] },
    ]),
  ];
}

export function observabilityObjects(o: OverlaySettings): K8sObject[] {
  return [...zipkinObjects(o), ...alertmanagerObjects(o), ...grafanaObjects(o)];
}
