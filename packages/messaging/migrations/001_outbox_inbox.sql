-- Chassis tables of @meridian/messaging, applied to every service database before its own migrations
-- (recorded as messaging/001_outbox_inbox.sql; databases that ran the former per-service copy
-- 001_messaging.sql adopt it without running it again).

-- Transactional outbox: events written in the same transaction as the state change, published by the relay.
create table outbox (
  seq          bigserial primary key,
  id           uuid unique not null,
  topic        text not null,
  key          text not null,
  type         text not null,
  version      int not null,
  payload      jsonb not null,
  headers      jsonb not null default '{}',
  created_at   timestamptz not null default now(),
  published_at timestamptz,
  attempts     int not null default 0,
  last_error   text
);

create index outbox_unpublished_idx on outbox (seq) where published_at is null;

-- Wakes the relay (LISTEN outbox) when a transaction that wrote events commits.
create function outbox_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('outbox', '');
  return null;
end
$$;

create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify();

-- Inbox of the idempotent consumer: one row per (consumer group, event id) already handled.
create table processed_messages (
  consumer     text not null,
  message_id   uuid not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, message_id)
);
