/** pino's levels, lowest first. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof logLevels)[number];

const numericLevels: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** `level` and every level above it: the meaning of the search's `level` filter. */
export function levelsAtOrAbove(level: LogLevel): LogLevel[] {
  return logLevels.slice(logLevels.indexOf(level));
}

/** A line's level as a label: pino writes labels here, but numbers (pino's default) are accepted too. */
export function levelLabel(value: unknown): string {
  if (typeof value === 'number') return numericLevels[value] ?? String(value);
  if (typeof value === 'string' && value.length > 0) return value.toLowerCase();
  return 'info';
}
