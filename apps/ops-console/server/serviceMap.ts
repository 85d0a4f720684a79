/**
 * The service map: services, topics and consumer groups as a graph, derived rather than drawn. Who
 * writes a topic comes from the topic declarations (each topic's owner) and from the discovery
 * records (the log topic every shipping instance writes); who reads it from the consumer groups each
 * instance announces in discovery; rates and lag from two samples of Kafka's offsets.
 */
import type { ServiceInstance } from '@meridian/discovery';
import type { GroupLag, MapEdge, MapGroupNode, MapNode, MapServiceNode, MapTopicNode, ServiceMap, TopicSummary } from '../types.ts';

/** Kafka's offsets at one moment: what rates are computed between. */
export interface KafkaSample {
  at: number;
  topics: TopicSummary[];
  groups: GroupLag[];
}

export interface ServiceMapInput {
  ns: string;
  instances: ServiceInstance[];
  /** Declared topics (logical names) and the service that owns and writes each. */
  declarations: { name: string; owner: string }[];
  /** The topic every service's log lines go to (logical name). */
  logsTopic: string;
  current?: KafkaSample;
  previous?: KafkaSample;
  kafkaError?: string;
}

const serviceId = (name: string) => `service:${name}`;
const topicId = (name: string) => `topic:${name}`;
const groupId = (name: string) => `group:${name}`;

function committedOf(sample: KafkaSample | undefined, group: string, topic: string): number | undefined {
  const lags = sample?.groups.find((g) => g.groupId === group)?.topics.find((t) => t.topic === topic);
  return lags?.partitions.reduce((sum, p) => sum + p.committed, 0);
}

function perSecond(now: number | undefined, before: number | undefined, seconds: number | null): number | null {
  if (now === undefined || before === undefined || !seconds) return null;
  return Math.max(0, now - before) / seconds;
}

export function buildServiceMap({ ns, instances, declarations, logsTopic, current, previous, kafkaError }: ServiceMapInput): ServiceMap {
  const physical = (name: string) => `${ns}.${name}`;
  const window = current && previous && current.at > previous.at ? (current.at - previous.at) / 1000 : null;
  const nodes = new Map<string, MapNode>();
  const edges: MapEdge[] = [];

  const service = (name: string): MapServiceNode => {
    const id = serviceId(name);
    const existing = nodes.get(id);
    if (existing) return existing as MapServiceNode;
    const own = instances.filter((i) => i.service === name);
    const node: MapServiceNode = {
      id,
      kind: 'service',
      name,
      ready: own.filter((i) => i.health === 'ready').length,
      instances: own.length,
      versions: [...new Set(own.map((i) => i.version))].sort(),
    };
    nodes.set(id, node);
    return node;
  };
  const topic = (name: string): MapTopicNode => {
    const id = topicId(name);
    const existing = nodes.get(id);
    if (existing) return existing as MapTopicNode;
    const summary = current?.topics.find((t) => t.name === physical(name));
    const dlq = current?.topics.find((t) => t.name === `${physical(name)}.dlq`);
    const before = previous?.topics.find((t) => t.name === physical(name));
    const node: MapTopicNode = {
      id,
      kind: 'topic',
      name,
      partitions: summary?.partitions ?? 0,
      perSecond: perSecond(summary?.endOffset, before?.endOffset, window),
      deadLetters: dlq?.messages ?? 0,
      platform: name === logsTopic,
    };
    nodes.set(id, node);
    return node;
  };

  for (const instance of instances) service(instance.service);

  const writers = new Map<string, Set<string>>(); // topic → services writing it
  const write = (serviceName: string, topicName: string) => writers.set(topicName, (writers.get(topicName) ?? new Set()).add(serviceName));
  for (const { name, owner } of declarations) if (name !== logsTopic) write(owner, name);
  for (const instance of instances) for (const name of instance.messaging?.produces ?? []) write(instance.service, name);
  for (const [topicName, services] of [...writers].sort(([a], [b]) => a.localeCompare(b))) {
    const node = topic(topicName);
    for (const name of [...services].sort()) {
      service(name);
      // With one writer the topic's rate is that writer's; with several Kafka cannot tell them apart.
      edges.push({ from: serviceId(name), to: node.id, kind: 'produces', perSecond: services.size === 1 ? node.perSecond : null });
    }
  }

  const groups = new Map<string, { owner: string; topics: Set<string> }>();
  for (const instance of instances) {
    for (const { group, topics } of instance.messaging?.consumes ?? []) {
      const entry = groups.get(group) ?? { owner: instance.service, topics: new Set<string>() };
      for (const name of topics) entry.topics.add(name);
      groups.set(group, entry);
    }
  }
  for (const [name, { owner, topics }] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const lag = current?.groups.find((g) => g.groupId === name);
    const node: MapGroupNode = {
      id: groupId(name),
      kind: 'group',
      name,
      state: lag?.state ?? (current ? 'Unknown' : 'not sampled'),
      members: lag?.members ?? 0,
      lag: lag ? lag.totalLag : null,
    };
    nodes.set(node.id, node);
    for (const topicName of [...topics].sort()) {
      topic(topicName);
      const topicLag = lag?.topics.find((t) => t.topic === physical(topicName))?.lag;
      edges.push({
        from: topicId(topicName),
        to: node.id,
        kind: 'delivers',
        perSecond: perSecond(committedOf(current, name, physical(topicName)), committedOf(previous, name, physical(topicName)), window),
        lag: lag ? (topicLag ?? 0) : null,
      });
    }
    edges.push({ from: node.id, to: service(owner).id, kind: 'feeds', perSecond: null });
  }

  return {
    namespace: ns,
    sampledAt: new Date(current?.at ?? Date.now()).toISOString(),
    rateWindowSeconds: window,
    ...(kafkaError ? { kafkaError } : {}),
    nodes: [...nodes.values()],
    edges,
  };
}

/**
 * Keeps the two latest Kafka samples so rates can be computed. Viewers polling within `minAgeMs` share
 * one read; a previous sample older than `maxWindowMs` is dropped (a rate over minutes nobody watched
 * would hide the present).
 */
export function createKafkaSampler(read: () => Promise<Omit<KafkaSample, 'at'>>, { minAgeMs = 2000, maxWindowMs = 30_000 } = {}) {
  let latest: KafkaSample | undefined;
  let before: KafkaSample | undefined;
  let reading: Promise<void> | undefined;
  return {
    async sample(now = Date.now()): Promise<{ current: KafkaSample; previous?: KafkaSample }> {
      if (!latest || now - latest.at >= minAgeMs) {
        reading ??= read()
          .then((sample) => {
            const at = Date.now();
            before = latest && at - latest.at <= maxWindowMs ? latest : undefined;
            latest = { at, ...sample };
          })
          .finally(() => (reading = undefined));
        await reading;
      }
      return { current: latest!, previous: before };
    },
  };
}
