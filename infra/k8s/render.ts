/**
 * Renders the Kubernetes manifests of the whole platform from the services in `services/`:
 *   node infra/k8s/render.ts <dev|prod> [--out file]    (default: stdout; `--out` writes YAML)
 * Each service's facts (topics, database, Redis) come from its own ServiceDefinition, so a new
 * service gets its manifests without editing this file. Only the overlay settings differ per
 * environment: the services run unchanged, configured through env.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { observabilityObjects } from './observability.ts';
import { kafkaAcls } from '../kafka/acls.ts';
import { logsTopic } from '@meridian/log';
import { type TopicDefinition, topicDescriptorsOf, topicsOf } from '@meridian/messaging';
import type { ServiceDefinition } from '@meridian/service';

export const repoRoot = join(import.meta.dirname, '..', '..');
const servicesDir = join(repoRoot, 'services');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface OverlaySettings {
  name: 'dev' | 'prod';
  /** Kubernetes namespace of every object. */
  namespace: string;
  /** MERIDIAN_NAMESPACE: prefix of topics, databases, groups, etcd and Redis keys. */
  meridianNamespace: string;
  image: string;
  ingressHost: string;
  replicas: { min: number; max: number };
  resources: { cpu: string; memory: string; memoryLimit: string };
  kafka: { nodes: number; minInsyncReplicas: number; partitions: number; storage: string; memory: string; cpu: string };
  postgres: { instances: number; storage: string };
  etcd: { replicas: number; storage: string };
  /** Render Secrets with development values (prod: they come from the secret store, see docs/scaling.md). */
  devSecrets: boolean;
  logLevel: string;
}

const rootVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

export const overlays: Record<OverlaySettings['name'], OverlaySettings> = {
  dev: {
    name: 'dev',
    namespace: 'meridian-dev',
    meridianNamespace: 'dev',
    image: `meridian:${rootVersion}`,
    ingressHost: 'meridian.localtest.me',
    replicas: { min: 2, max: 3 },
    resources: { cpu: '100m', memory: '192Mi', memoryLimit: '512Mi' },
    kafka: { nodes: 3, minInsyncReplicas: 2, partitions: 3, storage: '5Gi', memory: '1Gi', cpu: '250m' },
    postgres: { instances: 1, storage: '5Gi' },
    etcd: { replicas: 1, storage: '1Gi' },
    devSecrets: true,
    logLevel: 'debug',
  },
  prod: {
    name: 'prod',
    namespace: 'meridian',
    meridianNamespace: 'prod',
    image: `registry.example.com/meridian/meridian:${rootVersion}`,
    ingressHost: 'shop.example.com',
    replicas: { min: 3, max: 12 },
    resources: { cpu: '500m', memory: '384Mi', memoryLimit: '768Mi' },
    kafka: { nodes: 3, minInsyncReplicas: 2, partitions: 12, storage: '100Gi', memory: '4Gi', cpu: '1' },
    postgres: { instances: 3, storage: '100Gi' },
    etcd: { replicas: 3, storage: '8Gi' },
    devSecrets: false,
    logLevel: 'info',
  },
};

// Names of the shared infrastructure objects (the env of every service points at them).
export const names = {
  kafka: 'meridian',
  postgres: 'meridian-pg',
  redis: 'redis',
  etcd: 'etcd',
  platformConfig: 'meridian-platform',
  ingressNamespace: 'ingress-nginx',
  monitoringNamespace: 'monitoring',
  cnpgNamespace: 'cnpg-system',
  zipkin: 'zipkin',
  alertmanager: 'alertmanager',
  grafana: 'grafana',
  /** The Prometheus that kube-prometheus-stack runs in the monitoring namespace (it scrapes the ServiceMonitors). */
  prometheusUrl: 'http://prometheus-operated.monitoring:9090',
};
export const httpPort = 8080;
export const ports = { zipkin: 9411, alertmanager: 9093, grafana: 3000, kafka: 9093, postgres: 5432, postgresMetrics: 9187, cnpgStatus: 8000, redis: 6379, etcdClient: 2379, etcdPeer: 2380, dns: 53 };

/** What the manifests need to know about one service, read from its own definition. */
export interface ServiceInfo {
  name: string;
  version: string;
  /** `gateway` is its own Fastify app (no runService): no database, no topics, aggregate /healthz. */
  kind: 'gateway' | 'service';
  /** Repo-relative migrations directory, when the service owns a database. */
  migrationsDir?: string;
  redis: boolean;
  /** Topics the service declares (produces or consumes). */
  topics: TopicDefinition[];
  /** Logical topics it publishes: those whose contract names it as owner. */
  produces: string[];
  /** Logical topics its consumers read (its `consumes` events' topics and its further `topics`). */
  consumes: string[];
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A service's ServiceDefinition: the module's `<name>Service` export (an object or a factory). */
async function loadDefinition(dir: string, name: string): Promise<ServiceDefinition> {
  const module = (await import(pathToFileURL(join(dir, 'src', 'service.ts')).href)) as Record<string, unknown>;
  const exported = module[`${camel(name)}Service`];
  const definition = typeof exported === 'function' ? (exported as () => ServiceDefinition)() : exported;
  if (!definition || typeof definition !== 'object' || (definition as ServiceDefinition).name !== name) {
    throw new Error(`services/${name}/src/service.ts must export ${camel(name)}Service (a ServiceDefinition named "${name}")`);
  }
  return definition as ServiceDefinition;
}

/** The facts of service `name` under `dir` (its package.json, and its definition unless it is the gateway). */
export async function serviceInfo(dir: string, name: string): Promise<ServiceInfo> {
  const { version } = JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) as { version: string };
  if (name === 'gateway') return { name, version, kind: 'gateway', redis: false, topics: [], produces: [], consumes: [] };
  const definition = await loadDefinition(join(dir, name), name);
  const topics = [...topicDescriptorsOf([...(definition.produces ?? []), ...(definition.consumes ?? [])]), ...(definition.topics ?? [])];
  return {
    name,
    version,
    kind: 'service',
    migrationsDir: definition.migrationsDir ? relative(repoRoot, definition.migrationsDir) : undefined,
    redis: definition.redis === true,
    topics,
    // Every process writes its log lines to platform.logs (its own ACL below); its owner only reads it.
    produces: topicsOf(definition.produces ?? []),
    consumes: [...new Set([...topicsOf(definition.consumes ?? []), ...(definition.topics ?? []).map((t) => t.name)])],
  };
}

/** Every service in `services/` (a directory with a package.json), with its facts. */
export async function discoverServices(dir = servicesDir): Promise<ServiceInfo[]> {
  const names = readdirSync(dir).sort().filter((name) => existsSync(join(dir, name, 'package.json')));
  return Promise.all(names.map((name) => serviceInfo(dir, name)));
}

// ---------------------------------------------------------------------------------------------

export const partOf = { 'app.kubernetes.io/part-of': 'meridian' };
export const appLabels = (name: string, component: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component, ...partOf });
export const selectors = {
  app: (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': name === 'gateway' ? 'gateway' : 'service' }),
  anyService: { 'app.kubernetes.io/component': 'service', ...partOf },
  migration: (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'migration' }),
  kafkaBrokers: { 'strimzi.io/cluster': 'meridian', 'strimzi.io/broker-role': 'true' },
  postgres: { 'cnpg.io/cluster': 'meridian-pg' },
  redis: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/component': 'cache' },
  etcd: { 'app.kubernetes.io/name': 'etcd', 'app.kubernetes.io/component': 'discovery' },
  prometheus: { 'app.kubernetes.io/name': 'prometheus' },
  zipkin: { 'app.kubernetes.io/name': 'zipkin', 'app.kubernetes.io/component': 'tracing' },
  alertmanager: { 'app.kubernetes.io/name': 'alertmanager', 'app.kubernetes.io/component': 'alerting' },
  grafana: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/component': 'dashboards' },
};
export const inNamespace = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });

export const databaseName = (o: OverlaySettings, service: string) => `meridian_${o.meridianNamespace}_${service}`;
export const physicalTopic = (o: OverlaySettings, logical: string) => `${o.meridianNamespace}.${logical}`;
const dbSecret = (service: string) => `meridian-db-${service}`;
const kubeName = (value: string) => value.toLowerCase().replace(/[^a-z0-9.-]/g, '-');

export function meta(o: OverlaySettings, name: string, labels: Record<string, string> = partOf, annotations?: Record<string, string>) {
  return { name, namespace: o.namespace, labels, ...(annotations ? { annotations } : {}) };
}

export const podSecurity = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } };
export const containerSecurity = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };

/** Where a container finds the Kafka cluster's CA certificate (Strimzi's `<cluster>-cluster-ca-cert`). */
const kafkaCaDir = '/etc/meridian/kafka-ca';

/**
 * env of a service container: platform ConfigMap, its Kafka login (its KafkaUser's secret, over TLS
 * checked against the cluster CA) and its own database URL built from the CNPG role secret.
 */
function serviceEnv(o: OverlaySettings, s: ServiceInfo) {
  const env: Record<string, unknown>[] = [
    // The URL registered in discovery is http://<pod IP>:8080, reachable from the gateway.
    { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: s.kind === 'gateway' ? 'GATEWAY_PORT' : 'PORT', value: String(httpPort) },
    { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
    { name: 'KAFKA_SASL_USERNAME', value: s.name },
    { name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: s.name, key: 'password' } } },
    { name: 'KAFKA_TLS_CA_FILE', value: `${kafkaCaDir}/ca.crt` },
  ];
  if (s.migrationsDir) {
    env.push(
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: dbSecret(s.name), key: 'password' } } },
      { name: 'DATABASE_URL', value: `postgres://${databaseName(o, s.name)}:$(DB_PASSWORD)@${names.postgres}-rw:${ports.postgres}/${databaseName(o, s.name)}` },
    );
  }
  return env;
}

function serviceObjects(o: OverlaySettings, s: ServiceInfo, all: ServiceInfo[]): K8sObject[] {
  const component = s.kind === 'gateway' ? 'gateway' : 'service';
  const labels = { ...appLabels(s.name, component), 'app.kubernetes.io/version': s.version };
  const selector = selectors.app(s.name);
  const secretEnv = s.name === 'identity' ? [{ secretRef: { name: 'meridian-identity' } }] : [];
  // The gateway's /healthz is the platform's aggregate health (503 while any service is missing):
  // restarting or unlisting gateways for that would turn a partial outage into a full one.
  const probe = (path: string) => (s.kind === 'gateway' ? { tcpSocket: { port: 'http' } } : { httpGet: { path, port: 'http' } });
  const container = {
    name: s.name,
    image: o.image,
    command: ['node', `services/${s.name}/src/main.ts`],
    ports: [{ name: 'http', containerPort: httpPort }],
    envFrom: [{ configMapRef: { name: names.platformConfig } }, ...secretEnv],
    env: serviceEnv(o, s),
    volumeMounts: [{ name: 'kafka-ca', mountPath: kafkaCaDir, readOnly: true }],
    // Startup includes migrations, topics and discovery: liveness waits until the server listens.
    startupProbe: { ...probe('/healthz'), periodSeconds: 2, failureThreshold: 60 },
    readinessProbe: { ...probe('/readyz'), periodSeconds: 5, failureThreshold: 2 },
    livenessProbe: { ...probe('/healthz'), periodSeconds: 10, failureThreshold: 3 },
    resources: { requests: { cpu: o.resources.cpu, memory: o.resources.memory }, limits: { memory: o.resources.memoryLimit } },
    securityContext: containerSecurity,
  };
  const objects: K8sObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(o, s.name, labels), automountServiceAccountToken: false },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(o, s.name, labels),
      // No `replicas`: the HorizontalPodAutoscaler owns the count.
      spec: {
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: s.name,
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            // Shutdown deregisters, drains HTTP, finishes in-flight messages, then stops the relay.
            terminationGracePeriodSeconds: 60,
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
              { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
            ],
            containers: [container],
            volumes: [{ name: 'kafka-ca', secret: { secretName: `${names.kafka}-cluster-ca-cert`, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(o, s.name, labels),
      spec: { selector, ports: [{ name: 'http', port: httpPort, targetPort: 'http' }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(o, s.name, labels),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
        minReplicas: o.replicas.min,
        maxReplicas: o.replicas.max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(o, s.name, labels),
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: meta(o, s.name, labels),
      spec: { selector: { matchLabels: selector }, endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }] },
    },
    serviceNetworkPolicy(o, s, all),
  ];
  if (s.migrationsDir) objects.push(...migrationObjects(o, s, labels));
  return objects;
}

/** Runs the service's migrations before its pods roll out (Argo CD PreSync hook; see docs/scaling.md for kubectl). */
function migrationObjects(o: OverlaySettings, s: ServiceInfo, serviceLabels: Record<string, string>): K8sObject[] {
  const labels = { ...serviceLabels, ...selectors.migration(s.name) };
  const name = kubeName(`${s.name}-migrate-${s.version}`);
  return [
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta(o, name, labels, {
        'argocd.argoproj.io/hook': 'PreSync',
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      }),
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 600,
        ttlSecondsAfterFinished: 86_400,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: s.name,
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            containers: [{
              name: 'migrate',
              image: o.image,
              command: ['node', 'infra/k8s/migrate.ts', s.migrationsDir],
              env: serviceEnv(o, s).filter((e) => e.name === 'DB_PASSWORD' || e.name === 'DATABASE_URL'),
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: containerSecurity,
            }],
          },
        },
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(o, name, labels),
      spec: {
        podSelector: { matchLabels: selectors.migration(s.name) },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [dnsEgress, { to: [{ podSelector: { matchLabels: selectors.postgres } }], ports: [tcp(ports.postgres)] }],
      },
    },
  ];
}

export const tcp = (port: number | string) => ({ protocol: 'TCP', port });
export const dnsEgress = {
  to: [{ namespaceSelector: { matchLabels: inNamespace('kube-system') }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: ports.dns }, tcp(ports.dns)],
};
export const prometheusPeer = { namespaceSelector: { matchLabels: inNamespace(names.monitoringNamespace) }, podSelector: { matchLabels: selectors.prometheus } };

/** Only the edges of the architecture: who may call this service, and whom it may call. */
function serviceNetworkPolicy(o: OverlaySettings, s: ServiceInfo, all: ServiceInfo[]): K8sObject {
  const behindGateway = all.filter((x) => x.kind === 'service').map((x) => x.name);
  const from: Record<string, unknown>[] = [prometheusPeer];
  if (s.kind === 'gateway') from.push({ namespaceSelector: { matchLabels: inNamespace(names.ingressNamespace) } });
  else from.push({ podSelector: { matchLabels: selectors.app('gateway') } });
  // Every service verifies tokens with identity's JWKS.
  if (s.name === 'identity') from.push({ podSelector: { matchLabels: selectors.anyService } });

  const egress: Record<string, unknown>[] = [
    dnsEgress,
    { to: [{ podSelector: { matchLabels: selectors.etcd } }], ports: [tcp(ports.etcdClient)] },
    // Every process ships its logs to Kafka; services also produce and consume events.
    { to: [{ podSelector: { matchLabels: selectors.kafkaBrokers } }], ports: [tcp(ports.kafka)] },
    // Every process sends its spans to Zipkin.
    { to: [{ podSelector: { matchLabels: selectors.zipkin } }], ports: [tcp(ports.zipkin)] },
  ];
  if (s.migrationsDir) egress.push({ to: [{ podSelector: { matchLabels: selectors.postgres } }], ports: [tcp(ports.postgres)] });
  if (s.redis) egress.push({ to: [{ podSelector: { matchLabels: selectors.redis } }], ports: [tcp(ports.redis)] });
  if (s.kind === 'gateway') {
    egress.push({ to: behindGateway.map((name) => ({ podSelector: { matchLabels: selectors.app(name) } })), ports: [tcp(httpPort)] });
  } else if (s.name !== 'identity') {
    egress.push({ to: [{ podSelector: { matchLabels: selectors.app('identity') } }], ports: [tcp(httpPort)] });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(o, s.name, appLabels(s.name, s.kind === 'gateway' ? 'gateway' : 'service')),
    spec: {
      podSelector: { matchLabels: selectors.app(s.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from, ports: [tcp(httpPort)] }],
      egress,
    },
  };
}

// ---------------------------------------------------------------------------------------------

function platformObjects(o: OverlaySettings): K8sObject[] {
  const etcdEndpoints = Array.from({ length: o.etcd.replicas }, (_, i) => `http://${names.etcd}-${i}.${names.etcd}:${ports.etcdClient}`);
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace, labels: { ...partOf, ...inNamespace(o.namespace) } } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(o, names.platformConfig),
      data: {
        MERIDIAN_NAMESPACE: o.meridianNamespace,
        KAFKA_BROKERS: `${names.kafka}-kafka-bootstrap:${ports.kafka}`,
        KAFKA_REPLICATION_FACTOR: String(o.kafka.nodes),
        KAFKA_MIN_INSYNC_REPLICAS: String(o.kafka.minInsyncReplicas),
        ETCD_ENDPOINTS: etcdEndpoints.join(','),
        REDIS_URL: `redis://${names.redis}:${ports.redis}`,
        LOG_LEVEL: o.logLevel,
        ZIPKIN_URL: `http://${names.zipkin}:${ports.zipkin}`,
        ALERTMANAGER_URL: `http://${names.alertmanager}:${ports.alertmanager}`,
        PROMETHEUS_URL: names.prometheusUrl,
      },
    },
    {
      // Every Meridian pod is isolated; the policies of each workload open only its edges.
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(o, 'default-deny'),
      spec: { podSelector: { matchLabels: partOf }, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta(o, 'meridian'),
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: [o.ingressHost], secretName: 'meridian-tls' }],
        rules: [{
          host: o.ingressHost,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'gateway', port: { name: 'http' } } } }] },
        }],
      },
    },
  ];
}

function etcdObjects(o: OverlaySettings): K8sObject[] {
  const labels = appLabels(names.etcd, 'discovery');
  const members = Array.from({ length: o.etcd.replicas }, (_, i) => `${names.etcd}-${i}=http://${names.etcd}-${i}.${names.etcd}:${ports.etcdPeer}`);
  const peerUrl = `http://$(POD_NAME).${names.etcd}:${ports.etcdPeer}`;
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(o, names.etcd, labels),
      // Headless: stable per-member DNS names for peers and for ETCD_ENDPOINTS.
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: selectors.etcd,
        ports: [{ name: 'client', port: ports.etcdClient }, { name: 'peer', port: ports.etcdPeer }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(o, names.etcd, labels),
      spec: {
        serviceName: names.etcd,
        replicas: o.etcd.replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selectors.etcd },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            containers: [{
              name: 'etcd',
              image: 'quay.io/coreos/etcd:v3.5.17',
              command: ['etcd'],
              args: [
                '--name=$(POD_NAME)',
                '--data-dir=/var/lib/etcd',
                `--listen-client-urls=http://0.0.0.0:${ports.etcdClient}`,
                `--advertise-client-urls=http://$(POD_NAME).${names.etcd}:${ports.etcdClient}`,
                `--listen-peer-urls=http://0.0.0.0:${ports.etcdPeer}`,
                `--initial-advertise-peer-urls=${peerUrl}`,
                `--initial-cluster=${members.join(',')}`,
                '--initial-cluster-state=new',
                `--initial-cluster-token=meridian-${o.meridianNamespace}`,
                '--auto-compaction-retention=1',
              ],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ name: 'client', containerPort: ports.etcdClient }, { name: 'peer', containerPort: ports.etcdPeer }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'client' }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/livez', port: 'client' }, periodSeconds: 10, failureThreshold: 6 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: containerSecurity,
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }],
            }],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.etcd.storage } } },
        }],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(o, names.etcd, labels),
      spec: { maxUnavailable: 1, selector: { matchLabels: selectors.etcd } },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(o, names.etcd, labels),
      spec: {
        podSelector: { matchLabels: selectors.etcd },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: partOf } }], ports: [tcp(ports.etcdClient)] },
          { from: [{ podSelector: { matchLabels: selectors.etcd } }], ports: [tcp(ports.etcdClient), tcp(ports.etcdPeer)] },
        ],
        egress: [dnsEgress, { to: [{ podSelector: { matchLabels: selectors.etcd } }], ports: [tcp(ports.etcdClient), tcp(ports.etcdPeer)] }],
      },
    },
  ];
}

function redisObjects(o: OverlaySettings, services: ServiceInfo[]): K8sObject[] {
  const labels = appLabels(names.redis, 'cache');
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(o, names.redis, labels),
      spec: {
        // A cache (services fall back to the database while it is down): one instance, no persistence.
        replicas: 1,
        selector: { matchLabels: selectors.redis },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            containers: [{
              name: 'redis',
              image: 'redis:7.4-alpine',
              args: ['--save', '', '--appendonly', 'no', '--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru'],
              ports: [{ name: 'redis', containerPort: ports.redis }],
              readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10 },
              resources: { requests: { cpu: '100m', memory: '320Mi' }, limits: { memory: '384Mi' } },
              securityContext: containerSecurity,
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(o, names.redis, labels),
      spec: { selector: selectors.redis, ports: [{ name: 'redis', port: ports.redis, targetPort: 'redis' }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(o, names.redis, labels),
      spec: {
        podSelector: { matchLabels: selectors.redis },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{
          from: services.filter((s) => s.redis).map((s) => ({ podSelector: { matchLabels: selectors.app(s.name) } })),
          ports: [tcp(ports.redis)],
        }],
        egress: [],
      },
    },
  ];
}

/** Strimzi: a KRaft cluster of broker+controller nodes, its topics, and one user per service. */
function kafkaObjects(o: OverlaySettings, services: ServiceInfo[]): K8sObject[] {
  const cluster = { 'strimzi.io/cluster': names.kafka, ...partOf };
  const appPods = { podSelector: { matchLabels: partOf } };
  const objects: K8sObject[] = [
    {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaNodePool',
      metadata: meta(o, 'dual-role', cluster),
      spec: {
        replicas: o.kafka.nodes,
        roles: ['controller', 'broker'],
        storage: { type: 'jbod', volumes: [{ id: 0, type: 'persistent-claim', size: o.kafka.storage, deleteClaim: false, kraftMetadata: 'shared' }] },
        resources: { requests: { cpu: o.kafka.cpu, memory: o.kafka.memory }, limits: { memory: o.kafka.memory } },
      },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'Kafka',
      metadata: meta(o, names.kafka, partOf, { 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' }),
      spec: {
        kafka: {
          version: '4.1.0',
          listeners: [
            // The only way in: TLS, and a SCRAM login per service (its KafkaUser below); only from Meridian pods.
            { name: 'scram', port: ports.kafka, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' }, networkPolicyPeers: [appPods] },
          ],
          // Every client has exactly the ACLs of its KafkaUser (the operators use their own TLS identities).
          authorization: { type: 'simple' },
          config: {
            'default.replication.factor': o.kafka.nodes,
            'min.insync.replicas': o.kafka.minInsyncReplicas,
            'offsets.topic.replication.factor': o.kafka.nodes,
            'transaction.state.log.replication.factor': o.kafka.nodes,
            'transaction.state.log.min.isr': o.kafka.minInsyncReplicas,
            'unclean.leader.election.enable': false,
            'auto.create.topics.enable': false,
          },
        },
        entityOperator: { topicOperator: {}, userOperator: {} },
      },
    },
  ];

  const declared = new Map<string, TopicDefinition>();
  for (const s of services) for (const t of s.topics) declared.set(t.name, t);
  if (!declared.has(logsTopic)) throw new Error(`no service declares the ${logsTopic} topic that every process ships logs to`);
  const dayMs = 24 * 60 * 60 * 1000;
  const topic = (logical: string, retentionMs: number, cleanupPolicy: string, partitions: number): K8sObject => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    metadata: meta(o, kubeName(physicalTopic(o, logical)), cluster),
    spec: {
      topicName: physicalTopic(o, logical),
      partitions,
      replicas: o.kafka.nodes,
      config: { 'retention.ms': retentionMs, 'cleanup.policy': cleanupPolicy, 'min.insync.replicas': o.kafka.minInsyncReplicas },
    },
  });
  for (const t of [...declared.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const partitions = Math.max(t.partitions, o.kafka.partitions);
    objects.push(topic(t.name, t.retentionMs, t.cleanupPolicy, partitions), topic(`${t.name}.dlq`, 30 * dayMs, 'delete', partitions));
  }

  // The same rules as the local broker's (infra/kafka/acls.ts), from the same declarations.
  const aclContext = { ns: o.meridianNamespace, logsTopic, businessTopics: [...new Set(services.flatMap((s) => s.produces))] };
  for (const s of services) {
    const needs = { name: s.name, produces: s.produces, consumes: s.consumes, shipsLogs: !s.consumes.includes(logsTopic) };
    const acls = kafkaAcls(needs, aclContext).map((rule) =>
      ({ resource: { type: rule.resource, name: rule.name, patternType: rule.pattern }, operations: rule.operations, host: '*' }));
    objects.push({
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaUser',
      metadata: meta(o, s.name, cluster),
      spec: { authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple', acls } },
    });
  }
  return objects;
}

/** CloudNativePG: one cluster, one login role + database per service (design: isolation by role + CONNECT). */
function postgresObjects(o: OverlaySettings, services: ServiceInfo[]): K8sObject[] {
  const withDb = services.filter((s) => s.migrationsDir);
  const objects: K8sObject[] = [
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: meta(o, names.postgres),
      spec: {
        instances: o.postgres.instances,
        imageName: 'ghcr.io/cloudnative-pg/postgresql:17.5',
        primaryUpdateStrategy: 'unsupervised',
        storage: { size: o.postgres.storage },
        postgresql: { parameters: { max_connections: '400' } },
        monitoring: { enablePodMonitor: true },
        managed: {
          roles: withDb.map((s) => ({
            name: databaseName(o, s.name),
            ensure: 'present',
            login: true,
            connectionLimit: 100,
            passwordSecret: { name: dbSecret(s.name) },
          })),
        },
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(o, names.postgres),
      spec: {
        podSelector: { matchLabels: selectors.postgres },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: withDb.flatMap((s) => [{ podSelector: { matchLabels: selectors.app(s.name) } }, { podSelector: { matchLabels: selectors.migration(s.name) } }]),
            ports: [tcp(ports.postgres)],
          },
          // Replication between instances, and the operator's status checks.
          { from: [{ podSelector: { matchLabels: selectors.postgres } }], ports: [tcp(ports.postgres), tcp(ports.cnpgStatus)] },
          { from: [{ namespaceSelector: { matchLabels: inNamespace(names.cnpgNamespace) } }], ports: [tcp(ports.postgres), tcp(ports.cnpgStatus)] },
          { from: [prometheusPeer], ports: [tcp(ports.postgresMetrics)] },
        ],
      },
    },
  ];
  for (const s of withDb) {
    objects.push({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Database',
      metadata: meta(o, kubeName(databaseName(o, s.name))),
      spec: { name: databaseName(o, s.name), owner: databaseName(o, s.name), cluster: { name: names.postgres }, ensure: 'present' },
    });
    if (o.devSecrets) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta(o, dbSecret(s.name)),
        type: 'kubernetes.io/basic-auth',
        // Development values, one per role (prod: one Secret per service from the secret store).
        stringData: { username: databaseName(o, s.name), password: `dev-only-${s.name}-database-password` },
      });
    }
  }
  if (o.devSecrets && services.some((s) => s.name === 'identity')) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(o, 'meridian-identity'),
      type: 'Opaque',
      stringData: { IDENTITY_SIGNING_KEY: 'dev-only-signing-key-change-me', STAFF_PASSWORD: 'staff-password' },
    });
  }
  return objects;
}

/** Every object of the platform for one overlay, in apply order. */
export async function renderManifests(overlay: OverlaySettings | OverlaySettings['name'], services?: ServiceInfo[]): Promise<K8sObject[]> {
  const o = typeof overlay === 'string' ? overlays[overlay] : overlay;
  const found = services ?? (await discoverServices());
  return [
    ...platformObjects(o),
    ...etcdObjects(o),
    ...redisObjects(o, found),
    ...kafkaObjects(o, found),
    ...postgresObjects(o, found),
    ...found.flatMap((s) => serviceObjects(o, s, found)),
    ...observabilityObjects(o),
  ];
}

export function toYaml(objects: K8sObject[]): string {
  return objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n');
}

if (import.meta.main) {
  const [overlay, flag, out] = process.argv.slice(2);
  if (overlay !== 'dev' && overlay !== 'prod') {
    console.error('usage: node infra/k8s/render.ts <dev|prod> [--out file]');
    process.exit(2);
  }
  const yaml = `# Rendered by infra/k8s/render.ts ${overlay}; edit that file, not this output.\n${toYaml(await renderManifests(overlay))}`;
  if (flag === '--out' && out) writeFileSync(out, yaml);
  else process.stdout.write(yaml);
  // Importing the service definitions may leave handles (e.g. metrics timers) open.
  process.exit(0);
}
