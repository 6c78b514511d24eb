ALTER TABLE "product_categories" DROP CONSTRAINT "product_categories_product_id_products_id_fk";
--> statement-breakpoint
ALTER TABLE "product_categories" DROP CONSTRAINT "product_categories_category_fk";
--> statement-breakpoint
ALTER TABLE "product_categories" DROP CONSTRAINT "product_categories_category_parent_fk";
--> statement-breakpoint
ALTER TABLE "product_categories" DROP CONSTRAINT "product_categories_parent_assignment_fk";
--> statement-breakpoint
-- The references of an assignment row, kept by statement triggers instead of the four foreign
-- keys above (issues 13 and 15; docs/jobs.md, "Integrity triggers"). PostgreSQL checks a foreign
-- key row by row: one `SELECT … FOR KEY SHARE` per row and constraint, 100,000 checks and ~0.6 s
-- for a batch of 10,000 products × 3 categories, half of the batch. These triggers check the
-- same rules once per statement over its transition table, with the same locks (`FOR KEY SHARE`
-- on the referenced rows, so a concurrent delete or re-key of a product, category or parent
-- assignment waits for the writer, then sees its rows), the same error (SQLSTATE 23503, the
-- constraint's name) and the same actions on delete (a product's or a parent assignment's rows
-- cascade; a referenced category restricts).
--
-- On INSERT and UPDATE of product_categories, every written row must have:
--   its product (was product_categories_product_id_products_id_fk);
--   its category at that level and under that parent (product_categories_category_fk and
--   product_categories_category_parent_fk);
--   its parent category's assignment for the same product (product_categories_parent_assignment_fk).
CREATE FUNCTION product_categories_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
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
    SELECT count(DISTINCT product_id) INTO wanted FROM checked_rows;
    SELECT count(*) INTO found FROM (
      SELECT 1 FROM products p WHERE p.id IN (SELECT product_id FROM checked_rows)
         FOR KEY SHARE OF p) locked;
    IF found <> wanted THEN
      RAISE EXCEPTION 'insert or update on table "product_categories" violates foreign key constraint "product_categories_product_id_products_id_fk"'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_product_id_products_id_fk',
              DETAIL = 'An assignment names a product that does not exist.';
    END IF;
  END IF;
  SELECT count(*) INTO wanted FROM (
    SELECT DISTINCT category_id, category_level, parent_category_id FROM checked_rows) named;
  SELECT count(*) INTO found FROM (
    SELECT 1 FROM categories c
      JOIN (SELECT DISTINCT category_id, category_level, parent_category_id FROM checked_rows) r
        ON c.id = r.category_id AND c.level = r.category_level
       AND c.parent_id IS NOT DISTINCT FROM r.parent_category_id
       FOR KEY SHARE OF c) locked;
  IF found <> wanted THEN
    RAISE EXCEPTION 'insert or update on table "product_categories" violates foreign key constraint "product_categories_category_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_category_fk',
            DETAIL = 'An assignment names a category that does not exist at that level or under that parent.';
  END IF;
  -- The parent assignments: those written by this same statement are this transaction's own
  -- (no one else sees them, so no one else can delete them); the others are locked.
  SELECT count(*) INTO wanted FROM (
    SELECT DISTINCT product_id, parent_category_id FROM checked_rows
     WHERE parent_category_id IS NOT NULL) named;
  IF wanted > 0 THEN
    SELECT count(*) INTO found FROM (
      SELECT DISTINCT r.product_id, r.parent_category_id FROM checked_rows r
        JOIN checked_rows s ON s.product_id = r.product_id AND s.category_id = r.parent_category_id) own;
    IF found < wanted THEN
      SELECT found + count(*) INTO found FROM (
        SELECT 1 FROM product_categories pc
          JOIN (SELECT DISTINCT r.product_id, r.parent_category_id FROM checked_rows r
                 WHERE r.parent_category_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM checked_rows s
                                    WHERE s.product_id = r.product_id
                                      AND s.category_id = r.parent_category_id)) r
            ON pc.product_id = r.product_id AND pc.category_id = r.parent_category_id
           FOR KEY SHARE OF pc) locked;
    END IF;
    IF found <> wanted THEN
      RAISE EXCEPTION 'insert or update on table "product_categories" violates foreign key constraint "product_categories_parent_assignment_fk"'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_parent_assignment_fk',
              DETAIL = 'An assignment lacks the assignment of its parent category to the same product.';
    END IF;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER product_categories_check_inserted AFTER INSERT ON product_categories
  REFERENCING NEW TABLE AS checked_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_categories_check_references();
--> statement-breakpoint
CREATE TRIGGER product_categories_check_updated AFTER UPDATE ON product_categories
  REFERENCING NEW TABLE AS checked_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_categories_check_references();
--> statement-breakpoint
-- An assignment row is never re-keyed (a move changes only parent_category_id, with its
-- category's parent_id, in one statement): its product, category and level are its identity,
-- and other rows point at (product_id, category_id).
CREATE FUNCTION product_categories_refuse_rekey() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'update on table "product_categories" violates foreign key constraint "product_categories_parent_assignment_fk"'
    USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_parent_assignment_fk',
          DETAIL = 'An assignment''s product, category and level cannot change; delete it and insert another.';
END
$$;
--> statement-breakpoint
CREATE TRIGGER product_categories_keep_keys BEFORE UPDATE ON product_categories
  FOR EACH ROW WHEN (OLD.product_id IS DISTINCT FROM NEW.product_id
                     OR OLD.category_id IS DISTINCT FROM NEW.category_id
                     OR OLD.category_level IS DISTINCT FROM NEW.category_level)
  EXECUTE FUNCTION product_categories_refuse_rekey();
--> statement-breakpoint
-- A cascade or restrict below reads with its statement's snapshot. Under READ COMMITTED (the
-- app's only level) that snapshot is taken after the lock waits, so it sees every row a writer
-- committed meanwhile; under REPEATABLE READ it would not, and a row written concurrently could
-- be left without its product or parent. Such a delete is refused rather than risked.
CREATE FUNCTION assignments_require_read_committed() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'deleting or re-keying rows that assignments reference needs READ COMMITTED'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Run the statement in a READ COMMITTED transaction.';
  END IF;
END
$$;
--> statement-breakpoint
-- Deleting an assignment deletes the assignments below it (was the closure FK's ON DELETE
-- CASCADE). The nested DELETE fires this trigger again, one level down; a level-3 row has none.
CREATE FUNCTION product_categories_delete_children() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM removed_rows WHERE category_level < 3) THEN
    PERFORM assignments_require_read_committed();
    DELETE FROM product_categories pc USING removed_rows r
     WHERE r.category_level < 3
       AND pc.product_id = r.product_id AND pc.parent_category_id = r.category_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER product_categories_cascade_deleted AFTER DELETE ON product_categories
  REFERENCING OLD TABLE AS removed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION product_categories_delete_children();
--> statement-breakpoint
-- Deleting a product deletes its assignments (was ON DELETE CASCADE).
CREATE FUNCTION products_delete_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM removed_products) THEN
    PERFORM assignments_require_read_committed();
    DELETE FROM product_categories pc USING removed_products r WHERE pc.product_id = r.id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER products_cascade_assignments AFTER DELETE ON products
  REFERENCING OLD TABLE AS removed_products
  FOR EACH STATEMENT EXECUTE FUNCTION products_delete_assignments();
--> statement-breakpoint
-- A category with assignments cannot be deleted (was ON DELETE RESTRICT).
CREATE FUNCTION categories_restrict_assigned_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM removed_categories) THEN
    RETURN NULL;
  END IF;
  PERFORM assignments_require_read_committed();
  IF EXISTS (SELECT 1 FROM product_categories pc JOIN removed_categories r ON pc.category_id = r.id) THEN
    RAISE EXCEPTION 'update or delete on table "categories" violates foreign key constraint "product_categories_category_fk" on table "product_categories"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_category_fk',
            DETAIL = 'A deleted category is still assigned to products.';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER categories_restrict_deleted AFTER DELETE ON categories
  REFERENCING OLD TABLE AS removed_categories
  FOR EACH STATEMENT EXECUTE FUNCTION categories_restrict_assigned_deleted();
--> statement-breakpoint
-- A category's id, level or parent changes only together with its assignment rows (a move
-- updates both in one statement); was ON UPDATE NO ACTION of the two category foreign keys.
-- Every counter update of categories passes here too: the changed rows are found first (a few
-- rows), and the assignments are read only when a key changed.
CREATE FUNCTION categories_restrict_assigned_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM old_categories o LEFT JOIN new_categories n ON n.id = o.id
     WHERE n.id IS NULL OR n.level <> o.level OR n.parent_id IS DISTINCT FROM o.parent_id) THEN
    RETURN NULL;
  END IF;
  PERFORM assignments_require_read_committed();
  IF EXISTS (
    SELECT 1 FROM (SELECT o.id FROM old_categories o LEFT JOIN new_categories n ON n.id = o.id
                    WHERE n.id IS NULL OR n.level <> o.level
                       OR n.parent_id IS DISTINCT FROM o.parent_id) changed
      JOIN product_categories pc ON pc.category_id = changed.id
      LEFT JOIN categories c ON c.id = pc.category_id
     WHERE c.id IS NULL OR c.level <> pc.category_level
        OR c.parent_id IS DISTINCT FROM pc.parent_category_id) THEN
    RAISE EXCEPTION 'update or delete on table "categories" violates foreign key constraint "product_categories_category_parent_fk" on table "product_categories"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'product_categories_category_parent_fk',
            DETAIL = 'A category''s level or parent changed without its assignments.';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER categories_restrict_updated AFTER UPDATE ON categories
  REFERENCING OLD TABLE AS old_categories NEW TABLE AS new_categories
  FOR EACH STATEMENT EXECUTE FUNCTION categories_restrict_assigned_updated();
--> statement-breakpoint
-- TRUNCATE fires no delete trigger: truncating products or categories without the assignments
-- (a foreign key refused it) is refused here, after the statement, when every table it named is
-- empty.
CREATE FUNCTION assignments_refuse_truncate_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM product_categories) THEN
    RAISE EXCEPTION 'cannot truncate table "%" while product_categories has rows', TG_TABLE_NAME
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Truncate table "product_categories" at the same time.';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER products_truncate_referenced AFTER TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION assignments_refuse_truncate_referenced();
--> statement-breakpoint
CREATE TRIGGER categories_truncate_referenced AFTER TRUNCATE ON categories
  FOR EACH STATEMENT EXECUTE FUNCTION assignments_refuse_truncate_referenced();
