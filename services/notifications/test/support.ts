/** Test helpers on real infrastructure, shared through `@meridian/testkit`. */
export { createTestProducer, deleteNamespaceTopics, envelope, startTokenAuthority } from '@meridian/testkit/services';
