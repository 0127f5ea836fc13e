-- Platforms are plugins: which compute names exist is the plugin registry's business, so no
-- constraint names a platform any more. Stored rows are untouched.
ALTER TABLE data_product DROP CONSTRAINT IF EXISTS data_product_compute_check;
ALTER TABLE run DROP CONSTRAINT IF EXISTS run_compute_check;
