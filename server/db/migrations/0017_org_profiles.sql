ALTER TABLE `namespace_members` ADD `public` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `namespaces` ADD `about` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `namespaces` ADD `website` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `namespaces` ADD `logo` blob;--> statement-breakpoint
ALTER TABLE `namespaces` ADD `logo_type` text;