-- What notifications knows about an order, from OrderPlaced (v1: customerId only; v2: also customerEmail).
create table order_contacts (
  order_id       uuid primary key,
  customer_id    uuid not null,
  customer_email text,
  total_cents    bigint not null,
  currency       char(3) not null,
  placed_at      timestamptz not null
);

-- The messages to send: exactly one per outcome event (source_event_id is the event's envelope id).
create table notifications (
  id              uuid primary key,
  order_id        uuid not null,
  customer_id     uuid not null,
  channel         text not null check (channel = 'email'),
  recipient       text not null,
  template        text not null check (template in ('order-confirmed', 'order-cancelled')),
  subject         text not null,
  body            text not null,
  created_at      timestamptz not null,
  source_event_id uuid not null unique
);
create index notifications_order on notifications (order_id, created_at desc, id desc);
create index notifications_customer on notifications (customer_id, created_at desc, id desc);
create index notifications_created on notifications (created_at desc, id desc);
