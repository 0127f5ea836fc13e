-- A dependency's two data products must exist in its dataset. Two foreign keys checked that row by
-- row, each check a query of its own: on a 50,000-product post they were more than half of the
-- database's time (docs/decisions.md, "Dependencies checked per statement"). The same rule is now
-- checked once per statement, over the rows the statement wrote (its transition table), and a
-- data product that dependencies name can be neither deleted nor given another key.
ALTER TABLE dependency DROP CONSTRAINT dependency_dataset_id_parent_id_fkey;
ALTER TABLE dependency DROP CONSTRAINT dependency_dataset_id_child_id_fkey;

CREATE FUNCTION dependency_ends_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM written w
        WHERE NOT EXISTS (SELECT 1 FROM data_product p WHERE p.dataset_id = w.dataset_id AND p.id = w.parent_id)
           OR NOT EXISTS (SELECT 1 FROM data_product p WHERE p.dataset_id = w.dataset_id AND p.id = w.child_id))
    THEN
        RAISE EXCEPTION 'a dependency names a data product that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER dependency_ends_exist_on_insert AFTER INSERT ON dependency
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION dependency_ends_exist();
CREATE TRIGGER dependency_ends_exist_on_update AFTER UPDATE ON dependency
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION dependency_ends_exist();

CREATE FUNCTION data_product_not_depended_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM removed r
        JOIN dependency d ON d.dataset_id = r.dataset_id AND (d.parent_id = r.id OR d.child_id = r.id))
    THEN
        RAISE EXCEPTION 'a data product that dependencies name cannot be deleted'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION data_product_key_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a data product''s dataset and id cannot change' USING ERRCODE = 'foreign_key_violation';
END
$$;

CREATE TRIGGER data_product_delete_checked AFTER DELETE ON data_product
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION data_product_not_depended_on();
-- Fires only for an UPDATE that sets the key columns, which Fletcher never does: the upsert of a
-- product's state pays nothing.
CREATE TRIGGER data_product_key_checked BEFORE UPDATE OF dataset_id, id ON data_product
    FOR EACH ROW WHEN (OLD.dataset_id IS DISTINCT FROM NEW.dataset_id OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION data_product_key_unchanged();
