create table stock (
  product_id uuid primary key,
  available integer not null check (available >= 0),
  reserved integer not null default 0 check (reserved >= 0),
  updated_at timestamptz not null default now()
);

-- One row per order: its reservation decision ('rejected' records that nothing was reserved).
create table reservations (
  order_id uuid primary key,
  status text not null check (status in ('reserved', 'committed', 'released', 'expired', 'rejected')),
  expires_at timestamptz,
  items jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index reservations_due on reservations (expires_at) where status = 'reserved';
