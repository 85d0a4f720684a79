import { anyText, isUuid, keysetCursor, type KeysetCursor } from '@meridian/http';

/** Position after the last item of a page, in the list's (name, id) order. */
export type Cursor = KeysetCursor<'name' | 'id'>;

export const { encode: encodeCursor, decode: decodeCursor } = keysetCursor({ name: anyText, id: isUuid });
