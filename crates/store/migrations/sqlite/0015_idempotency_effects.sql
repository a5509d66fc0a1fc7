-- When a request's effect committed: written in the same database transaction as the effect, so
-- a key whose request died mid-way tells whether running it again is safe (docs/foundation.md).
ALTER TABLE idempotency_keys ADD COLUMN effect_at BIGINT;
