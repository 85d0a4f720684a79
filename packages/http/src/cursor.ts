/** Checks one field of a decoded cursor. */
export type CursorField = (value: string) => boolean;

/** A keyset cursor: the values of the last item of a page, in the order of its sort key. */
export type KeysetCursor<K extends string> = Record<K, string>;

export interface CursorCodec<K extends string> {
  /** An opaque token (base64url of a JSON array of the fields, in declaration order). */
  encode(cursor: KeysetCursor<K>): string;
  /** The cursor a token stands for; undefined for anything `encode` did not make (the caller answers 400). */
  decode(token: string): KeysetCursor<K> | undefined;
}

/** A UUID in any case, as a regular-expression source without anchors (for schema patterns like id lists). */
export const uuidPattern = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const uuidOnly = new RegExp(`^${uuidPattern}$`);

export const isUuid: CursorField = (value) => uuidOnly.test(value);
export const isTimestamp: CursorField = (value) => !Number.isNaN(Date.parse(value));
export const isBigintId: CursorField = (value) => /^\d{1,19}$/.test(value);
export const anyText: CursorField = () => true;

/**
 * The cursor codec of a list sorted by `fields` (their names in sort order, each with its check):
 * `keysetCursor({ createdAt: isTimestamp, id: isUuid })`.
 */
export function keysetCursor<K extends string>(fields: Record<K, CursorField>): CursorCodec<K> {
  const names = Object.keys(fields) as K[];
  return {
    encode: (cursor) => Buffer.from(JSON.stringify(names.map((name) => cursor[name]))).toString('base64url'),
    decode(token) {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      if (!Array.isArray(value) || value.length !== names.length) return undefined;
      const cursor = {} as KeysetCursor<K>;
      for (const [i, name] of names.entries()) {
        const field = value[i];
        if (typeof field !== 'string' || !fields[name](field)) return undefined;
        cursor[name] = field;
      }
      return cursor;
    },
  };
}
