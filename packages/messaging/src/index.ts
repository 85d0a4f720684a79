export {
  assertValidData,
  createEnvelope,
  dataErrors,
  type EventEnvelope,
  InvalidEventError,
  type NewEvent,
  parseEnvelope,
  type SchemaRegistry,
} from './envelope.ts';
export {
  type CleanupPolicy,
  defineTopic,
  dlqRetentionMs,
  dlqTopic,
  ensureTopics,
  parseBrokers,
  physicalTopic,
  type TopicDefinition,
} from './topics.ts';
export {
  createOutbox,
  createOutboxRelay,
  messagingMigrationSql,
  messagingMigrations,
  type Outbox,
  type OutboxEvent,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxStats,
  outboxStats,
} from './outbox.ts';
export { type ConsumerOptions, createConsumer, type EventConsumer, type EventHandler, type HandlerContext } from './consumer.ts';
export { type ReplayedMessage, replayDlqMessage } from './dlq.ts';
export { isTransientError } from './transient.ts';
export type { Logger } from './support.ts';
