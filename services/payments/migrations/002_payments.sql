-- One payment per order. A row is created by whichever saga fact arrives first: OrderPlaced
-- (amount, token) or StockReserved (stock_reserved = true); the provider is called once both are known.
create table payments (
  payment_id uuid primary key,
  order_id uuid not null unique,
  customer_id uuid,
  amount_cents integer check (amount_cents >= 0),
  currency text,
  payment_token text,
  stock_reserved boolean not null default false,
  status text not null default 'pending' check (status in ('pending', 'authorized', 'declined')),
  reason text,
  authorization_id text,
  attempts integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index payments_customer on payments (customer_id);
