-- Full-text search (server/search). Every table here is kept in step by triggers on the tables
-- it mirrors, so no writer (indexer, app service, reindex, plain SQL) can forget it. None of them
-- is in a drizzle schema file: they are raw SQL, read only by server/search. A migration that
-- rebuilds `apps`, `users`, `packages`, `versions` or `app_stats_daily` (drizzle's copy, drop,
-- rename) drops these triggers: test/search/index-schema.test.ts fails when that happens, and the
-- migration must then recreate them (copy them from here).
--
-- search_fts: one row per app (rowid = apps.id). Columns in bm25 weight order; `tags` holds the
-- tags and categories, `publisher` the namespace and its owner's display name.
CREATE VIRTUAL TABLE `search_fts` USING fts5(
	name, display_name, summary, introduction, tags, publisher,
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
--> statement-breakpoint
-- search_docs: one narrow row per app with what filters, sorts and result items read. Reading
-- `apps` itself is slow: long introductions spill into overflow pages that SQLite walks to reach
-- the columns after them. shelf = listed and has a package; logo = has one; totals = sums of
-- app_stats_daily.
CREATE TABLE `search_docs` (
	`app_id` integer PRIMARY KEY NOT NULL,
	`shelf` integer NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`sort_name` text NOT NULL COLLATE NOCASE,
	`updated_at` integer NOT NULL,
	`tags` text NOT NULL,
	`logo` integer NOT NULL,
	`installs` integer DEFAULT 0 NOT NULL,
	`visits` integer DEFAULT 0 NOT NULL,
	`pulls` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `search_docs_sort_name` ON `search_docs` (`sort_name`, `namespace`, `name`);
--> statement-breakpoint
-- search_tags: an app's tags, categories and version architectures, for filters and facets.
CREATE TABLE `search_tags` (
	`app_id` integer NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL COLLATE NOCASE,
	PRIMARY KEY (`app_id`, `kind`, `value`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `search_tags_value` ON `search_tags` (`kind`, `value`, `app_id`);
--> statement-breakpoint
-- search_meta: `version` moves with every change that can change a search's matches or facets
-- (not with statistics), `text_version` with every change of search_fts, so the search service
-- can cache safely, across processes too.
CREATE TABLE `search_meta` (
	`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1),
	`version` integer NOT NULL,
	`text_version` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `search_meta` (`id`, `version`, `text_version`) VALUES (1, 0, 0);
--> statement-breakpoint
CREATE TRIGGER `search_apps_ai` AFTER INSERT ON `apps` BEGIN
	INSERT INTO search_fts (rowid, name, display_name, summary, introduction, tags, publisher) VALUES (
		new.id, new.name, new.display_name, new.summary, new.introduction,
		(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) WHERE type = 'text')
			|| ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END) WHERE type = 'text'),
		new.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = new.namespace), '')
	);
	INSERT INTO search_docs (app_id, shelf, namespace, name, sort_name, updated_at, tags, logo)
		VALUES (new.id, new.listed AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = new.id), new.namespace, new.name,
			coalesce(nullif(new.display_name, ''), new.name), new.updated_at, new.tags, new.logo_key IS NOT NULL);
	INSERT OR IGNORE INTO search_tags (app_id, kind, value)
		SELECT new.id, 'tag', value FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) WHERE type = 'text';
	INSERT OR IGNORE INTO search_tags (app_id, kind, value)
		SELECT new.id, 'category', value FROM json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END) WHERE type = 'text';
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_apps_au_text` AFTER UPDATE OF namespace, name, display_name, summary, introduction, tags, categories ON `apps` BEGIN
	DELETE FROM search_fts WHERE rowid = old.id;
	INSERT INTO search_fts (rowid, name, display_name, summary, introduction, tags, publisher) VALUES (
		new.id, new.name, new.display_name, new.summary, new.introduction,
		(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) WHERE type = 'text')
			|| ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END) WHERE type = 'text'),
		new.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = new.namespace), '')
	);
	DELETE FROM search_tags WHERE app_id = old.id AND kind IN ('tag', 'category');
	INSERT OR IGNORE INTO search_tags (app_id, kind, value)
		SELECT new.id, 'tag', value FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) WHERE type = 'text';
	INSERT OR IGNORE INTO search_tags (app_id, kind, value)
		SELECT new.id, 'category', value FROM json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END) WHERE type = 'text';
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_apps_au_doc` AFTER UPDATE OF namespace, name, display_name, listed, updated_at, tags, logo_key ON `apps` BEGIN
	UPDATE search_docs SET shelf = new.listed AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = new.id), namespace = new.namespace,
		name = new.name, sort_name = coalesce(nullif(new.display_name, ''), new.name), updated_at = new.updated_at, tags = new.tags,
		logo = new.logo_key IS NOT NULL WHERE app_id = old.id;
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_apps_ad` AFTER DELETE ON `apps` BEGIN
	DELETE FROM search_fts WHERE rowid = old.id;
	DELETE FROM search_docs WHERE app_id = old.id;
	DELETE FROM search_tags WHERE app_id = old.id;
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_packages_ai` AFTER INSERT ON `packages` BEGIN
	UPDATE search_docs SET shelf = coalesce((SELECT apps.listed FROM apps WHERE apps.id = new.app_id), 0)
		AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = new.app_id) WHERE app_id = new.app_id;
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_packages_au` AFTER UPDATE OF app_id ON `packages` BEGIN
	UPDATE search_docs SET shelf = coalesce((SELECT apps.listed FROM apps WHERE apps.id = old.app_id), 0)
		AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = old.app_id) WHERE app_id = old.app_id;
	UPDATE search_docs SET shelf = coalesce((SELECT apps.listed FROM apps WHERE apps.id = new.app_id), 0)
		AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = new.app_id) WHERE app_id = new.app_id;
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_packages_ad` AFTER DELETE ON `packages` BEGIN
	UPDATE search_docs SET shelf = coalesce((SELECT apps.listed FROM apps WHERE apps.id = old.app_id), 0)
		AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = old.app_id) WHERE app_id = old.app_id;
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_versions_ai` AFTER INSERT ON `versions` BEGIN
	INSERT OR IGNORE INTO search_tags (app_id, kind, value) VALUES (new.app_id, 'arch', new.arch);
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_versions_au` AFTER UPDATE OF app_id, arch ON `versions` BEGIN
	DELETE FROM search_tags WHERE app_id = old.app_id AND kind = 'arch' AND value = old.arch
		AND NOT EXISTS (SELECT 1 FROM versions WHERE versions.app_id = old.app_id AND versions.arch = old.arch);
	INSERT OR IGNORE INTO search_tags (app_id, kind, value) VALUES (new.app_id, 'arch', new.arch);
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_versions_ad` AFTER DELETE ON `versions` BEGIN
	DELETE FROM search_tags WHERE app_id = old.app_id AND kind = 'arch' AND value = old.arch
		AND NOT EXISTS (SELECT 1 FROM versions WHERE versions.app_id = old.app_id AND versions.arch = old.arch);
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
END;
--> statement-breakpoint
-- A publisher's display name is searchable: follow its changes into every app of the namespace.
CREATE TRIGGER `search_users_ai` AFTER INSERT ON `users` BEGIN
	UPDATE search_fts SET publisher = new.name || ' ' || new.display_name WHERE rowid IN (SELECT id FROM apps WHERE apps.namespace = new.name);
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_users_au` AFTER UPDATE OF name, display_name ON `users` BEGIN
	UPDATE search_fts SET publisher = old.name WHERE rowid IN (SELECT id FROM apps WHERE apps.namespace = old.name);
	UPDATE search_fts SET publisher = new.name || ' ' || new.display_name WHERE rowid IN (SELECT id FROM apps WHERE apps.namespace = new.name);
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_users_ad` AFTER DELETE ON `users` BEGIN
	UPDATE search_fts SET publisher = old.name WHERE rowid IN (SELECT id FROM apps WHERE apps.namespace = old.name);
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
-- Statistics move the totals (and so popularity), never matches or facets: no version bump.
CREATE TRIGGER `search_stats_ai` AFTER INSERT ON `app_stats_daily` BEGIN
	UPDATE search_docs SET installs = installs + new.installs, visits = visits + new.visits, pulls = pulls + new.pulls
		WHERE app_id = new.app_id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_stats_au` AFTER UPDATE ON `app_stats_daily` BEGIN
	UPDATE search_docs SET installs = installs - old.installs, visits = visits - old.visits, pulls = pulls - old.pulls
		WHERE app_id = old.app_id;
	UPDATE search_docs SET installs = installs + new.installs, visits = visits + new.visits, pulls = pulls + new.pulls
		WHERE app_id = new.app_id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_stats_ad` AFTER DELETE ON `app_stats_daily` BEGIN
	UPDATE search_docs SET installs = installs - old.installs, visits = visits - old.visits, pulls = pulls - old.pulls
		WHERE app_id = old.app_id;
END;
--> statement-breakpoint
-- Index what is already there.
INSERT INTO search_fts (rowid, name, display_name, summary, introduction, tags, publisher)
	SELECT a.id, a.name, a.display_name, a.summary, a.introduction,
		(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(a.tags) THEN a.tags ELSE '[]' END) WHERE type = 'text')
			|| ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(a.categories) THEN a.categories ELSE '[]' END) WHERE type = 'text'),
		a.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = a.namespace), '')
	FROM apps a;
--> statement-breakpoint
INSERT INTO search_docs (app_id, shelf, namespace, name, sort_name, updated_at, tags, logo, installs, visits, pulls)
	SELECT a.id, a.listed AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = a.id), a.namespace, a.name,
		coalesce(nullif(a.display_name, ''), a.name), a.updated_at, a.tags, a.logo_key IS NOT NULL,
		coalesce(s.installs, 0), coalesce(s.visits, 0), coalesce(s.pulls, 0)
	FROM apps a LEFT JOIN (SELECT app_id, sum(installs) AS installs, sum(visits) AS visits, sum(pulls) AS pulls
		FROM app_stats_daily GROUP BY app_id) s ON s.app_id = a.id;
--> statement-breakpoint
INSERT OR IGNORE INTO search_tags (app_id, kind, value)
	SELECT a.id, 'tag', j.value FROM apps a, json_each(CASE WHEN json_valid(a.tags) THEN a.tags ELSE '[]' END) j WHERE j.type = 'text';
--> statement-breakpoint
INSERT OR IGNORE INTO search_tags (app_id, kind, value)
	SELECT a.id, 'category', j.value FROM apps a, json_each(CASE WHEN json_valid(a.categories) THEN a.categories ELSE '[]' END) j WHERE j.type = 'text';
--> statement-breakpoint
INSERT OR IGNORE INTO search_tags (app_id, kind, value) SELECT app_id, 'arch', arch FROM versions;
