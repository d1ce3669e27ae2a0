CREATE TABLE `retention_rules` (
	`namespace` text NOT NULL,
	`app` text DEFAULT '' NOT NULL,
	`keep_newest` integer,
	`keep_pulled_days` integer,
	`untagged_hours` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`namespace`, `app`)
);
--> statement-breakpoint
ALTER TABLE `versions` ADD `last_used_at` integer;