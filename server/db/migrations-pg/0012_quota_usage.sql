ALTER TABLE "namespace_quotas" ADD COLUMN "used_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "namespace_quotas" ADD COLUMN "counted_at" bigint DEFAULT 0 NOT NULL;