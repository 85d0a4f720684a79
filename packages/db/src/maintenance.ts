import type postgres from 'postgres';

export interface VacuumOptions {
  /**
   * Tables with fewer rows (live and dead) are left alone. Statistics of a small table steer a prepared
   * statement's cached plan toward reading the whole table, and that plan stays while the table grows
   * (a vacuum of every table at start left the cost benchmark's lookups reading whole tables:
   * docs/benchmarks.md, session 15); a table never analyzed is planned as ten pages instead. Default 10,000.
   */
  minRows?: number;
  /** Share of the live rows dead, or changed since the last analyze, at which a table is done again (default 0.1). */
  changedShare?: number;
  signal?: AbortSignal;
}

/**
 * Vacuums and analyzes the tables the connection's role owns (or is a member of the owner of) that have
 * grown past `minRows` and changed by `changedShare` since, when the server's autovacuum is off. Such a
 * server never reclaims the space of updated and deleted rows, so tables grow without end, and never
 * gathers statistics, so the planner guesses a third of a table matches any range. With autovacuum on
 * this does nothing. Returns the tables it vacuumed.
 */
export async function vacuumWithoutAutovacuum(sql: postgres.Sql, { minRows = 10_000, changedShare = 0.1, signal }: VacuumOptions = {}): Promise<string[]> {
  const [setting] = await sql<{ on: boolean }[]>`select current_setting('autovacuum')::boolean as on`;
  if (setting?.on) return [];
  const tables = await sql<{ schema: string; table: string }[]>`
    select s.schemaname as schema, s.relname as table
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where pg_has_role(c.relowner, 'USAGE') and c.relpersistence <> 't'
      and s.n_live_tup + s.n_dead_tup >= ${minRows}
      and (s.n_dead_tup >= ${changedShare}::float8 * s.n_live_tup or s.n_mod_since_analyze >= ${changedShare}::float8 * s.n_live_tup)
    order by s.n_dead_tup desc, 2`;
  const vacuumed: string[] = [];
  for (const { schema, table } of tables) {
    if (signal?.aborted) break;
    // Names go in as quoted identifiers (`sql(name)`); a statement like VACUUM takes no bind parameters.
    await sql`vacuum (analyze) ${sql(schema)}.${sql(table)}`;
    vacuumed.push(`${schema}.${table}`);
  }
  return vacuumed;
}
