-- Full-text search (server/search), the PostgreSQL twin of the SQLite migration 0002_search.sql:
-- the same four tables, kept in step by triggers on the tables they mirror, in no drizzle schema
-- file. Differences, and why:
--
-- search_fts: FTS5's virtual table becomes a plain table keyed by app_id (FTS5's rowid) holding
-- the same six columns, and `document`, a stored tsvector of them that a GIN index covers (what
-- FTS5's own index is). Weights stand for bm25's column weights (10, 6, 3, 1, 2, 2): name A,
-- display_name B, summary, tags and publisher C, introduction D; `term:*A` and `term:*B` are the
-- column filters the field factor needs (ranking.ts); ts_rank_cd takes the weights as
-- '{0.1, 0.3, 0.6, 1.0}' (D, C, B, A).
-- Tokens: FTS5's unicode61 tokenizer makes a token of every run of letters, marks and digits and
-- folds case and diacritics (remove_diacritics 2). The text search configuration appshelf_search
-- is `simple` (no stemming, no stop words, lowercase) with unaccent in front, and the text is cut
-- at ASCII punctuation first (appshelf_search_text), so `my-app.example` is `my app example` as
-- in FTS5 and not one host token as PostgreSQL's parser would have it. FTS5's prefix indexes
-- ('2 3') have no counterpart: a GIN index serves `term:*` prefix queries itself.
--
-- COLLATE NOCASE becomes the ICU collation `nocase` (case-insensitive, accent-sensitive,
-- nondeterministic): search_tags' primary key still takes 'Web' and 'web' as one tag, and
-- `max(value COLLATE "C")` replaces SQLite's `max(value COLLATE BINARY)`. It folds all cases,
-- not only ASCII's; ordering by sort_name follows ICU's root collation, not SQLite's bytes.
-- shelf and logo are booleans (the triggers compute them as such); totals are bigint.
-- search_meta's counters are one row every writer updates: on PostgreSQL that row's lock orders
-- concurrent writers of apps, as SQLite's single writer does anyway.
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION appshelf_search (COPY = simple);
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION appshelf_search
	ALTER MAPPING FOR word, hword, hword_part, asciiword, asciihword, hword_asciipart WITH unaccent, simple;
--> statement-breakpoint
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
--> statement-breakpoint
-- The text as FTS5 would cut it, for PostgreSQL's parser: ASCII punctuation separates words.
CREATE FUNCTION appshelf_search_text(t text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT
	AS $$ SELECT regexp_replace(t, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+', ' ', 'g') $$;
--> statement-breakpoint
-- SQLite's json_each(CASE WHEN json_valid(x) THEN x ELSE '[]' END) ... WHERE type = 'text': the
-- strings of a JSON array (or of an object's values), none when the text is not valid JSON.
CREATE FUNCTION appshelf_json_texts(doc text) RETURNS SETOF text
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	parsed jsonb;
BEGIN
	BEGIN
		parsed := doc::jsonb;
	EXCEPTION WHEN others THEN
		RETURN;
	END;
	IF jsonb_typeof(parsed) = 'array' THEN
		RETURN QUERY SELECT e #>> '{}' FROM jsonb_array_elements(parsed) e WHERE jsonb_typeof(e) = 'string';
	ELSIF jsonb_typeof(parsed) = 'object' THEN
		RETURN QUERY SELECT e.value #>> '{}' FROM jsonb_each(parsed) e WHERE jsonb_typeof(e.value) = 'string';
	ELSIF jsonb_typeof(parsed) = 'string' THEN
		RETURN NEXT parsed #>> '{}';
	END IF;
END $$;
--> statement-breakpoint
CREATE TABLE search_fts (
	app_id integer PRIMARY KEY NOT NULL,
	name text NOT NULL,
	display_name text NOT NULL,
	summary text NOT NULL,
	introduction text NOT NULL,
	tags text NOT NULL,
	publisher text NOT NULL,
	document tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('appshelf_search', appshelf_search_text(name)), 'A')
		|| setweight(to_tsvector('appshelf_search', appshelf_search_text(display_name)), 'B')
		|| setweight(to_tsvector('appshelf_search', appshelf_search_text(summary)), 'C')
		|| setweight(to_tsvector('appshelf_search', appshelf_search_text(introduction)), 'D')
		|| setweight(to_tsvector('appshelf_search', appshelf_search_text(tags)), 'C')
		|| setweight(to_tsvector('appshelf_search', appshelf_search_text(publisher)), 'C')
	) STORED
);
--> statement-breakpoint
CREATE INDEX search_fts_document ON search_fts USING gin (document);
--> statement-breakpoint
CREATE TABLE search_docs (
	app_id integer PRIMARY KEY NOT NULL,
	shelf boolean NOT NULL,
	namespace text NOT NULL,
	name text NOT NULL,
	sort_name text COLLATE nocase NOT NULL,
	updated_at bigint NOT NULL,
	tags text NOT NULL,
	logo boolean NOT NULL,
	installs bigint DEFAULT 0 NOT NULL,
	visits bigint DEFAULT 0 NOT NULL,
	pulls bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX search_docs_sort_name ON search_docs (sort_name, namespace, name);
--> statement-breakpoint
CREATE TABLE search_tags (
	app_id integer NOT NULL,
	kind text NOT NULL,
	value text COLLATE nocase NOT NULL,
	PRIMARY KEY (app_id, kind, value)
);
--> statement-breakpoint
CREATE INDEX search_tags_value ON search_tags (kind, value, app_id);
--> statement-breakpoint
CREATE TABLE search_meta (
	id integer PRIMARY KEY NOT NULL CHECK (id = 1),
	version bigint NOT NULL,
	text_version bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO search_meta (id, version, text_version) VALUES (1, 0, 0);
--> statement-breakpoint
-- An app's search_fts row, as the SQLite triggers write it.
CREATE FUNCTION search_fts_put(a apps) RETURNS void LANGUAGE sql AS $$
	INSERT INTO search_fts (app_id, name, display_name, summary, introduction, tags, publisher) VALUES (
		a.id, a.name, a.display_name, a.summary, a.introduction,
		coalesce((SELECT string_agg(t, ' ') FROM appshelf_json_texts(a.tags) t), '')
			|| ' ' || coalesce((SELECT string_agg(t, ' ') FROM appshelf_json_texts(a.categories) t), ''),
		a.namespace || ' ' || coalesce((SELECT display_name FROM users WHERE users.name = a.namespace), '')
	);
$$;
--> statement-breakpoint
CREATE FUNCTION search_tags_put(a apps) RETURNS void LANGUAGE sql AS $$
	INSERT INTO search_tags (app_id, kind, value) SELECT a.id, 'tag', t FROM appshelf_json_texts(a.tags) t
		ON CONFLICT DO NOTHING;
	INSERT INTO search_tags (app_id, kind, value) SELECT a.id, 'category', t FROM appshelf_json_texts(a.categories) t
		ON CONFLICT DO NOTHING;
$$;
--> statement-breakpoint
-- Whether an app is on the shelf: listed and has a package.
CREATE FUNCTION search_shelf(app integer) RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT apps.listed FROM apps WHERE apps.id = app), false)
		AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = app);
$$;
--> statement-breakpoint
CREATE FUNCTION search_apps_ai() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM search_fts_put(new);
	INSERT INTO search_docs (app_id, shelf, namespace, name, sort_name, updated_at, tags, logo)
		VALUES (new.id, new.listed AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = new.id), new.namespace, new.name,
			coalesce(nullif(new.display_name, ''), new.name), new.updated_at, new.tags, new.logo_key IS NOT NULL);
	PERFORM search_tags_put(new);
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_apps_ai AFTER INSERT ON apps FOR EACH ROW EXECUTE FUNCTION search_apps_ai();
--> statement-breakpoint
CREATE FUNCTION search_apps_au_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM search_fts WHERE app_id = old.id;
	PERFORM search_fts_put(new);
	DELETE FROM search_tags WHERE app_id = old.id AND kind IN ('tag', 'category');
	PERFORM search_tags_put(new);
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_apps_au_text AFTER UPDATE OF namespace, name, display_name, summary, introduction, tags, categories ON apps
	FOR EACH ROW EXECUTE FUNCTION search_apps_au_text();
--> statement-breakpoint
CREATE FUNCTION search_apps_au_doc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE search_docs SET shelf = new.listed AND EXISTS (SELECT 1 FROM packages WHERE packages.app_id = new.id), namespace = new.namespace,
		name = new.name, sort_name = coalesce(nullif(new.display_name, ''), new.name), updated_at = new.updated_at, tags = new.tags,
		logo = new.logo_key IS NOT NULL WHERE app_id = old.id;
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_apps_au_doc AFTER UPDATE OF namespace, name, display_name, listed, updated_at, tags, logo_key ON apps
	FOR EACH ROW EXECUTE FUNCTION search_apps_au_doc();
--> statement-breakpoint
CREATE FUNCTION search_apps_ad() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM search_fts WHERE app_id = old.id;
	DELETE FROM search_docs WHERE app_id = old.id;
	DELETE FROM search_tags WHERE app_id = old.id;
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_apps_ad AFTER DELETE ON apps FOR EACH ROW EXECUTE FUNCTION search_apps_ad();
--> statement-breakpoint
CREATE FUNCTION search_packages_aiud() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE search_docs SET shelf = search_shelf(old.app_id) WHERE app_id = old.app_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE search_docs SET shelf = search_shelf(new.app_id) WHERE app_id = new.app_id;
	END IF;
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_packages_ai AFTER INSERT ON packages FOR EACH ROW EXECUTE FUNCTION search_packages_aiud();
--> statement-breakpoint
CREATE TRIGGER search_packages_au AFTER UPDATE OF app_id ON packages FOR EACH ROW EXECUTE FUNCTION search_packages_aiud();
--> statement-breakpoint
CREATE TRIGGER search_packages_ad AFTER DELETE ON packages FOR EACH ROW EXECUTE FUNCTION search_packages_aiud();
--> statement-breakpoint
CREATE FUNCTION search_versions_aiud() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		DELETE FROM search_tags WHERE app_id = old.app_id AND kind = 'arch' AND value = old.arch
			AND NOT EXISTS (SELECT 1 FROM versions WHERE versions.app_id = old.app_id AND versions.arch = old.arch);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO search_tags (app_id, kind, value) VALUES (new.app_id, 'arch', new.arch) ON CONFLICT DO NOTHING;
	END IF;
	UPDATE search_meta SET version = version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_versions_ai AFTER INSERT ON versions FOR EACH ROW EXECUTE FUNCTION search_versions_aiud();
--> statement-breakpoint
CREATE TRIGGER search_versions_au AFTER UPDATE OF app_id, arch ON versions FOR EACH ROW EXECUTE FUNCTION search_versions_aiud();
--> statement-breakpoint
CREATE TRIGGER search_versions_ad AFTER DELETE ON versions FOR EACH ROW EXECUTE FUNCTION search_versions_aiud();
--> statement-breakpoint
-- A publisher's display name is searchable: follow its changes into every app of the namespace.
CREATE FUNCTION search_users_aiud() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE search_fts SET publisher = old.name WHERE app_id IN (SELECT id FROM apps WHERE apps.namespace = old.name);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE search_fts SET publisher = new.name || ' ' || new.display_name
			WHERE app_id IN (SELECT id FROM apps WHERE apps.namespace = new.name);
	END IF;
	UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_users_ai AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION search_users_aiud();
--> statement-breakpoint
CREATE TRIGGER search_users_au AFTER UPDATE OF name, display_name ON users FOR EACH ROW EXECUTE FUNCTION search_users_aiud();
--> statement-breakpoint
CREATE TRIGGER search_users_ad AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION search_users_aiud();
--> statement-breakpoint
-- Statistics move the totals (and so popularity), never matches or facets: no version bump.
CREATE FUNCTION search_stats_aiud() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE search_docs SET installs = installs - old.installs, visits = visits - old.visits, pulls = pulls - old.pulls
			WHERE app_id = old.app_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE search_docs SET installs = installs + new.installs, visits = visits + new.visits, pulls = pulls + new.pulls
			WHERE app_id = new.app_id;
	END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_stats_ai AFTER INSERT ON app_stats_daily FOR EACH ROW EXECUTE FUNCTION search_stats_aiud();
--> statement-breakpoint
CREATE TRIGGER search_stats_au AFTER UPDATE ON app_stats_daily FOR EACH ROW EXECUTE FUNCTION search_stats_aiud();
--> statement-breakpoint
CREATE TRIGGER search_stats_ad AFTER DELETE ON app_stats_daily FOR EACH ROW EXECUTE FUNCTION search_stats_aiud();
