-- The tag filter (server/src/features/products/filters.ts): `tags @> array[tag]`, served by a GIN index on the array.
CREATE INDEX "products_tags_idx" ON "products" USING gin ("tags");