const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** A pino JSON line as `HH:MM:SS.mmm LEVEL msg` (plus the error message, if any); other lines unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let record: { time?: number | string; level?: number | string; msg?: unknown; err?: { message?: string } };
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (record.level === undefined || record.msg === undefined) return line;
  const time = new Date(record.time ?? Date.now());
  const clock = `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
  const level = typeof record.level === 'number' ? (levelNames[record.level] ?? String(record.level)) : record.level.toUpperCase();
  const error = record.err?.message ? ` — ${record.err.message}` : '';
  return `${clock} ${level.padEnd(5)} ${String(record.msg)}${error}`;
}
