ALTER TABLE "change_sets" ADD COLUMN "reverts" bigint;--> statement-breakpoint
ALTER TABLE "change_sets" ADD CONSTRAINT "change_sets_reverts_change_sets_id_fk" FOREIGN KEY ("reverts") REFERENCES "public"."change_sets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_sets_product_ids_idx" ON "change_sets" USING gin ("product_ids");--> statement-breakpoint
CREATE INDEX "change_sets_category_ids_idx" ON "change_sets" USING gin ("category_ids");--> statement-breakpoint
CREATE INDEX "change_sets_kind_idx" ON "change_sets" USING btree ("kind","id");--> statement-breakpoint
CREATE INDEX "change_sets_actor_idx" ON "change_sets" USING btree ("actor","id");--> statement-breakpoint
CREATE INDEX "change_sets_reverts_idx" ON "change_sets" USING btree ("reverts") WHERE "change_sets"."reverts" is not null;