-- The assignment counter on INSERT (issues 13 and 15) updates a product's open branches by the
-- difference the inserted rows make, instead of recounting all of the product's rows (a lateral
-- look at product_categories per product, ~1/3 of the trigger in a 10,000-product batch).
--
-- incomplete_branches = (assigned categories that have children in the tree)
--                     - (distinct parent_category_id of the assigned rows)
-- (product_open_branches, migration 0018). Inserting rows I adds to the first term those of I
-- whose category has children, and to the second the parents named by I that no row named
-- before: a parent whose own row is in I (no earlier row can name it: the closure check needs the
-- parent's row first), or one whose rows naming it are all in I. Every other writer of the
-- counter (the delete trigger, the tree triggers, a restructure's recount) sets it from the rows,
-- and the writers lock the product first, so the difference applies to an exact value.
CREATE OR REPLACE FUNCTION product_categories_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  with_children integer[];
BEGIN
  IF current_setting('tag_manager.bulk_load', true) = 'on'
     OR current_setting('tag_manager.restructure', true) = 'on' THEN
    RETURN NULL;
  END IF;
  with_children := ARRAY(SELECT DISTINCT parent_id FROM categories WHERE parent_id IS NOT NULL);
  WITH per_product AS (
         SELECT product_id, count(*)::int AS n,
                count(*) FILTER (WHERE category_id = ANY (with_children))::int AS opened
           FROM inserted_rows GROUP BY product_id),
       -- each (product, parent) the inserted rows name: how many of them, and whether the
       -- parent's own row is one of them
       named AS (
         SELECT i.product_id, i.parent_category_id AS parent_id, count(*) AS children,
                bool_or(p.product_id IS NOT NULL) AS parent_inserted
           FROM inserted_rows i
           LEFT JOIN inserted_rows p
             ON p.product_id = i.product_id AND p.category_id = i.parent_category_id
          WHERE i.parent_category_id IS NOT NULL
          GROUP BY i.product_id, i.parent_category_id),
       newly_named AS (
         SELECT product_id, count(*)::int AS n FROM named
          WHERE CASE WHEN parent_inserted THEN true
                     ELSE (SELECT count(*) FROM product_categories pc
                            WHERE pc.product_id = named.product_id
                              AND pc.parent_category_id = named.parent_id) = named.children END
          GROUP BY product_id)
  UPDATE product_state AS s
     SET category_count = s.category_count + d.n, last_modified = now(),
         incomplete_branches = s.incomplete_branches + d.opened - coalesce(c.n, 0)
    FROM per_product d LEFT JOIN newly_named c ON c.product_id = d.product_id
   WHERE s.id = d.product_id;
  UPDATE categories AS c
     SET product_count = c.product_count + d.n
    FROM (SELECT category_id, count(*)::int AS n FROM inserted_rows GROUP BY category_id) AS d
   WHERE c.id = d.category_id;
  RETURN NULL;
END
$$;
