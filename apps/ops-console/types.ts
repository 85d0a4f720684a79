// What the ops console's server answers on /ops-api and its browser reads: one definition for both
// (types only, so the Node server and the Vite build each erase the import).

export interface TopicSummary {
  name: string;
  partitions: number;
  /** Messages currently retained (end - start, over all partitions). */
  messages: number;
  /** Offset of the next message, summed over partitions (total ever written). */
  endOffset: number;
  deadLetter: boolean;
}

export interface GroupLag {
  groupId: string;
  state: string;
  members: number;
  /** Per topic the group committed offsets for; lag = end offset - committed offset, summed. */
  topics: { topic: string; lag: number; partitions: { partition: number; committed: number; end: number; lag: number }[] }[];
  totalLag: number;
}

/** Where a replayed dead letter's copy was written. */
export interface Replayed {
  at: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  timestamp: string;
  reason: string;
  originalTopic: string;
  originalPartition: string;
  originalOffset: string;
  consumer: string;
  failedAt: string;
  eventType: string;
  eventId: string;
  /** The record value as it was dead-lettered (parsed JSON when it is JSON). */
  value: unknown;
  headers: Record<string, string>;
  /** Set when this console instance replayed it. */
  replayed?: Replayed;
}

export interface OutboxReport {
  service: string;
  instanceId: string;
  url: string;
  /** Unpublished outbox rows; undefined when the instance has no outbox (or its relay runs elsewhere). */
  backlog?: number;
  oldestAgeSeconds?: number;
  published?: number;
  publishErrors?: number;
  error?: string;
}

/** A service on the map: its instances in discovery (none when it is declared but not running). */
export interface MapServiceNode {
  id: string;
  kind: 'service';
  name: string;
  ready: number;
  instances: number;
  versions: string[];
}
export interface MapTopicNode {
  id: string;
  kind: 'topic';
  /** Logical name (without the namespace). */
  name: string;
  partitions: number;
  /** Messages written per second over the sampling window; null before a second sample. */
  perSecond: number | null;
  /** Messages waiting in its dead-letter topic. */
  deadLetters: number;
  /** The log topic every service writes to, not business events. */
  platform: boolean;
}
export interface MapGroupNode {
  id: string;
  kind: 'group';
  /** Kafka consumer group id. */
  name: string;
  state: string;
  members: number;
  lag: number | null;
}
export type MapNode = MapServiceNode | MapTopicNode | MapGroupNode;

export interface MapEdge {
  from: string;
  to: string;
  /** service → topic it writes; topic → group reading it; group → service it belongs to. */
  kind: 'produces' | 'delivers' | 'feeds';
  /** Messages per second along the edge, when Kafka's offsets tell it. */
  perSecond: number | null;
  /** topic → group: messages the group has not committed yet. */
  lag?: number | null;
}

export interface ServiceMap {
  namespace: string;
  sampledAt: string;
  /** Seconds between the two Kafka samples rates come from; null on the first look. */
  rateWindowSeconds: number | null;
  /** Set when Kafka could not be read: the map then shows discovery only. */
  kafkaError?: string;
  nodes: MapNode[];
  edges: MapEdge[];
}
