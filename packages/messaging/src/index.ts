export {
  assertEventData,
  assertValidData,
  createEnvelope,
  newEventId,
  dataErrors,
  type EventEnvelope,
  InvalidEventError,
  type NewEvent,
  checkEnvelope,
  parseEnvelope,
  type SchemaRegistry,
  schemaErrors,
} from './envelope.ts';
export {
  consumerPlan,
  event,
  type EventDescriptor,
  type EventOf,
  type EventVersion,
  on,
  readEvent,
  schemaRegistryOf,
  type Subscription,
  topic,
  type TopicDescriptor,
  topicDescriptorsOf,
  topicsOf,
  versionNumbers,
} from './descriptors.ts';
export {
  type CleanupPolicy,
  defineTopic,
  dlqRetentionMs,
  dlqTopic,
  ensureTopics,
  physicalTopic,
  type TopicDefinition,
} from './topics.ts';
export {
  createOutbox,
  outboxOf,
  createOutboxRelay,
  messagingMigrationSql,
  messagingMigrations,
  type Outbox,
  type OutboxRow,
  type PreparedEvent,
  preparedEvent,
  writeEvents,
  type OutboxRelay,
  type OutboxRelayOptions,
  type OutboxStats,
  outboxStats,
} from './outbox.ts';
export { type ConsumerOptions, createConsumer, type EventConsumer, type EventHandler, type HandlerContext } from './consumer.ts';
export { type DeadLetterQueue, dlqHeaders, type ReplayedMessage, replayDlqMessage } from './deadLetters.ts';
export { isTransientError } from './transient.ts';
export { type MessagingRetention, pruneMessaging } from './retention.ts';
export type { Logger } from './support.ts';
export { type AsyncApiDocument, asyncApiDocument, type EventParticipant, mergeAsyncApi } from './asyncapi.ts';
export { type AcceptingConsumer, asVersion, createVersionGate, type VersionChoice, type VersionGate } from './versionGate.ts';
