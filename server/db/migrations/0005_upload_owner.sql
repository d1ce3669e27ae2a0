ALTER TABLE `uploads` ADD `owner` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `uploads_owner` ON `uploads` (`owner`);