CREATE TABLE `registry_touches` (
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`kind`, `key`)
);
--> statement-breakpoint
CREATE INDEX `registry_touches_at` ON `registry_touches` (`at`);--> statement-breakpoint
CREATE TABLE `rate_limit_counters` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL,
	`flagged` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `rate_limit_counters_window` ON `rate_limit_counters` (`window_start`);--> statement-breakpoint
CREATE TABLE `token_signing_keys` (
	`name` text PRIMARY KEY NOT NULL,
	`private_key` text NOT NULL,
	`created_at` integer NOT NULL
);
