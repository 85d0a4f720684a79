-- The W3C trace id of the request that placed the order: every log line of its saga carries it.
alter table orders add column trace_id text check (trace_id ~ '^[0-9a-f]{32}$');
