CREATE TABLE "mirror_apps" (
	"upstream" text NOT NULL,
	"app" text NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"error" text,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "mirror_apps_upstream_app_pk" PRIMARY KEY("upstream","app")
);
--> statement-breakpoint
CREATE TABLE "mirror_upstreams" (
	"name" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"started_at" bigint,
	"finished_at" bigint,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "mirror_upstream" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "mirror_url" text;--> statement-breakpoint
ALTER TABLE "versions" ADD COLUMN "upstream_deleted_at" bigint;