-- `stats_version` moves with every change of the statistics, so the search service re-reads
-- installs (and re-ranks) when they moved, not on a timer that also dropped every cached result.
ALTER TABLE `search_meta` ADD `stats_version` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
DROP TRIGGER `search_stats_ai`;
--> statement-breakpoint
CREATE TRIGGER `search_stats_ai` AFTER INSERT ON `app_stats_daily` BEGIN
	UPDATE search_docs SET installs = installs + new.installs, visits = visits + new.visits, pulls = pulls + new.pulls
		WHERE app_id = new.app_id;
	UPDATE search_meta SET stats_version = stats_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
DROP TRIGGER `search_stats_au`;
--> statement-breakpoint
CREATE TRIGGER `search_stats_au` AFTER UPDATE ON `app_stats_daily` BEGIN
	UPDATE search_docs SET installs = installs - old.installs, visits = visits - old.visits, pulls = pulls - old.pulls
		WHERE app_id = old.app_id;
	UPDATE search_docs SET installs = installs + new.installs, visits = visits + new.visits, pulls = pulls + new.pulls
		WHERE app_id = new.app_id;
	UPDATE search_meta SET stats_version = stats_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
DROP TRIGGER `search_stats_ad`;
--> statement-breakpoint
CREATE TRIGGER `search_stats_ad` AFTER DELETE ON `app_stats_daily` BEGIN
	UPDATE search_docs SET installs = installs - old.installs, visits = visits - old.visits, pulls = pulls - old.pulls
		WHERE app_id = old.app_id;
	UPDATE search_meta SET stats_version = stats_version + 1 WHERE id = 1;
END;
