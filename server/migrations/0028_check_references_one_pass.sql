-- The reference check of product_categories (0026) in fewer passes over its transition table
-- (issue 15, bulk 10,000 × 3). The rules, locks and errors are 0026's; what changes:
--   * products and categories: what is wanted and what is found (and locked) are counted by one
--     query each (a distinct pass, then a lateral `FOR KEY SHARE` probe per distinct key), not
--     by a distinct count and then a second distinct pass with the join;
--   * parent assignments: only the parents whose row is not written by this same statement are
--     looked up and locked (a hashed anti-join of the statement's rows with themselves). 0026
--     counted every named parent, then matched the statement's own rows with a merge join that
--     sorted the 10,000-row statement twice, then looked up the rest.
-- A bulk assign of 10,000 products × 3 leaves (90,000 rows in 9 statements): the check's share
-- ~135 -> ~65 ms (docs/performance-limits.md, "Bulk writes").
CREATE OR REPLACE FUNCTION product_categories_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted integer;
  found integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM checked_rows) THEN
    RETURN NULL;
  END IF;
  -- An UPDATE cannot change product_id (product_categories_keep_keys), so only an INSERT names
  -- new products.
  IF TG_OP = 'INSERT' THEN
    SELECT count(*), count(p.id) INTO wanted, found
      FROM (SELECT DISTINCT product_id FROM checked_rows) r
      LEFT JOIN LATERAL (SELECT p.id FROM products p WHERE p.id = r.product_id
                            FOR KEY SHARE OF p) p ON true;
    IF found <> wanted THEN
      RAISE EXCEPTION 'insert or update on table "product_categories" violates foreign key constraint "product_categories_product_id_products_id_fk"'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_product_id_products_id_fk',
              DETAIL = 'An assignment names a product that does not exist.';
    END IF;
  END IF;
  SELECT count(*), count(c.id) INTO wanted, found
    FROM (SELECT DISTINCT category_id, category_level, parent_category_id FROM checked_rows) r
    LEFT JOIN LATERAL (SELECT c.id FROM categories c
                        WHERE c.id = r.category_id AND c.level = r.category_level
                          AND c.parent_id IS NOT DISTINCT FROM r.parent_category_id
                          FOR KEY SHARE OF c) c ON true;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "product_categories" violates foreign key constraint "product_categories_category_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_category_fk',
            DETAIL = 'An assignment names a category that does not exist at that level or under that parent.';
  END IF;
  -- The parent assignments: those written by this same statement are this transaction's own
  -- (no one else sees them, so no one else can delete them); the others are locked.
  SELECT count(*), count(pc.product_id) INTO wanted, found
    FROM (SELECT DISTINCT r.product_id, r.parent_category_id FROM checked_rows r
           WHERE r.parent_category_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM checked_rows s
                              WHERE s.product_id = r.product_id
                                AND s.category_id = r.parent_category_id)) r
    LEFT JOIN LATERAL (SELECT pc.product_id FROM product_categories pc
                        WHERE pc.product_id = r.product_id AND pc.category_id = r.parent_category_id
                          FOR KEY SHARE OF pc) pc ON true;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "product_categories" violates foreign key constraint "product_categories_parent_assignment_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_parent_assignment_fk',
            DETAIL = 'An assignment lacks the assignment of its parent category to the same product.';
  END IF;
  RETURN NULL;
END
$$;
