ALTER TABLE "apps" ADD COLUMN "moderation" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "moderation_reason" text;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "moderated_at" bigint;