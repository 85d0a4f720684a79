-- A Kafka position alone does not name a line: a topic deleted and created again (a wiped broker, a
-- reset) starts its offsets at 0 again, and its lines were skipped as "already indexed". The record's
-- timestamp joins the key: a redelivery repeats it, a new line at an old position does not.
-- Rows indexed before this migration keep src_timestamp null (never equal to a new line's).
alter table log_entries add column src_timestamp timestamptz;
alter table log_entries drop constraint log_entries_src_partition_src_offset_key;
create unique index log_entries_source_idx on log_entries (src_partition, src_offset, src_timestamp);
