CREATE TABLE `mirror_apps` (
	`upstream` text NOT NULL,
	`app` text NOT NULL,
	`bytes` integer DEFAULT 0 NOT NULL,
	`error` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`upstream`, `app`)
);
--> statement-breakpoint
CREATE TABLE `mirror_upstreams` (
	`name` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`error` text
);
--> statement-breakpoint
ALTER TABLE `apps` ADD `mirror_upstream` text;--> statement-breakpoint
ALTER TABLE `apps` ADD `mirror_url` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `upstream_deleted_at` integer;