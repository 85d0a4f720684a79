-- Search finds words in a line's data fields too, not only in its message: "declined" finds a line whose
-- message is "payment declined" and one that only carries reason=card_declined. The expression must stay
-- exactly as written in searchEntries (src/db/entries.ts) for this index to serve it.
create index log_entries_text_fts_idx on log_entries
  using gin ((to_tsvector('simple', msg) || jsonb_to_tsvector('simple', data, '["string", "numeric"]')));
drop index log_entries_msg_fts_idx;
