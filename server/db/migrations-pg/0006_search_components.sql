-- The PostgreSQL twin of SQLite's 0013_search_components and 0014_search_stats_version.
-- search_fts gains `components`: each component's name and image reference over all versions of
-- the app (weighted as display names are, like SQLite's weight 2), kept in step by triggers on
-- components (a version's delete cascades to them, and row triggers fire on cascades here).
-- search_meta gains `stats_version`, bumped by every statistics change, so the search service
-- re-reads installs only when they moved.
DROP INDEX search_fts_document;
--> statement-breakpoint
ALTER TABLE search_fts DROP COLUMN document;
--> statement-breakpoint
ALTER TABLE search_fts ADD COLUMN components text NOT NULL DEFAULT '';
--> statement-breakpoint
ALTER TABLE search_fts ADD COLUMN document tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('appshelf_search', appshelf_search_text(name)), 'A')
	|| setweight(to_tsvector('appshelf_search', appshelf_search_text(display_name)), 'B')
	|| setweight(to_tsvector('appshelf_search', appshelf_search_text(summary)), 'C')
	|| setweight(to_tsvector('appshelf_search', appshelf_search_text(introduction)), 'D')
	|| setweight(to_tsvector('appshelf_search', appshelf_search_text(tags)), 'C')
	|| setweight(to_tsvector('appshelf_search', appshelf_search_text(publisher)), 'C')
	|| setweight(to_tsvector('appshelf_search', appshelf_search_text(components)), 'B')
) STORED;
--> statement-breakpoint
CREATE INDEX search_fts_document ON search_fts USING gin (document);
--> statement-breakpoint
-- The component text of an app, as SQLite's triggers build it (distinct, ordered, space-joined).
CREATE FUNCTION search_components_text(app integer) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT coalesce(string_agg(v, ' ' ORDER BY v), '') FROM (
		SELECT DISTINCT c.name || ' ' || c.source_ref AS v
		FROM components c JOIN versions cv ON cv.id = c.version_id WHERE cv.app_id = app
	) t;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_fts_put(a apps) RETURNS void LANGUAGE sql AS $$
	INSERT INTO search_fts (app_id, name, display_name, summary, introduction, tags, publisher, components) VALUES (
		a.id, a.name, a.display_name, a.summary, a.introduction,
		coalesce((SELECT string_agg(t, ' ') FROM appshelf_json_texts(a.tags) t), '')
			|| ' ' || coalesce((SELECT string_agg(t, ' ') FROM appshelf_json_texts(a.categories) t), ''),
		a.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = a.namespace), ''),
		search_components_text(a.id)
	);
$$;
--> statement-breakpoint
CREATE FUNCTION search_components_aiud() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	app integer;
BEGIN
	FOR app IN
		SELECT DISTINCT v.app_id FROM versions v
		WHERE (TG_OP IN ('UPDATE', 'DELETE') AND v.id = old.version_id)
			OR (TG_OP IN ('INSERT', 'UPDATE') AND v.id = new.version_id)
	LOOP
		UPDATE search_fts SET components = search_components_text(app)
			WHERE app_id = app AND components IS DISTINCT FROM search_components_text(app);
		IF FOUND THEN
			UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
		END IF;
	END LOOP;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_components_ai AFTER INSERT ON components FOR EACH ROW EXECUTE FUNCTION search_components_aiud();
--> statement-breakpoint
CREATE TRIGGER search_components_au AFTER UPDATE OF version_id, name, source_ref ON components
	FOR EACH ROW EXECUTE FUNCTION search_components_aiud();
--> statement-breakpoint
CREATE TRIGGER search_components_ad AFTER DELETE ON components FOR EACH ROW EXECUTE FUNCTION search_components_aiud();
--> statement-breakpoint
UPDATE search_fts SET components = search_components_text(app_id);
--> statement-breakpoint
ALTER TABLE search_fts ALTER COLUMN components DROP DEFAULT;
--> statement-breakpoint
ALTER TABLE search_meta ADD COLUMN stats_version bigint NOT NULL DEFAULT 0;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION search_stats_aiud() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE search_docs SET installs = installs - old.installs, visits = visits - old.visits, pulls = pulls - old.pulls
			WHERE app_id = old.app_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE search_docs SET installs = installs + new.installs, visits = visits + new.visits, pulls = pulls + new.pulls
			WHERE app_id = new.app_id;
	END IF;
	UPDATE search_meta SET stats_version = stats_version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
