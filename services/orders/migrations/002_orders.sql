-- Read model of the catalog, fed by catalog.products events.
create table catalog_products (
  product_id  uuid primary key,
  sku         text not null,
  name        text not null,
  price_cents bigint not null check (price_cents >= 0),
  currency    char(3) not null,
  active      boolean not null,
  updated_at  timestamptz not null
);

create table orders (
  id              uuid primary key,
  customer_id     uuid not null,
  customer_email  text,
  status          text not null check (status in ('PENDING', 'CONFIRMED', 'CANCELLED')),
  reason          text,
  total_cents     bigint not null check (total_cents >= 0),
  currency        char(3) not null,
  payment_token   text not null,
  idempotency_key text not null,
  request_hash    text not null,
  created_at      timestamptz not null,
  updated_at      timestamptz not null,
  unique (customer_id, idempotency_key)
);
create index orders_customer_created on orders (customer_id, created_at desc, id desc);
create index orders_created on orders (created_at desc, id desc);
create index orders_pending_created on orders (created_at) where status = 'PENDING';

create table order_lines (
  order_id         uuid not null references orders (id),
  product_id       uuid not null,
  sku              text not null,
  name             text not null,
  quantity         int not null check (quantity between 1 and 1000),
  unit_price_cents bigint not null check (unit_price_cents >= 0),
  primary key (order_id, product_id)
);

-- Every saga event an order saw (received and emitted), with what it did to the order.
create table order_events (
  seq         bigserial primary key,
  order_id    uuid not null,
  event_id    uuid not null,
  type        text not null,
  version     int not null,
  source      text not null,
  direction   text not null check (direction in ('in', 'out')),
  outcome     text not null check (outcome in ('applied', 'recorded', 'ignored')),
  note        text,
  data        jsonb not null,
  recorded_at timestamptz not null default now()
);
create index order_events_order on order_events (order_id, seq);
