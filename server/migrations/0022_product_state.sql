-- Write throughput of assignments (issues 13 and 15): a product's counters and last_modified
-- move out of the heavily indexed `products` row into the narrow `product_state` (one row per
-- product, created and deleted with it). The assignment counter triggers updated every touched
-- product: never a HOT update (last_modified is indexed, category_count is in partial index
-- predicates), so each of the 17 indexes of products (five GIN) got a new entry per product,
-- ~1.65 s per 10,000 products. product_state has 7 small b-tree indexes (docs/jobs.md).
--
-- product_name, product_type and vendor are copied, kept by the products triggers below (an
-- import changes them; an assignment never does), so the partial indexes that serve
-- "Uncategorised", "Subcategory missing" (in name order) and the suggestions' categorised
-- products of a Type or vendor live here.
CREATE TABLE "product_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"category_count" integer DEFAULT 0 NOT NULL,
	"incomplete_branches" smallint DEFAULT 0 NOT NULL,
	"last_modified" timestamp with time zone DEFAULT now() NOT NULL,
	"product_name" text NOT NULL,
	"product_type" text,
	"vendor" text,
	CONSTRAINT "product_state_category_count_non_negative" CHECK ("product_state"."category_count" >= 0),
	CONSTRAINT "product_state_incomplete_branches_non_negative" CHECK ("product_state"."incomplete_branches" >= 0)
);
--> statement-breakpoint
INSERT INTO product_state (id, category_count, incomplete_branches, last_modified, product_name, product_type, vendor)
SELECT id, category_count, incomplete_branches, last_modified, product_name, product_type, vendor
  FROM products;
--> statement-breakpoint
ALTER TABLE "product_state" ADD CONSTRAINT "product_state_id_products_id_fk" FOREIGN KEY ("id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "product_state_last_modified_order_idx" ON "product_state" USING btree ("last_modified","id");--> statement-breakpoint
CREATE INDEX "product_state_unallocated_name_idx" ON "product_state" USING btree ("product_name","id") WHERE "product_state"."category_count" = 0;--> statement-breakpoint
CREATE INDEX "product_state_incomplete_name_idx" ON "product_state" USING btree ("product_name","id") WHERE "product_state"."incomplete_branches" > 0;--> statement-breakpoint
CREATE INDEX "product_state_categorised_type_idx" ON "product_state" USING btree ("product_type","id") WHERE "product_state"."category_count" > 0;--> statement-breakpoint
CREATE INDEX "product_state_categorised_vendor_idx" ON "product_state" USING btree ("vendor","id") WHERE "product_state"."category_count" > 0;--> statement-breakpoint
ALTER TABLE "products" DROP CONSTRAINT "products_category_count_non_negative";--> statement-breakpoint
ALTER TABLE "products" DROP CONSTRAINT "products_incomplete_branches_non_negative";--> statement-breakpoint
DROP INDEX "products_last_modified_order_idx";--> statement-breakpoint
DROP INDEX "products_categorised_type_idx";--> statement-breakpoint
DROP INDEX "products_categorised_vendor_idx";--> statement-breakpoint
DROP INDEX "products_unallocated_name_idx";--> statement-breakpoint
DROP INDEX "products_incomplete_name_idx";--> statement-breakpoint
ALTER TABLE "products" DROP COLUMN "category_count";--> statement-breakpoint
ALTER TABLE "products" DROP COLUMN "incomplete_branches";--> statement-breakpoint
ALTER TABLE "products" DROP COLUMN "last_modified";--> statement-breakpoint
-- The assignment counters now write product_state (same logic as 0020).
CREATE OR REPLACE FUNCTION product_categories_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  with_children integer[];
BEGIN
  IF current_setting('tag_manager.bulk_load', true) = 'on'
     OR current_setting('tag_manager.restructure', true) = 'on' THEN
    RETURN NULL;
  END IF;
  with_children := ARRAY(SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL);
  -- product_open_branches, inlined as a lateral join: per product, one look at its rows.
  UPDATE product_state AS s
     SET category_count = s.category_count + d.n, last_modified = now(),
         incomplete_branches = o.open
    FROM (SELECT product_id, count(*)::int AS n FROM inserted_rows GROUP BY product_id) AS d
   CROSS JOIN LATERAL (
         SELECT (count(*) FILTER (WHERE pc.category_id = ANY (with_children))
                 - count(DISTINCT pc.parent_category_id))::smallint AS open
           FROM product_categories pc
          WHERE pc.product_id = d.product_id) AS o
   WHERE s.id = d.product_id;
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
  with_children integer[];
BEGIN
  IF current_setting('tag_manager.restructure', true) = 'on' THEN
    RETURN NULL;
  END IF;
  with_children := ARRAY(SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL);
  -- product_open_branches, inlined as a lateral join: per product, one look at its rows.
  UPDATE product_state AS s
     SET category_count = s.category_count - d.n, last_modified = now(),
         incomplete_branches = o.open
    FROM (SELECT product_id, count(*)::int AS n FROM deleted_rows GROUP BY product_id) AS d
   CROSS JOIN LATERAL (
         SELECT (count(*) FILTER (WHERE pc.category_id = ANY (with_children))
                 - count(DISTINCT pc.parent_category_id))::smallint AS open
           FROM product_categories pc
          WHERE pc.product_id = d.product_id) AS o
   WHERE s.id = d.product_id;
  UPDATE categories AS c
     SET product_count = c.product_count - d.n
    FROM (SELECT category_id, count(*)::int AS n FROM deleted_rows GROUP BY category_id) AS d
   WHERE c.id = d.category_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION products_recount_open_branches(parents integer[]) RETURNS void
  LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_state AS s
     SET incomplete_branches = product_open_branches(s.id)
    FROM (SELECT DISTINCT pc.product_id FROM product_categories pc
           WHERE pc.category_id = ANY (parents)) AS d
   WHERE s.id = d.product_id
     AND s.incomplete_branches IS DISTINCT FROM product_open_branches(s.id);
END
$$;
--> statement-breakpoint
-- The catalog counters: products and statuses from products, categorised and incomplete from
-- product_state.
CREATE OR REPLACE FUNCTION products_counted_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    products = c.products + d.products,
    active = c.active + d.active,
    draft = c.draft + d.draft,
    archived = c.archived + d.archived
  FROM (SELECT count(*) AS products,
               count(*) FILTER (WHERE status = 'active') AS active,
               count(*) FILTER (WHERE status = 'draft') AS draft,
               count(*) FILTER (WHERE status = 'archived') AS archived
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
    active = c.active - d.active,
    draft = c.draft - d.draft,
    archived = c.archived - d.archived
  FROM (SELECT count(*) AS products,
               count(*) FILTER (WHERE status = 'active') AS active,
               count(*) FILTER (WHERE status = 'draft') AS draft,
               count(*) FILTER (WHERE status = 'archived') AS archived
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
    active = c.active + d.active,
    draft = c.draft + d.draft,
    archived = c.archived + d.archived
  FROM (SELECT sum(active) AS active, sum(draft) AS draft, sum(archived) AS archived
          FROM (SELECT count(*) FILTER (WHERE status = 'active') AS active,
                       count(*) FILTER (WHERE status = 'draft') AS draft,
                       count(*) FILTER (WHERE status = 'archived') AS archived
                  FROM new_rows
                UNION ALL
                SELECT -count(*) FILTER (WHERE status = 'active'),
                       -count(*) FILTER (WHERE status = 'draft'),
                       -count(*) FILTER (WHERE status = 'archived')
                  FROM old_rows) AS both_sides) AS d
  WHERE c.shard = chosen
    AND (d.active, d.draft, d.archived) IS DISTINCT FROM (0, 0, 0);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION product_state_counted_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    categorized = c.categorized + d.categorized,
    incomplete = c.incomplete + d.incomplete
  FROM (SELECT count(*) FILTER (WHERE category_count > 0) AS categorized,
               count(*) FILTER (WHERE incomplete_branches > 0) AS incomplete
          FROM inserted_rows) AS d
  WHERE c.shard = chosen AND (d.categorized, d.incomplete) IS DISTINCT FROM (0, 0);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION product_state_counted_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    categorized = c.categorized - d.categorized,
    incomplete = c.incomplete - d.incomplete
  FROM (SELECT count(*) FILTER (WHERE category_count > 0) AS categorized,
               count(*) FILTER (WHERE incomplete_branches > 0) AS incomplete
          FROM deleted_rows) AS d
  WHERE c.shard = chosen AND (d.categorized, d.incomplete) IS DISTINCT FROM (0, 0);
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- New rows minus old rows, no join (as products_counted_updated, migration 0006).
CREATE FUNCTION product_state_counted_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    categorized = c.categorized + d.categorized,
    incomplete = c.incomplete + d.incomplete
  FROM (SELECT sum(categorized) AS categorized, sum(incomplete) AS incomplete
          FROM (SELECT count(*) FILTER (WHERE category_count > 0) AS categorized,
                       count(*) FILTER (WHERE incomplete_branches > 0) AS incomplete
                  FROM new_rows
                UNION ALL
                SELECT -count(*) FILTER (WHERE category_count > 0),
                       -count(*) FILTER (WHERE incomplete_branches > 0)
                  FROM old_rows) AS both_sides) AS d
  WHERE c.shard = chosen AND (d.categorized, d.incomplete) IS DISTINCT FROM (0, 0);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION product_state_counted_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_counters SET categorized = 0, incomplete = 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER product_state_counted_inserted AFTER INSERT ON product_state
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION product_state_counted_inserted();
--> statement-breakpoint
CREATE TRIGGER product_state_counted_deleted AFTER DELETE ON product_state
  REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION product_state_counted_deleted();
--> statement-breakpoint
CREATE TRIGGER product_state_counted_updated AFTER UPDATE ON product_state
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_state_counted_updated();
--> statement-breakpoint
CREATE TRIGGER product_state_counted_truncated AFTER TRUNCATE ON product_state
  FOR EACH STATEMENT EXECUTE FUNCTION product_state_counted_truncated();
--> statement-breakpoint
-- A new product gets its state row (no categories yet). The seeder's bulk load
-- (tag_manager.bulk_load = on) writes the state rows itself, with their counts.
CREATE FUNCTION products_state_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tag_manager.bulk_load', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO product_state (id, product_name, product_type, vendor)
  SELECT id, product_name, product_type, vendor FROM inserted_rows;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- A changed product (an import writes only the products whose fields differ): its copies
-- follow, and it was modified now.
CREATE FUNCTION products_state_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_state AS s
     SET product_name = n.product_name, product_type = n.product_type, vendor = n.vendor,
         last_modified = now()
    FROM new_rows AS n
   WHERE s.id = n.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER products_state_inserted AFTER INSERT ON products
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION products_state_inserted();
--> statement-breakpoint
CREATE TRIGGER products_state_updated AFTER UPDATE ON products
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION products_state_updated();
