ALTER TABLE `apps` ADD `moderation` text;--> statement-breakpoint
ALTER TABLE `apps` ADD `moderation_reason` text;--> statement-breakpoint
ALTER TABLE `apps` ADD `moderated_at` integer;