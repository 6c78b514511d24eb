-- Jobs (issue 13, server/src/features/jobs): the jobs table (claimed by one runner with FOR UPDATE SKIP LOCKED through jobs_claim_idx, heartbeated, resumed from its cursor), job_items (the products a job works on, fixed when it starts) and change_sets.job_id (the change sets its batches recorded).
CREATE TABLE "job_items" (
	"job_id" bigint NOT NULL,
	"product_id" integer NOT NULL,
	CONSTRAINT "job_items_pkey" PRIMARY KEY("job_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "jobs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"total" integer,
	"unit" text DEFAULT 'products' NOT NULL,
	"counters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"actor" text NOT NULL,
	"source" text NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"owner" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"result" jsonb,
	"error" jsonb,
	"cursor" jsonb,
	CONSTRAINT "jobs_state_valid" CHECK ("jobs"."state" in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
	CONSTRAINT "jobs_source_valid" CHECK ("jobs"."source" in ('api', 'import', 'cli', 'seed', 'system')),
	CONSTRAINT "jobs_progress_valid" CHECK ("jobs"."done" >= 0 and ("jobs"."total" is null or "jobs"."total" >= 0))
);
--> statement-breakpoint
ALTER TABLE "change_sets" ADD COLUMN "job_id" bigint;--> statement-breakpoint
ALTER TABLE "job_items" ADD CONSTRAINT "job_items_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_claim_idx" ON "jobs" USING btree ("id") WHERE "jobs"."state" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "jobs_state_idx" ON "jobs" USING btree ("state","id");--> statement-breakpoint
CREATE INDEX "jobs_kind_idx" ON "jobs" USING btree ("kind","id");--> statement-breakpoint
ALTER TABLE "change_sets" ADD CONSTRAINT "change_sets_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_sets_job_idx" ON "change_sets" USING btree ("job_id") WHERE "change_sets"."job_id" is not null;