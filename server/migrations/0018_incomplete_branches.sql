ALTER TABLE "catalog_counters" ADD COLUMN "incomplete" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "incomplete_branches" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "products_incomplete_name_idx" ON "products" USING btree ("product_name","id") WHERE "products"."incomplete_branches" > 0;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_incomplete_branches_non_negative" CHECK ("products"."incomplete_branches" >= 0);--> statement-breakpoint
-- "Subcategory missing" (issue 12): a product's open branches are its assigned categories that
-- have subcategories of which none is assigned to it. Kept per product by the triggers that
-- already keep category_count (in the same UPDATE of the same rows), and by triggers on the tree
-- (a category gaining its first or losing its last child changes its products), so the filter
-- and its queue read a partial index and its count comes from the catalog counters.
CREATE FUNCTION product_open_branches(product integer) RETURNS smallint
  LANGUAGE sql STABLE AS $$
  -- Closure under "parent of" makes this a count: every parent named by one of the product's
  -- rows is one of its categories that has a child, and one of those with a child assigned.
  SELECT (count(*) FILTER (WHERE EXISTS (SELECT 1 FROM categories ch
                                          WHERE ch.parent_id = pc.category_id))
          - count(DISTINCT pc.parent_category_id))::smallint
    FROM product_categories pc
   WHERE pc.product_id = product
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION product_categories_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  with_children integer[] :=
    ARRAY(SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL);
BEGIN
  IF current_setting('tag_manager.bulk_load', true) = 'on' THEN
    RETURN NULL;
  END IF;
  -- product_open_branches, inlined as a lateral join: per product, one look at its rows.
  UPDATE products AS p
     SET category_count = p.category_count + d.n, last_modified = now(),
         incomplete_branches = o.open
    FROM (SELECT product_id, count(*)::int AS n FROM inserted_rows GROUP BY product_id) AS d
   CROSS JOIN LATERAL (
         SELECT (count(*) FILTER (WHERE pc.category_id = ANY (with_children))
                 - count(DISTINCT pc.parent_category_id))::smallint AS open
           FROM product_categories pc
          WHERE pc.product_id = d.product_id) AS o
   WHERE p.id = d.product_id;
  UPDATE categories AS c
     SET product_count = c.product_count + d.n
    FROM (SELECT category_id, count(*)::int AS n FROM inserted_rows GROUP BY category_id) AS d
   WHERE c.id = d.category_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION product_categories_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  with_children integer[] :=
    ARRAY(SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL);
BEGIN
  -- product_open_branches, inlined as a lateral join: per product, one look at its rows.
  UPDATE products AS p
     SET category_count = p.category_count - d.n, last_modified = now(),
         incomplete_branches = o.open
    FROM (SELECT product_id, count(*)::int AS n FROM deleted_rows GROUP BY product_id) AS d
   CROSS JOIN LATERAL (
         SELECT (count(*) FILTER (WHERE pc.category_id = ANY (with_children))
                 - count(DISTINCT pc.parent_category_id))::smallint AS open
           FROM product_categories pc
          WHERE pc.product_id = d.product_id) AS o
   WHERE p.id = d.product_id;
  UPDATE categories AS c
     SET product_count = c.product_count - d.n
    FROM (SELECT category_id, count(*)::int AS n FROM deleted_rows GROUP BY category_id) AS d
   WHERE c.id = d.category_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- The tree: the products assigned a category whose children changed (one created, deleted, or
-- moved under another parent) are recounted; rows whose count stays the same are not written.
CREATE FUNCTION products_recount_open_branches(parents integer[]) RETURNS void
  LANGUAGE plpgsql AS $$
BEGIN
  UPDATE products AS p
     SET incomplete_branches = product_open_branches(p.id)
    FROM (SELECT DISTINCT pc.product_id FROM product_categories pc
           WHERE pc.category_id = ANY (parents)) AS d
   WHERE p.id = d.product_id
     AND p.incomplete_branches IS DISTINCT FROM product_open_branches(p.id);
END
$$;
--> statement-breakpoint
CREATE FUNCTION categories_children_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tag_manager.bulk_load', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM products_recount_open_branches(
    ARRAY(SELECT DISTINCT parent_id FROM inserted_rows WHERE parent_id IS NOT NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION categories_children_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM products_recount_open_branches(
    ARRAY(SELECT DISTINCT parent_id FROM deleted_rows WHERE parent_id IS NOT NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION categories_children_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- Every assignment write updates categories (their product_count): only a changed parent
  -- (a move) changes children. A trigger with transition tables cannot name its columns.
  parents integer[] := ARRAY(
    SELECT unnest(ARRAY[o.parent_id, n.parent_id])
      FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE o.parent_id IS DISTINCT FROM n.parent_id);
BEGIN
  IF cardinality(parents) > 0 THEN
    PERFORM products_recount_open_branches(parents);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER categories_children_inserted AFTER INSERT ON categories
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION categories_children_inserted();
--> statement-breakpoint
CREATE TRIGGER categories_children_deleted AFTER DELETE ON categories
  REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION categories_children_deleted();
--> statement-breakpoint
CREATE TRIGGER categories_children_moved AFTER UPDATE ON categories
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION categories_children_moved();
--> statement-breakpoint
-- The catalog counters count the products with a subcategory missing too.
CREATE OR REPLACE FUNCTION products_counted_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    products = c.products + d.products,
    categorized = c.categorized + d.categorized,
    active = c.active + d.active,
    draft = c.draft + d.draft,
    archived = c.archived + d.archived,
    incomplete = c.incomplete + d.incomplete
  FROM (SELECT count(*) AS products,
               count(*) FILTER (WHERE category_count > 0) AS categorized,
               count(*) FILTER (WHERE status = 'active') AS active,
               count(*) FILTER (WHERE status = 'draft') AS draft,
               count(*) FILTER (WHERE status = 'archived') AS archived,
               count(*) FILTER (WHERE incomplete_branches > 0) AS incomplete
          FROM inserted_rows) AS d
  WHERE c.shard = chosen AND d.products > 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION products_counted_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    products = c.products - d.products,
    categorized = c.categorized - d.categorized,
    active = c.active - d.active,
    draft = c.draft - d.draft,
    archived = c.archived - d.archived,
    incomplete = c.incomplete - d.incomplete
  FROM (SELECT count(*) AS products,
               count(*) FILTER (WHERE category_count > 0) AS categorized,
               count(*) FILTER (WHERE status = 'active') AS active,
               count(*) FILTER (WHERE status = 'draft') AS draft,
               count(*) FILTER (WHERE status = 'archived') AS archived,
               count(*) FILTER (WHERE incomplete_branches > 0) AS incomplete
          FROM deleted_rows) AS d
  WHERE c.shard = chosen AND d.products > 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION products_counted_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    categorized = c.categorized + d.categorized,
    active = c.active + d.active,
    draft = c.draft + d.draft,
    archived = c.archived + d.archived,
    incomplete = c.incomplete + d.incomplete
  FROM (SELECT sum(categorized) AS categorized, sum(active) AS active,
               sum(draft) AS draft, sum(archived) AS archived, sum(incomplete) AS incomplete
          FROM (SELECT count(*) FILTER (WHERE category_count > 0) AS categorized,
                       count(*) FILTER (WHERE status = 'active') AS active,
                       count(*) FILTER (WHERE status = 'draft') AS draft,
                       count(*) FILTER (WHERE status = 'archived') AS archived,
                       count(*) FILTER (WHERE incomplete_branches > 0) AS incomplete
                  FROM new_rows
                UNION ALL
                SELECT -count(*) FILTER (WHERE category_count > 0),
                       -count(*) FILTER (WHERE status = 'active'),
                       -count(*) FILTER (WHERE status = 'draft'),
                       -count(*) FILTER (WHERE status = 'archived'),
                       -count(*) FILTER (WHERE incomplete_branches > 0)
                  FROM old_rows) AS both_sides) AS d
  WHERE c.shard = chosen
    AND (d.categorized, d.active, d.draft, d.archived, d.incomplete)
        IS DISTINCT FROM (0, 0, 0, 0, 0);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION products_counted_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_counters
     SET products = 0, categorized = 0, active = 0, draft = 0, archived = 0, incomplete = 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Existing data: count every categorised product's open branches once (the counter trigger
-- counts them into the catalog counters as they are written).
UPDATE products AS p
   SET incomplete_branches = product_open_branches(p.id)
 WHERE p.category_count > 0 AND product_open_branches(p.id) > 0;
