-- Catalog counters: one row per shard, filled from the current data, then kept by
-- statement-level triggers on products (insert, update, delete, truncate).
INSERT INTO catalog_counters (shard) SELECT g FROM generate_series(0, 15) AS g;
--> statement-breakpoint
UPDATE catalog_counters SET
  products = (SELECT count(*) FROM products),
  categorized = (SELECT count(*) FROM products WHERE category_count > 0),
  active = (SELECT count(*) FROM products WHERE status = 'active'),
  draft = (SELECT count(*) FROM products WHERE status = 'draft'),
  archived = (SELECT count(*) FROM products WHERE status = 'archived')
WHERE shard = 0;
--> statement-breakpoint
CREATE FUNCTION products_counted_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    products = c.products + d.products,
    categorized = c.categorized + d.categorized,
    active = c.active + d.active,
    draft = c.draft + d.draft,
    archived = c.archived + d.archived
  FROM (SELECT count(*) AS products,
               count(*) FILTER (WHERE category_count > 0) AS categorized,
               count(*) FILTER (WHERE status = 'active') AS active,
               count(*) FILTER (WHERE status = 'draft') AS draft,
               count(*) FILTER (WHERE status = 'archived') AS archived
          FROM (SELECT category_count, status FROM inserted_rows) AS changed) AS d
  WHERE c.shard = chosen AND d.products > 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION products_counted_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    products = c.products - d.products,
    categorized = c.categorized - d.categorized,
    active = c.active - d.active,
    draft = c.draft - d.draft,
    archived = c.archived - d.archived
  FROM (SELECT count(*) AS products,
               count(*) FILTER (WHERE category_count > 0) AS categorized,
               count(*) FILTER (WHERE status = 'active') AS active,
               count(*) FILTER (WHERE status = 'draft') AS draft,
               count(*) FILTER (WHERE status = 'archived') AS archived
          FROM (SELECT category_count, status FROM deleted_rows) AS changed) AS d
  WHERE c.shard = chosen AND d.products > 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION products_counted_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  -- Only rows whose status or categorised-ness changed move a count: old out, new in.
  UPDATE catalog_counters AS c SET
    categorized = c.categorized + d.categorized,
    active = c.active + d.active,
    draft = c.draft + d.draft,
    archived = c.archived + d.archived
  FROM (SELECT sum((n.category_count > 0)::int - (o.category_count > 0)::int) AS categorized,
               sum((n.status = 'active')::int - (o.status = 'active')::int) AS active,
               sum((n.status = 'draft')::int - (o.status = 'draft')::int) AS draft,
               sum((n.status = 'archived')::int - (o.status = 'archived')::int) AS archived
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE (o.category_count > 0) <> (n.category_count > 0) OR o.status <> n.status) AS d
  WHERE c.shard = chosen AND d.categorized IS NOT NULL;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION products_counted_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_counters SET products = 0, categorized = 0, active = 0, draft = 0, archived = 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER products_counted_inserted AFTER INSERT ON products
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION products_counted_inserted();
--> statement-breakpoint
CREATE TRIGGER products_counted_deleted AFTER DELETE ON products
  REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION products_counted_deleted();
--> statement-breakpoint
CREATE TRIGGER products_counted_updated AFTER UPDATE ON products
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION products_counted_updated();
--> statement-breakpoint
CREATE TRIGGER products_counted_truncated AFTER TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION products_counted_truncated();
