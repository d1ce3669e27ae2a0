CREATE TABLE `quota_reservations` (
	`namespace_id` integer NOT NULL,
	`digest` text NOT NULL,
	`size` integer NOT NULL,
	`reserved_at` integer NOT NULL,
	PRIMARY KEY(`namespace_id`, `digest`),
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `namespace_quotas` ADD `used_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `namespace_quotas` ADD `counted_at` integer DEFAULT 0 NOT NULL;