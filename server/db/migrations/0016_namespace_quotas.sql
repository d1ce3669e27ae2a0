CREATE TABLE `namespace_quotas` (
	`namespace_id` integer PRIMARY KEY NOT NULL,
	`limit_bytes` integer DEFAULT 0 NOT NULL,
	`warn_bytes` integer DEFAULT 0 NOT NULL,
	`warned` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
