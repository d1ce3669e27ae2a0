ALTER TABLE "sync_jobs" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "sync_jobs" ADD COLUMN "heartbeat_at" bigint;