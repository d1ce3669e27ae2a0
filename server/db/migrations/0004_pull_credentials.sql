CREATE TABLE `pull_credentials` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`access_key_id` integer NOT NULL,
	`app_id` integer NOT NULL,
	`prefix` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`access_key_id`) REFERENCES `access_keys`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `pull_credentials_prefix` ON `pull_credentials` (`prefix`);--> statement-breakpoint
CREATE INDEX `pull_credentials_key_app` ON `pull_credentials` (`access_key_id`,`app_id`);--> statement-breakpoint
CREATE INDEX `pull_credentials_expires` ON `pull_credentials` (`expires_at`);--> statement-breakpoint
-- The app robots' never-expiring pull keys (an HMAC of the app key, copied into every stored
-- template) give way to per-installer credentials: revoke them, so the copies die.
UPDATE `access_keys` SET `revoked_at` = CAST(strftime('%s', 'now') AS integer) * 1000 WHERE `revoked_at` IS NULL AND `name` = 'rainstore pull' AND `user_id` IN (SELECT `id` FROM `users` WHERE `name` LIKE 'robot$%');
