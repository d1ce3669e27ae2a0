CREATE TABLE "namespace_immutability" (
	"namespace_id" integer PRIMARY KEY NOT NULL,
	"versions" boolean DEFAULT false NOT NULL,
	"tag_patterns" text DEFAULT '[]' NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "namespace_immutability" ADD CONSTRAINT "namespace_immutability_namespace_id_namespaces_id_fk" FOREIGN KEY ("namespace_id") REFERENCES "public"."namespaces"("id") ON DELETE cascade ON UPDATE no action;