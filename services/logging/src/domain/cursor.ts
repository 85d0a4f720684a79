import { isBigintId, isTimestamp, keysetCursor, type KeysetCursor } from '@meridian/http';

/** Opaque keyset cursor over (time, id) in the order of the search. */
export type Cursor = KeysetCursor<'time' | 'id'>;

export const { encode: encodeCursor, decode: decodeCursor } = keysetCursor({ time: isTimestamp, id: isBigintId });
