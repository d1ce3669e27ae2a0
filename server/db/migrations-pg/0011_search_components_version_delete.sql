-- A version's delete takes its components by cascade, and their row triggers (0006) look the
-- app up through the version, which is already gone then: the app kept the deleted version's
-- component text. SQLite's migration 0013 has a trigger on the version's delete for this; here
-- it is the same, after the cascade: PostgreSQL fires a table's triggers by name, and the
-- foreign keys' "RI_ConstraintTrigger_…" sort before this one, so the components are gone.
CREATE FUNCTION search_versions_ad_components() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE search_fts SET components = search_components_text(old.app_id)
		WHERE app_id = old.app_id AND components IS DISTINCT FROM search_components_text(old.app_id);
	IF FOUND THEN
		UPDATE search_meta SET version = version + 1, text_version = text_version + 1 WHERE id = 1;
	END IF;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER search_versions_ad_components AFTER DELETE ON versions
	FOR EACH ROW EXECUTE FUNCTION search_versions_ad_components();
