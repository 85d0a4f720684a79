/** Opaque keyset cursor over (time, id) in the order of the search. */
export interface Cursor {
  time: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.time, cursor.id])).toString('base64url');
}

/** Undefined for anything this service did not issue. */
export function decodeCursor(raw: string): Cursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [time, id] = value;
    if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) return undefined;
    if (typeof id !== 'string' || !/^\d{1,19}$/.test(id)) return undefined;
    return { time, id };
  } catch {
    return undefined;
  }
}
