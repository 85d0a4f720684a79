-- One row per shipped log line (topic <ns>.platform.logs); (src_partition, src_offset) dedupes redeliveries.
create table log_entries (
  id            bigserial primary key,
  time          timestamptz not null,
  service       text not null,
  level         text not null,
  instance      text,
  msg           text not null default '',
  trace_id      text,
  span_id       text,
  req_id        text,
  data          jsonb not null default '{}',
  src_partition int not null,
  src_offset    bigint not null,
  unique (src_partition, src_offset)
);

create index log_entries_time_idx on log_entries (time desc, id desc);
create index log_entries_trace_idx on log_entries (trace_id, time) where trace_id is not null;
create index log_entries_service_time_idx on log_entries (service, time desc);
create index log_entries_level_time_idx on log_entries (level, time desc);
create index log_entries_msg_fts_idx on log_entries using gin (to_tsvector('simple', msg));
