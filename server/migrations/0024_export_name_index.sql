-- The product list's name order (the default sort, and every full export's) carries the handle
-- (issue 15, item 4): a spreadsheet-export batch walks this index and reads nothing of the table
-- (an index-only scan), where it read one random heap page per product (1,000,000 for a full
-- export). Same key, same name: the list's plans do not change. (Written first with the
-- category count too; that moved to product_state in 0022.)
DROP INDEX IF EXISTS "products_name_order_idx";--> statement-breakpoint
CREATE INDEX "products_name_order_idx" ON "products" USING btree ("product_name","id") INCLUDE ("product_id");
