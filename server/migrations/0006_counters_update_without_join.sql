-- The update trigger joined the old and new transition tables on id; transition tables carry no
-- statistics or indexes, and the planner chose a nested loop: a 10,000-product bulk write spent
-- 20 s in it. An UPDATE's old and new rows are the same rows, so the deltas are simply the
-- counts over the new rows minus the counts over the old ones: two scans, no join.
CREATE OR REPLACE FUNCTION products_counted_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  chosen smallint := floor(random() * 16)::smallint; -- one shard per statement
BEGIN
  UPDATE catalog_counters AS c SET
    categorized = c.categorized + d.categorized,
    active = c.active + d.active,
    draft = c.draft + d.draft,
    archived = c.archived + d.archived
  FROM (SELECT sum(categorized) AS categorized, sum(active) AS active,
               sum(draft) AS draft, sum(archived) AS archived
          FROM (SELECT count(*) FILTER (WHERE category_count > 0) AS categorized,
                       count(*) FILTER (WHERE status = 'active') AS active,
                       count(*) FILTER (WHERE status = 'draft') AS draft,
                       count(*) FILTER (WHERE status = 'archived') AS archived
                  FROM new_rows
                UNION ALL
                SELECT -count(*) FILTER (WHERE category_count > 0),
                       -count(*) FILTER (WHERE status = 'active'),
                       -count(*) FILTER (WHERE status = 'draft'),
                       -count(*) FILTER (WHERE status = 'archived')
                  FROM old_rows) AS both_sides) AS d
  WHERE c.shard = chosen
    AND (d.categorized, d.active, d.draft, d.archived) IS DISTINCT FROM (0, 0, 0, 0);
  RETURN NULL;
END
$$;
