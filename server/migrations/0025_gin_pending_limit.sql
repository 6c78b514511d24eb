-- Bounded GIN pending lists on the products indexes that reads search (issues 12 and 15).
-- With fastupdate, new entries wait in an unsorted pending list that every search through the
-- index scans in full, up to gin_pending_list_limit (4 MB by default). After a 50,000-row import
-- at 1,000,000 products the three lists held 1,093 pages, and suggestions went from p50 17.9 ms
-- to 27.1 ms (one connection). At 256 kB a list holds at most ~32 pages (66 in all after the same
-- import; suggestions p50 15.5 ms), while inserts keep fastupdate's batching: the 50,000-row
-- insert took 5.9 s against 5.2 s at 4 MB, where fastupdate = off took 11.8 s.
-- (docs/performance-search.md, "GIN pending lists".)
ALTER INDEX "products_name_words_idx" SET (gin_pending_list_limit = 256);--> statement-breakpoint
ALTER INDEX "products_search_document_idx" SET (gin_pending_list_limit = 256);--> statement-breakpoint
ALTER INDEX "products_tags_idx" SET (gin_pending_list_limit = 256);--> statement-breakpoint
-- product_state (0022) was filled in one statement; plan its partial indexes with real figures.
ANALYZE "product_state";
