create extension if not exists pg_trgm;

create table products (
  id uuid primary key,
  sku text not null unique,
  name text not null,
  description text not null default '',
  category text not null,
  price_cents integer not null check (price_cents >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Keyset pagination order (name, id), overall and within a category.
create index products_name_id_idx on products (name, id);
create index products_category_name_id_idx on products (category, name, id);

-- Case-insensitive substring search (ILIKE) over name, description and sku.
create index products_search_trgm_idx on products
  using gin ((name || ' ' || description || ' ' || sku) gin_trgm_ops);
