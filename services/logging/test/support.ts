/** Test helpers: shared ones from `@meridian/testkit`, plus a log sink for the logging tests. */
import { Writable } from 'node:stream';

export { deleteNamespaceTopics, startTokenAuthority } from '@meridian/testkit/services';

/** A destination that discards lines (instead of stdout). */
export const discard = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
