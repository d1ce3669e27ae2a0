CREATE TABLE "proxy_content" (
	"proxy" text NOT NULL,
	"repository" text NOT NULL,
	"digest" text NOT NULL,
	"kind" text NOT NULL,
	"size" bigint NOT NULL,
	"last_pulled_at" bigint NOT NULL,
	CONSTRAINT "proxy_content_repository_digest_pk" PRIMARY KEY("repository","digest")
);
--> statement-breakpoint
CREATE TABLE "proxy_stats" (
	"proxy" text PRIMARY KEY NOT NULL,
	"hits" bigint DEFAULT 0 NOT NULL,
	"misses" bigint DEFAULT 0 NOT NULL,
	"upstream_errors" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "proxy_tags" (
	"repository" text NOT NULL,
	"tag" text NOT NULL,
	"checked_at" bigint NOT NULL,
	CONSTRAINT "proxy_tags_repository_tag_pk" PRIMARY KEY("repository","tag")
);
--> statement-breakpoint
CREATE INDEX "proxy_content_lru" ON "proxy_content" USING btree ("proxy","last_pulled_at");