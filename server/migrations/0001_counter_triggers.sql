-- Counters kept by the database so that hide_allocated, statistics and tree counts never
-- count the assignment table. Statement-level triggers with transition tables update each
-- product and category once per statement, however many rows the statement touched.
CREATE FUNCTION product_categories_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
--> statement-breakpoint
CREATE FUNCTION product_categories_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE products AS p
     SET category_count = p.category_count - d.n, last_modified = now()
    FROM (SELECT product_id, count(*)::int AS n FROM deleted_rows GROUP BY product_id) AS d
   WHERE p.id = d.product_id;
  UPDATE categories AS c
     SET product_count = c.product_count - d.n
    FROM (SELECT category_id, count(*)::int AS n FROM deleted_rows GROUP BY category_id) AS d
   WHERE c.id = d.category_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER product_categories_count_inserted
  AFTER INSERT ON product_categories
  REFERENCING NEW TABLE AS inserted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_categories_count_inserted();
--> statement-breakpoint
CREATE TRIGGER product_categories_count_deleted
  AFTER DELETE ON product_categories
  REFERENCING OLD TABLE AS deleted_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_categories_count_deleted();
