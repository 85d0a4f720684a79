/** Position after the last item of a page, in the list's (name, id) order. */
export interface Cursor {
  name: string;
  id: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque base64url token for a cursor. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.name, cursor.id])).toString('base64url');
}

/** Decodes a token made by `encodeCursor`; undefined when it is malformed. */
export function decodeCursor(token: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [name, id] = value;
    if (typeof name !== 'string' || typeof id !== 'string' || !uuidPattern.test(id)) return undefined;
    return { name, id };
  } catch {
    return undefined;
  }
}
