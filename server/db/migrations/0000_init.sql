CREATE TABLE `blobs` (
	`digest` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `manifest_refs` (
	`repository` text NOT NULL,
	`parent` text NOT NULL,
	`child` text NOT NULL,
	`kind` text NOT NULL,
	PRIMARY KEY(`repository`, `parent`, `child`)
);
--> statement-breakpoint
CREATE INDEX `manifest_refs_child` ON `manifest_refs` (`child`);--> statement-breakpoint
CREATE TABLE `manifests` (
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`media_type` text NOT NULL,
	`artifact_type` text,
	`subject` text,
	`annotations` text,
	`size` integer NOT NULL,
	`content` blob NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`repository`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `manifests_subject` ON `manifests` (`repository`,`subject`) WHERE subject is not null;--> statement-breakpoint
CREATE TABLE `repositories` (
	`name` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `repository_blobs` (
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`repository`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `repository_blobs_digest` ON `repository_blobs` (`digest`);--> statement-breakpoint
CREATE TABLE `tags` (
	`repository` text NOT NULL,
	`name` text NOT NULL,
	`digest` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`repository`, `name`)
);
--> statement-breakpoint
CREATE INDEX `tags_digest` ON `tags` (`repository`,`digest`);--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`repository` text NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `access_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`secret_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `access_keys_prefix` ON `access_keys` (`prefix`);--> statement-breakpoint
CREATE INDEX `access_keys_user` ON `access_keys` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`phone` text,
	`display_name` text DEFAULT '' NOT NULL,
	`role` text DEFAULT 'user' NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_name` ON `users` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_phone` ON `users` (`phone`);