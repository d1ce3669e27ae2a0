CREATE TABLE "quota_reservations" (
	"namespace_id" integer NOT NULL,
	"digest" text NOT NULL,
	"size" bigint NOT NULL,
	"reserved_at" bigint NOT NULL,
	CONSTRAINT "quota_reservations_namespace_id_digest_pk" PRIMARY KEY("namespace_id","digest")
);
--> statement-breakpoint
ALTER TABLE "namespace_quotas" ADD COLUMN "used_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "namespace_quotas" ADD COLUMN "counted_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "quota_reservations" ADD CONSTRAINT "quota_reservations_namespace_id_namespaces_id_fk" FOREIGN KEY ("namespace_id") REFERENCES "public"."namespaces"("id") ON DELETE cascade ON UPDATE no action;