-- A bulk loader (the synthetic seed) writes products with their final category_count and then
-- recomputes categories.product_count once; it sets `tag_manager.bulk_load = on` for its own
-- transaction so that the counter triggers do not rewrite every product a second time.
-- The setting is transaction-local and nothing else sets it.
CREATE OR REPLACE FUNCTION product_categories_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tag_manager.bulk_load', true) = 'on' THEN
    RETURN NULL;
  END IF;
  UPDATE products AS p
     SET category_count = p.category_count + d.n, last_modified = now()
    FROM (SELECT product_id, count(*)::int AS n FROM inserted_rows GROUP BY product_id) AS d
   WHERE p.id = d.product_id;
  UPDATE categories AS c
     SET product_count = c.product_count + d.n
    FROM (SELECT category_id, count(*)::int AS n FROM inserted_rows GROUP BY category_id) AS d
   WHERE c.id = d.category_id;
  RETURN NULL;
END
$$;
