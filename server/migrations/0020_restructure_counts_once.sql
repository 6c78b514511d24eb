-- Move and merge (issue 14): a restructure of a category used by 100,000 products inserts and
-- deletes hundreds of thousands of assignment rows in a few statements. Each statement's counter
-- trigger would update every one of those products (a non-HOT update: last_modified is indexed,
-- and products carry 17 indexes, 5 of them GIN), so one move rewrote each product four or five
-- times. With `tag_manager.restructure = on` (SET LOCAL, in the restructure's transaction only)
-- the assignment and tree triggers do nothing, and the restructure recounts the products and
-- categories it touched once, at its end (categories/restructure.repository.ts,
-- recountAfterRestructure). The catalog counters still follow through the products trigger.
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
  with_children integer[];
BEGIN
  IF current_setting('tag_manager.restructure', true) = 'on' THEN
    RETURN NULL;
  END IF;
  with_children := ARRAY(SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL);
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
CREATE OR REPLACE FUNCTION categories_children_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tag_manager.bulk_load', true) = 'on'
     OR current_setting('tag_manager.restructure', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM products_recount_open_branches(
    ARRAY(SELECT DISTINCT parent_id FROM inserted_rows WHERE parent_id IS NOT NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION categories_children_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tag_manager.restructure', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM products_recount_open_branches(
    ARRAY(SELECT DISTINCT parent_id FROM deleted_rows WHERE parent_id IS NOT NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION categories_children_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parents integer[];
BEGIN
  IF current_setting('tag_manager.restructure', true) = 'on' THEN
    RETURN NULL;
  END IF;
  -- Every assignment write updates categories (their product_count): only a changed parent
  -- (a move) changes children. A trigger with transition tables cannot name its columns.
  parents := ARRAY(
    SELECT unnest(ARRAY[o.parent_id, n.parent_id])
      FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE o.parent_id IS DISTINCT FROM n.parent_id);
  IF cardinality(parents) > 0 THEN
    PERFORM products_recount_open_branches(parents);
  END IF;
  RETURN NULL;
END
$$;
