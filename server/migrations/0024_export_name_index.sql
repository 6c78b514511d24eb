-- The product list's name order (the default sort, and every full export's) carries the handle
-- and the category count (issue 15, item 4): an export batch walks this index and reads
-- nothing of the table (an index-only scan), where it read one random heap page per product
-- (1,000,000 for a full export). Same key, same name: the list's plans do not change. The
-- category count is already in partial-index predicates, so its updates were not HOT before.
DROP INDEX IF EXISTS "products_name_order_idx";--> statement-breakpoint
CREATE INDEX "products_name_order_idx" ON "products" USING btree ("product_name","id") INCLUDE ("product_id","category_count");
