-- Product search is a case-insensitive substring match on name, handle and SKU
-- (`ILIKE '%text%'`); trigram indexes serve it without scanning the table.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX products_name_trgm_idx ON products USING gin (product_name gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX products_handle_trgm_idx ON products USING gin (product_id gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX products_sku_trgm_idx ON products USING gin (sku gin_trgm_ops);
