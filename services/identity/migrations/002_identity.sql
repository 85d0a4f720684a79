create table users (
  id uuid primary key,
  email text not null unique check (email = lower(email)),
  name text not null,
  role text not null check (role in ('customer', 'staff')),
  password_hash text not null,
  created_at timestamptz not null default now()
);

-- One row: the Ed25519 private JWK generated at first start, so restarts keep issued tokens valid.
create table signing_keys (
  id text primary key,
  private_jwk jsonb not null,
  created_at timestamptz not null default now()
);
