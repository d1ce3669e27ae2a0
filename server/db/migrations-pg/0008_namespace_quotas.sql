CREATE TABLE "namespace_quotas" (
	"namespace_id" integer PRIMARY KEY NOT NULL,
	"limit_bytes" bigint DEFAULT 0 NOT NULL,
	"warn_bytes" bigint DEFAULT 0 NOT NULL,
	"warned" boolean DEFAULT false NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "namespace_quotas" ADD CONSTRAINT "namespace_quotas_namespace_id_namespaces_id_fk" FOREIGN KEY ("namespace_id") REFERENCES "public"."namespaces"("id") ON DELETE cascade ON UPDATE no action;