CREATE TABLE `registry_touches` (
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`kind`, `key`)
);
--> statement-breakpoint
CREATE INDEX `registry_touches_at` ON `registry_touches` (`at`);