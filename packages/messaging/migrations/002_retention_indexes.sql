-- Retention of the chassis tables (`pruneMessaging`, run hourly by every service with an outbox): both
-- tables are appended to in time order, so a BRIN index finds the old rows for a few bytes per block
-- range instead of a B-tree entry per row on every insert. autosummarize keeps new ranges summarized.
create index outbox_created_brin on outbox using brin (created_at) with (autosummarize = on);
create index processed_messages_processed_at_brin on processed_messages using brin (processed_at) with (autosummarize = on);
