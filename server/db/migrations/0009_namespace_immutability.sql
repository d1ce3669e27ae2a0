CREATE TABLE `namespace_immutability` (
	`namespace_id` integer PRIMARY KEY NOT NULL,
	`versions` integer DEFAULT false NOT NULL,
	`tag_patterns` text DEFAULT '[]' NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
