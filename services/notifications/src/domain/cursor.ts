import { isTimestamp, isUuid, keysetCursor, type KeysetCursor } from '@meridian/http';

/** Opaque keyset cursor over (createdAt desc, id desc). */
export type Cursor = KeysetCursor<'createdAt' | 'id'>;

export const { encode: encodeCursor, decode: decodeCursor } = keysetCursor({ createdAt: isTimestamp, id: isUuid });
