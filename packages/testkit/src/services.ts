// Helpers for testing a service on real infrastructure: a token authority registered as `identity`,
// and Kafka producing/reading like the relay and consumers do. A subpath of its own, so the chassis
// packages these import can themselves use the core of `@meridian/testkit` in their tests.
export { startTokenAuthority, type TokenAuthority } from './auth.ts';
export { createTestProducer, deleteNamespaceTopics, envelope, startReading } from './kafka.ts';
