-- An authenticator enrolled but not yet confirmed by a first code from it (sealed like
-- totp_secret); it guards nothing until confirmed.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
-- 1: the first response held a secret and was not kept, so the key cannot be replayed.
ALTER TABLE idempotency_keys ADD COLUMN secret_withheld INTEGER NOT NULL DEFAULT 0;
