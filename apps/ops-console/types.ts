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
