import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import {
  discoverServices, overlays, renderManifests, repoRoot, toYaml, httpPort, ports, names, databaseName, physicalTopic,
  type K8sObject, type OverlaySettings, type ServiceInfo,
} from '../render.ts';
import { kafkaAcls } from '../../kafka/acls.ts';
import { logsTopic } from '@meridian/log';

// Core kinds: validators generated from the Kubernetes OpenAPI schema; CRDs: vendored schema subsets.
const coreModels: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace, 'v1/ConfigMap': ConfigMap, 'v1/Secret': Secret, 'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount, 'apps/v1/Deployment': Deployment, 'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job, 'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget, 'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress, 'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};
const schemasDir = join(import.meta.dirname, '..', 'schemas');
const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
ajv.addKeyword('x-kubernetes-group-version-kind');
const crdValidators = new Map(readdirSync(schemasDir).filter((f) => f.endsWith('.json')).map((file) => {
  const schema = JSON.parse(readFileSync(join(schemasDir, file), 'utf8'));
  const { group, version, kind } = schema['x-kubernetes-group-version-kind'];
  return [`${group}/${version}/${kind}`, ajv.compile(schema)];
}));

function schemaErrors(object: K8sObject): string[] {
  const gvk = `${object.apiVersion}/${object.kind}`;
  const Model = coreModels[gvk];
  if (Model) {
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  }
  const validate = crdValidators.get(gvk);
  if (!validate) return [`no schema for ${gvk}`];
  return validate(object) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

let services: ServiceInfo[];
const rendered = new Map<OverlaySettings['name'], K8sObject[]>();
before(async () => {
  services = await discoverServices();
  for (const name of ['dev', 'prod'] as const) rendered.set(name, await renderManifests(name, services));
});
// Service modules imported for their definitions may hold timers; nothing else keeps the process.
after(() => setImmediate(() => process.exit()));

const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

for (const overlay of ['dev', 'prod'] as const) {
  test(`${overlay}: every object is valid against its Kubernetes / CRD schema and round-trips through YAML`, () => {
    const objects = rendered.get(overlay)!;
    const problems = objects.flatMap((o) => schemaErrors(o).map((e) => `${o.kind}/${o.metadata.name}: ${e}`));
    assert.deepEqual(problems, []);
    for (const o of objects) {
      assert.match(o.metadata.name, dns1123Subdomain, `${o.kind} name ${o.metadata.name}`);
      assert.ok(o.metadata.name.length <= 63 || !['Service', 'Deployment', 'StatefulSet'].includes(o.kind));
      if (o.kind === 'Service') assert.match(o.metadata.name, dns1035Label);
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, overlays[overlay].namespace);
      for (const value of Object.values(o.metadata.labels ?? {})) assert.ok(value.length <= 63, `label value ${value}`);
    }
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.equal(new Set(keys).size, keys.length, 'no two objects share kind and name');
    const reparsed = parseAllDocuments(toYaml(objects)).map((d) => d.toJS());
    assert.deepEqual(reparsed, JSON.parse(JSON.stringify(objects)));
  });

  test(`${overlay}: every service in services/ has its manifests, probes, requests, autoscaling and disruption budget`, () => {
    const objects = rendered.get(overlay)!;
    const o = overlays[overlay];
    const dirs = readdirSync(join(repoRoot, 'services')).filter((d) => existsSync(join(repoRoot, 'services', d, 'package.json')));
    assert.deepEqual(services.map((s) => s.name), dirs.sort());
    for (const name of dirs) {
      for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor']) {
        assert.ok(find(objects, kind, name), `${kind}/${name}`);
      }
      const deployment = find(objects, 'Deployment', name) as Any;
      const pod = deployment.spec.template.spec;
      const [container] = pod.containers;
      assert.deepEqual(container.command, ['node', `services/${name}/src/main.ts`]);
      assert.equal(container.ports[0].containerPort, httpPort);
      if (name === 'gateway') {
        assert.deepEqual(container.readinessProbe.tcpSocket, { port: 'http' });
        assert.deepEqual(container.livenessProbe.tcpSocket, { port: 'http' });
      } else {
        assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
        assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
      }
      assert.ok(container.envFrom.some((e: Any) => e.configMapRef?.name === names.platformConfig));
      assert.deepEqual(container.env.find((e: Any) => e.name === 'HOST').valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });

      const hpa = find(objects, 'HorizontalPodAutoscaler', name) as Any;
      assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name });
      assert.ok(hpa.spec.minReplicas >= 2, 'at least two instances of every service');
      assert.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count');
      const pdb = find(objects, 'PodDisruptionBudget', name) as Any;
      assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
      const service = find(objects, 'Service', name) as Any;
      assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
      const monitor = find(objects, 'ServiceMonitor', name) as Any;
      assert.deepEqual(monitor.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
      assert.deepEqual(monitor.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '15s' }]);

      const hasMigrations = existsSync(join(repoRoot, 'services', name, 'migrations'))
        && readdirSync(join(repoRoot, 'services', name, 'migrations')).some((f) => f.endsWith('.sql'));
      const job = objects.find((x) => x.kind === 'Job' && x.metadata.name.startsWith(`${name}-migrate-`)) as Any;
      assert.equal(Boolean(job), hasMigrations, `migration Job for ${name} iff it has migrations`);
      if (hasMigrations) {
        assert.deepEqual(job.spec.template.spec.containers[0].command, ['node', 'infra/k8s/migrate.ts', `services/${name}/migrations`]);
        assert.equal(job.metadata.annotations['argocd.argoproj.io/hook'], 'PreSync');
        const url = container.env.find((e: Any) => e.name === 'DATABASE_URL').value;
        assert.equal(url, `postgres://${databaseName(o, name)}:$(DB_PASSWORD)@${names.postgres}-rw:5432/${databaseName(o, name)}`);
        assert.deepEqual(job.spec.template.spec.containers[0].env, container.env.filter((e: Any) => ['DB_PASSWORD', 'DATABASE_URL'].includes(e.name)));
        const cluster = find(objects, 'Cluster', names.postgres) as Any;
        assert.ok(cluster.spec.managed.roles.some((r: Any) => r.name === databaseName(o, name) && r.login));
        assert.ok(objects.some((x: Any) => x.kind === 'Database' && x.spec.name === databaseName(o, name) && x.spec.owner === databaseName(o, name)));
      }
    }
    // Every container of every workload asks for CPU and memory.
    for (const workload of objects.filter((x) => ['Deployment', 'StatefulSet', 'Job'].includes(x.kind)) as Any[]) {
      for (const c of workload.spec.template.spec.containers) {
        assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${workload.kind}/${workload.metadata.name} requests`);
      }
    }
  });

  test(`${overlay}: Kafka is replicated (RF = nodes, min ISR 2) and every declared topic and its DLQ is a KafkaTopic`, () => {
    const objects = rendered.get(overlay)!;
    const o = overlays[overlay];
    const kafka = find(objects, 'Kafka', names.kafka) as Any;
    assert.equal(kafka.spec.kafka.config['default.replication.factor'], 3);
    assert.equal(kafka.spec.kafka.config['min.insync.replicas'], 2);
    assert.equal(kafka.spec.kafka.config['offsets.topic.replication.factor'], 3);
    assert.equal((objects.find((x) => x.kind === 'KafkaNodePool') as Any).spec.replicas, 3);
    const config = (find(objects, 'ConfigMap', names.platformConfig) as Any).data;
    assert.equal(config.KAFKA_BROKERS, `${names.kafka}-kafka-bootstrap:${ports.kafka}`);
    assert.equal(config.KAFKA_REPLICATION_FACTOR, '3');
    assert.equal(config.KAFKA_MIN_INSYNC_REPLICAS, '2');
    assert.equal(config.MERIDIAN_NAMESPACE, o.meridianNamespace);
    assert.equal(config.ETCD_ENDPOINTS.split(',').length, o.etcd.replicas);
    const topics = new Map(objects.filter((x) => x.kind === 'KafkaTopic').map((x: Any) => [x.spec.topicName, x.spec]));
    for (const t of services.flatMap((s) => s.topics)) {
      for (const name of [physicalTopic(o, t.name), `${physicalTopic(o, t.name)}.dlq`]) {
        const spec = topics.get(name) as Any;
        assert.ok(spec, `KafkaTopic ${name}`);
        assert.equal(spec.replicas, 3);
        assert.equal(spec.config['min.insync.replicas'], 2);
        assert.ok(spec.partitions >= t.partitions);
      }
    }
    for (const s of services) {
      const user = find(objects, 'KafkaUser', s.name) as Any;
      assert.ok(user, `KafkaUser/${s.name}`);
      const writes = user.spec.authorization.acls.filter((a: Any) => a.operations.includes('Write')).map((a: Any) => a.resource.name);
      for (const t of s.produces) assert.ok(writes.includes(physicalTopic(o, t)), `${s.name} may write ${t}`);
      const others = services.flatMap((x) => x.produces.filter((t) => x.name !== s.name && !s.produces.includes(t)));
      for (const t of others) assert.ok(!writes.includes(physicalTopic(o, t)), `${s.name} may not write ${t}`);
      // The same rules as the local broker's, from the same declarations.
      const rules = kafkaAcls(
        { name: s.name, produces: s.produces, consumes: s.consumes, shipsLogs: !s.consumes.includes(logsTopic) },
        { ns: o.meridianNamespace, logsTopic, businessTopics: [...new Set(services.flatMap((x) => x.produces))] },
      );
      assert.deepEqual(user.spec.authorization.acls.map((a: Any) => [a.resource.type, a.resource.name, a.resource.patternType, a.operations]),
        rules.map((r) => [r.resource, r.name, r.pattern, r.operations]));
      // It logs in as that user, over TLS checked against the cluster CA.
      const container = (find(objects, 'Deployment', s.name) as Any).spec.template.spec.containers[0];
      const env = new Map(container.env.map((e: Any) => [e.name, e]));
      assert.equal((env.get('KAFKA_SASL_USERNAME') as Any).value, s.name);
      assert.deepEqual((env.get('KAFKA_SASL_PASSWORD') as Any).valueFrom, { secretKeyRef: { name: s.name, key: 'password' } });
      assert.ok(container.volumeMounts.some((m: Any) => (env.get('KAFKA_TLS_CA_FILE') as Any).value.startsWith(m.mountPath)), 'the CA file is mounted');
    }
    // One way in: TLS and a SCRAM login; nobody is a super user.
    assert.deepEqual(kafka.spec.kafka.listeners.map((l: Any) => [l.port, l.tls, l.authentication?.type]), [[ports.kafka, true, 'scram-sha-512']]);
    assert.deepEqual(kafka.spec.kafka.authorization, { type: 'simple' });
  });

  test(`${overlay}: network policies allow exactly the edges of the architecture`, () => {
    const objects = rendered.get(overlay)!;
    const o = overlays[overlay];
    assert.deepEqual(allowedEdges(objects, o).sort(), expectedEdges(services).sort());
  });
}

// ---- NetworkPolicy evaluation ---------------------------------------------------------------

interface Pod { id: string; namespace: string; labels: Record<string, string>; ports: string[]; ours: boolean }
const matches = (selector: Any, labels: Record<string, string>) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const nsLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });

function podsOf(objects: K8sObject[], o: OverlaySettings): Pod[] {
  const pods: Pod[] = [];
  for (const w of objects.filter((x) => ['Deployment', 'StatefulSet', 'Job'].includes(x.kind)) as Any[]) {
    const containerPorts = w.spec.template.spec.containers.flatMap((c: Any) => (c.ports ?? []).map((p: Any) => `${p.containerPort}/TCP`));
    const id = w.kind === 'Job' ? `migrate:${w.spec.template.metadata.labels['app.kubernetes.io/name']}` : w.metadata.name;
    pods.push({ id, namespace: o.namespace, labels: w.spec.template.metadata.labels, ports: containerPorts, ours: true });
  }
  const external = (id: string, namespace: string, labels: Record<string, string>, podPorts: string[]) =>
    pods.push({ id, namespace, labels, ports: podPorts, ours: false });
  external('kafka', o.namespace, { 'strimzi.io/cluster': names.kafka, 'strimzi.io/kind': 'Kafka', 'strimzi.io/broker-role': 'true' }, [`${ports.kafka}/TCP`]);
  external('postgres', o.namespace, { 'cnpg.io/cluster': names.postgres }, ['5432/TCP', '8000/TCP', '9187/TCP']);
  external('dns', 'kube-system', { 'k8s-app': 'kube-dns' }, ['53/UDP', '53/TCP']);
  external('prometheus', names.monitoringNamespace, { 'app.kubernetes.io/name': 'prometheus' }, []);
  external('ingress-controller', names.ingressNamespace, { 'app.kubernetes.io/name': 'ingress-nginx' }, []);
  external('cnpg-operator', names.cnpgNamespace, { 'app.kubernetes.io/name': 'cloudnative-pg' }, []);
  external('stranger', o.namespace, { app: 'something-else' }, []);
  return pods;
}

function peerMatches(peer: Any, policyNamespace: string, pod: Pod): boolean {
  const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels(pod.namespace)) : pod.namespace === policyNamespace;
  return nsOk && (!peer.podSelector || matches(peer.podSelector, pod.labels));
}
const portMatches = (rulePorts: Any[] | undefined, port: string) =>
  !rulePorts || rulePorts.some((p) => `${p.port}/${p.protocol ?? 'TCP'}` === port);

/** Whether `direction` traffic of `pod` with `peer` on `port` is allowed by the policies. */
function allowed(policies: Any[], pod: Pod, peer: Pod, port: string, direction: 'Ingress' | 'Egress'): boolean {
  const selecting = policies.filter((p) => p.metadata.namespace === pod.namespace && matches(p.spec.podSelector, pod.labels)
    && p.spec.policyTypes.includes(direction));
  if (selecting.length === 0) return true;
  const rules = selecting.flatMap((p) => (direction === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []);
  return rules.some((rule: Any) => {
    const peers = direction === 'Ingress' ? rule.from : rule.to;
    return (!peers || peers.some((x: Any) => peerMatches(x, pod.namespace, peer))) && portMatches(rule.ports, port);
  });
}

function allowedEdges(objects: K8sObject[], o: OverlaySettings): string[] {
  const policies = objects.filter((x) => x.kind === 'NetworkPolicy');
  const pods = podsOf(objects, o);
  const ingressIsolated = (pod: Pod) => policies.some((p: Any) => matches(p.spec.podSelector, pod.labels) && p.spec.policyTypes.includes('Ingress'));
  const edges: string[] = [];
  for (const src of pods) {
    for (const dst of pods) {
      // Only edges that our policies govern: from our pods, or into pods our policies isolate.
      if (!src.ours && !ingressIsolated(dst)) continue;
      for (const port of dst.ports) {
        if (allowed(policies, src, dst, port, 'Egress') && allowed(policies, dst, src, port, 'Ingress')) edges.push(`${src.id} -> ${dst.id}:${port}`);
      }
    }
  }
  return edges;
}

function expectedEdges(all: ServiceInfo[]): string[] {
  const http = `${httpPort}/TCP`;
  const edges = [
    `ingress-controller -> gateway:${http}`,
    'prometheus -> postgres:9187/TCP',
    'etcd -> etcd:2379/TCP', 'etcd -> etcd:2380/TCP', 'etcd -> dns:53/UDP', 'etcd -> dns:53/TCP',
    'postgres -> postgres:5432/TCP', 'postgres -> postgres:8000/TCP',
    'cnpg-operator -> postgres:5432/TCP', 'cnpg-operator -> postgres:8000/TCP',
    // What people look at: Prometheus alerts through Alertmanager, Grafana reached through the ingress controller.
    'prometheus -> alertmanager:9093/TCP', 'alertmanager -> dns:53/UDP', 'alertmanager -> dns:53/TCP',
    'ingress-controller -> grafana:3000/TCP', 'grafana -> dns:53/UDP', 'grafana -> dns:53/TCP',
  ];
  for (const s of all) {
    edges.push(`prometheus -> ${s.name}:${http}`, `${s.name} -> etcd:2379/TCP`, `${s.name} -> kafka:9093/TCP`, `${s.name} -> zipkin:9411/TCP`,
      `${s.name} -> dns:53/UDP`, `${s.name} -> dns:53/TCP`);
    if (s.kind === 'service') edges.push(`gateway -> ${s.name}:${http}`);
    if (s.kind === 'service' && s.name !== 'identity') edges.push(`${s.name} -> identity:${http}`);
    if (s.redis) edges.push(`${s.name} -> redis:6379/TCP`);
    if (s.migrationsDir) {
      edges.push(`${s.name} -> postgres:5432/TCP`, `migrate:${s.name} -> postgres:5432/TCP`,
        `migrate:${s.name} -> dns:53/UDP`, `migrate:${s.name} -> dns:53/TCP`);
    }
  }
  return edges;
}
