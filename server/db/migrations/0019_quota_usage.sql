ALTER TABLE `namespace_quotas` ADD `used_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `namespace_quotas` ADD `counted_at` integer DEFAULT 0 NOT NULL;