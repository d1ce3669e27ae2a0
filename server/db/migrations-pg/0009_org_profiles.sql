ALTER TABLE "namespace_members" ADD COLUMN "public" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "namespaces" ADD COLUMN "about" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "namespaces" ADD COLUMN "website" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "namespaces" ADD COLUMN "logo" "bytea";--> statement-breakpoint
ALTER TABLE "namespaces" ADD COLUMN "logo_type" text;