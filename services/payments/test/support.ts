/** Test helpers on real infrastructure, shared through `@meridian/testkit`. */
export { createTestProducer, deleteNamespaceTopics, envelope, startReading, startTokenAuthority } from '@meridian/testkit/services';
