import type postgres from 'postgres';

/**
 * Vacuums and analyzes every table the connection's role owns (or is a member of the owner of) when the
 * server's autovacuum is off. Such a server never reclaims the space of updated and deleted rows, so
 * tables grow without end, and never gathers statistics, so the planner guesses a third of a table
 * matches any range (the orders admission count read its whole table that way: docs/benchmarks.md,
 * session 15). With autovacuum on this does nothing. Returns the tables it vacuumed.
 */
export async function vacuumWithoutAutovacuum(sql: postgres.Sql, signal?: AbortSignal): Promise<string[]> {
  const [setting] = await sql<{ on: boolean }[]>`select current_setting('autovacuum')::boolean as on`;
  if (setting?.on) return [];
  // `oid::regclass::text` is the name quoted as an identifier, schema-qualified when outside the search path.
  const tables = await sql<{ name: string }[]>`
    select c.oid::regclass::text as name from pg_class c
    where c.relkind in ('r', 'm') and pg_has_role(c.relowner, 'USAGE')
      and c.relnamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      and c.relpersistence <> 't'
    order by 1`;
  const vacuumed: string[] = [];
  for (const { name } of tables) {
    if (signal?.aborted) break;
    await sql.unsafe(`vacuum (analyze) ${name}`);
    vacuumed.push(name);
  }
  return vacuumed;
}
