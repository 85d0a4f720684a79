-- Categories are unique regardless of case: `Kitchen` and `kitchen` are one category, shown with the
-- spelling it was first given. Products keep that display name in `category`.
create table categories (
  key text primary key check (key = lower(key)),
  name text not null
);

insert into categories (key, name)
select distinct on (lower(btrim(category))) lower(btrim(category)), btrim(category)
from products
order by lower(btrim(category)), created_at;

update products p set category = c.name
from categories c
where lower(btrim(p.category)) = c.key and p.category <> c.name;
