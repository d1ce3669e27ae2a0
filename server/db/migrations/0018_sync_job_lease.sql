ALTER TABLE `sync_jobs` ADD `owner` text;--> statement-breakpoint
ALTER TABLE `sync_jobs` ADD `heartbeat_at` integer;