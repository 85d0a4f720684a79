/** HTTP API of the logging service: search over every service's logs, for staff. */
import type { Sql } from 'postgres';
import { Type } from 'typebox';
import type { AuthVerifier } from '@meridian/auth';
import { type App, HttpProblem, Problem } from '@meridian/http';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { levelsAtOrAbove, logLevels, type LogLevel } from '../domain/levels.ts';
import { searchEntries } from '../db/entries.ts';


const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const LogEntry = Type.Object({
  id: Type.String({ description: 'Position in the index' }),
  time: Type.String({ format: 'date-time' }),
  service: Type.String(),
  level: Type.String(),
  instance: Nullable(Type.String()),
  msg: Type.String(),
  traceId: Nullable(Type.String()),
  spanId: Nullable(Type.String()),
  reqId: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'Every other field of the line' }),
});

const Query = Type.Object(
  {
    traceId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$', description: 'W3C trace id (32 hex digits)' })),
    service: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })),
    level: Type.Optional(Type.Union(logLevels.map((level) => Type.Literal(level)), { description: 'This level or above' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search in the message and the values of its data fields (words, "phrases", or, -not); a_b is the words a and b' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
    order: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc', description: 'By time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export function registerRoutes(app: App, deps: { sql: Sql; requireStaff: AuthVerifier['requireStaff'] }): void {
  app.get(
    '/api/v1/ops/logs',
    {
      preHandler: deps.requireStaff,
      schema: {
        tags: ['logs'],
        summary: 'Search the log lines of every service (staff only)', description: 'Staff only. The shipped log lines of every service, newest first, filtered by service, level, text, trace id or time range, with keyset cursor paging.',
        querystring: Query,
        response: {
          200: Type.Object({ items: Type.Array(LogEntry), nextCursor: Nullable(Type.String()) }),
          400: Problem,
          401: Problem,
          403: Problem,
        },
      },
    },
    async (request) => {
      const { traceId, service, level, q, since, until, order = 'desc', limit = 100, cursor: rawCursor } = request.query;
      const after = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
      if (rawCursor !== undefined && !after) {
        throw new HttpProblem(400, 'validation-failed', 'Invalid cursor', { errors: [{ field: 'cursor', message: 'is not a valid cursor' }] });
      }
      const rows = await searchEntries(deps.sql, {
        traceId,
        service,
        levels: level ? levelsAtOrAbove(level as LogLevel) : undefined,
        q,
        since: since ? new Date(since) : undefined,
        until: until ? new Date(until) : undefined,
        order,
        after,
        limit: limit + 1,
      });
      const items = rows.slice(0, limit).map((row) => ({ ...row, time: row.time.toISOString() }));
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor({ time: last.time, id: last.id }) : null };
    },
  );
}
