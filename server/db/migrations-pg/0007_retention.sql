CREATE TABLE "retention_rules" (
	"namespace" text NOT NULL,
	"app" text DEFAULT '' NOT NULL,
	"keep_newest" integer,
	"keep_pulled_days" integer,
	"untagged_hours" integer,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "retention_rules_namespace_app_pk" PRIMARY KEY("namespace","app")
);
--> statement-breakpoint
ALTER TABLE "versions" ADD COLUMN "last_used_at" bigint;