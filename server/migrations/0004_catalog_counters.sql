CREATE TABLE "catalog_counters" (
	"shard" smallint PRIMARY KEY NOT NULL,
	"products" bigint DEFAULT 0 NOT NULL,
	"categorized" bigint DEFAULT 0 NOT NULL,
	"active" bigint DEFAULT 0 NOT NULL,
	"draft" bigint DEFAULT 0 NOT NULL,
	"archived" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "catalog_counters_shard_range" CHECK ("catalog_counters"."shard" between 0 and 15)
);
