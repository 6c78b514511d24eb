-- The work queue of a vendor or a Type (issue 12): its walk in name order and its exact `remaining`
-- count read these partial indexes alone; the vendor and Type filters read product_state's copies
-- when the query joins it (products/filters.ts).
CREATE INDEX "product_state_unallocated_vendor_idx" ON "product_state" USING btree ("vendor","product_name","id") WHERE "product_state"."category_count" = 0;--> statement-breakpoint
CREATE INDEX "product_state_unallocated_type_idx" ON "product_state" USING btree ("product_type","product_name","id") WHERE "product_state"."category_count" = 0;