CREATE TABLE "registry_touches" (
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"at" bigint NOT NULL,
	CONSTRAINT "registry_touches_kind_key_pk" PRIMARY KEY("kind","key")
);
--> statement-breakpoint
CREATE INDEX "registry_touches_at" ON "registry_touches" USING btree ("at");