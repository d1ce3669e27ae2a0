CREATE TABLE `proxy_content` (
	`proxy` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`kind` text NOT NULL,
	`size` integer NOT NULL,
	`last_pulled_at` integer NOT NULL,
	PRIMARY KEY(`repository`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `proxy_content_lru` ON `proxy_content` (`proxy`,`last_pulled_at`);--> statement-breakpoint
CREATE TABLE `proxy_stats` (
	`proxy` text PRIMARY KEY NOT NULL,
	`hits` integer DEFAULT 0 NOT NULL,
	`misses` integer DEFAULT 0 NOT NULL,
	`upstream_errors` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `proxy_tags` (
	`repository` text NOT NULL,
	`tag` text NOT NULL,
	`checked_at` integer NOT NULL,
	PRIMARY KEY(`repository`, `tag`)
);
