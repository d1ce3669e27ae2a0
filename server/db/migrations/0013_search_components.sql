-- Search finds apps by their components: each component's name (service_cname) and image
-- reference (docker.io/library/mysql:8.0 → docker, io, library, mysql, 8, 0), over every version
-- of the app, in a new last column of search_fts. FTS5 tables take no ALTER, so search_fts is
-- rebuilt and refilled; the triggers that write whole rows into it (app insert and text update)
-- are recreated with the new column, and triggers on `components` (and on a version's delete,
-- whose components go by cascade) keep it in step. A component change rewrites the app's row
-- only when its component text changed (the same components in every version are one text).
DROP TABLE `search_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `search_fts` USING fts5(
	name, display_name, summary, introduction, tags, publisher, components,
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
--> statement-breakpoint
DROP TRIGGER `search_apps_ai`;
--> statement-breakpoint
CREATE TRIGGER `search_apps_ai` AFTER INSERT ON `apps` BEGIN
	INSERT INTO search_fts (rowid, name, display_name, summary, introduction, tags, publisher, components) VALUES (
		new.id, new.name, new.display_name, new.summary, new.introduction,
		(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) WHERE type = 'text')
			|| ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END) WHERE type = 'text'),
		new.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = new.namespace), ''),
		(SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = new.id ORDER BY v))
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
DROP TRIGGER `search_apps_au_text`;
--> statement-breakpoint
CREATE TRIGGER `search_apps_au_text` AFTER UPDATE OF namespace, name, display_name, summary, introduction, tags, categories ON `apps` BEGIN
	DELETE FROM search_fts WHERE rowid = old.id;
	INSERT INTO search_fts (rowid, name, display_name, summary, introduction, tags, publisher, components) VALUES (
		new.id, new.name, new.display_name, new.summary, new.introduction,
		(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) WHERE type = 'text')
			|| ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END) WHERE type = 'text'),
		new.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = new.namespace), ''),
		(SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = new.id ORDER BY v))
	);
	DELETE FROM search_tags WHERE app_id = old.id AND kind IN ('tag', 'category');
	INSERT OR IGNORE INTO search_tags (app_id, kind, value)
		SELECT new.id, 'tag', value FROM json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) WHERE type = 'text';
	INSERT OR IGNORE INTO search_tags (app_id, kind, value)
		SELECT new.id, 'category', value FROM json_each(CASE WHEN json_valid(new.categories) THEN new.categories ELSE '[]' END) WHERE type = 'text';
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_components_ai` AFTER INSERT ON `components` BEGIN
	UPDATE search_fts SET components = (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = new.version_id) ORDER BY v))
		WHERE rowid = (SELECT app_id FROM versions WHERE id = new.version_id) AND components IS NOT (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = new.version_id) ORDER BY v));
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_components_au` AFTER UPDATE OF version_id, name, source_ref ON `components` BEGIN
	UPDATE search_fts SET components = (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = old.version_id) ORDER BY v))
		WHERE rowid = (SELECT app_id FROM versions WHERE id = old.version_id) AND components IS NOT (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = old.version_id) ORDER BY v));
	UPDATE search_fts SET components = (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = new.version_id) ORDER BY v))
		WHERE rowid = (SELECT app_id FROM versions WHERE id = new.version_id) AND components IS NOT (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = new.version_id) ORDER BY v));
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
-- A version's delete cascades to its components; their trigger may run after the version row is
-- gone (it then finds no app), so the version's own trigger refreshes the app without them.
CREATE TRIGGER `search_components_ad` AFTER DELETE ON `components` BEGIN
	UPDATE search_fts SET components = (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = old.version_id) ORDER BY v))
		WHERE rowid = (SELECT app_id FROM versions WHERE id = old.version_id) AND components IS NOT (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = (SELECT app_id FROM versions WHERE id = old.version_id) ORDER BY v));
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `search_versions_ad_components` AFTER DELETE ON `versions` BEGIN
	UPDATE search_fts SET components = (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = old.app_id AND cv.id <> old.id ORDER BY v))
		WHERE rowid = old.app_id AND components IS NOT (SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = old.app_id AND cv.id <> old.id ORDER BY v));
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
END;
--> statement-breakpoint
-- Index what is already there.
INSERT INTO search_fts (rowid, name, display_name, summary, introduction, tags, publisher, components)
	SELECT a.id, a.name, a.display_name, a.summary, a.introduction,
		(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(a.tags) THEN a.tags ELSE '[]' END) WHERE type = 'text')
			|| ' ' || (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(CASE WHEN json_valid(a.categories) THEN a.categories ELSE '[]' END) WHERE type = 'text'),
		a.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = a.namespace), ''),
		(SELECT coalesce(group_concat(v, ' '), '') FROM (SELECT DISTINCT c.name || ' ' || c.source_ref AS v
			FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = a.id ORDER BY v))
	FROM apps a;
--> statement-breakpoint
UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
