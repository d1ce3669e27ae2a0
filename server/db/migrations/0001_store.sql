CREATE TABLE `app_stats_daily` (
	`app_id` integer NOT NULL,
	`day` text NOT NULL,
	`visits` integer DEFAULT 0 NOT NULL,
	`installs` integer DEFAULT 0 NOT NULL,
	`pulls` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`app_id`, `day`),
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `app_visitors` (
	`app_id` integer NOT NULL,
	`day` text NOT NULL,
	`visitor` text NOT NULL,
	PRIMARY KEY(`app_id`, `day`, `visitor`),
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `apps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`app_key` text NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`display_name` text DEFAULT '' NOT NULL,
	`summary` text DEFAULT '' NOT NULL,
	`introduction` text DEFAULT '' NOT NULL,
	`logo_key` text,
	`logo_type` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`categories` text DEFAULT '[]' NOT NULL,
	`source_url` text DEFAULT '' NOT NULL,
	`home_url` text DEFAULT '' NOT NULL,
	`publish_type` text DEFAULT 'private' NOT NULL,
	`listed` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `apps_ns_name` ON `apps` (`namespace`,`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `apps_app_key` ON `apps` (`app_key`);--> statement-breakpoint
CREATE TABLE `components` (
	`version_id` integer NOT NULL,
	`service_key` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`image_digest` text,
	`source_ref` text DEFAULT '' NOT NULL,
	PRIMARY KEY(`version_id`, `service_key`),
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `packages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`app_id` integer NOT NULL,
	`name` text NOT NULL,
	`type` text DEFAULT 'free' NOT NULL,
	`versions` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `packages_app_name` ON `packages` (`app_id`,`name`);--> statement-breakpoint
CREATE TABLE `sync_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version_id` integer NOT NULL,
	`state` text NOT NULL,
	`components` text NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sync_jobs_version` ON `sync_jobs` (`version_id`);--> statement-breakpoint
CREATE TABLE `versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`app_id` integer NOT NULL,
	`version` text NOT NULL,
	`alias` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`state` text NOT NULL,
	`manifest_digest` text NOT NULL,
	`template_digest` text NOT NULL,
	`template` text NOT NULL,
	`rainbond_version` text DEFAULT '' NOT NULL,
	`arch` text DEFAULT 'amd64' NOT NULL,
	`is_plugin` integer DEFAULT false NOT NULL,
	`update_version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `versions_app_version` ON `versions` (`app_id`,`version`);