CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    mobile TEXT,
    status TEXT NOT NULL,
    partner_id TEXT,
    roles TEXT NOT NULL,
    configs TEXT NOT NULL,
    totp_secret TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    token_hint TEXT NOT NULL,
    label TEXT NOT NULL,
    mode TEXT NOT NULL,
    access TEXT NOT NULL,
    allow_ips TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE ledger_accounts (
    id TEXT PRIMARY KEY,
    currency TEXT NOT NULL,
    mode TEXT NOT NULL,
    kind TEXT NOT NULL,
    balance BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE ledger_transactions (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE ledger_postings (
    id BIGSERIAL PRIMARY KEY,
    txn_id BIGINT NOT NULL REFERENCES ledger_transactions(id),
    account_id TEXT NOT NULL REFERENCES ledger_accounts(id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_postings_account ON ledger_postings(account_id, id);
CREATE INDEX ledger_postings_txn ON ledger_postings(txn_id);

CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_owner ON events(owner_id, seq);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    lease_until BIGINT,
    locked_by TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, run_at);

CREATE TABLE idempotency_keys (
    credential TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code BIGINT,
    response_headers TEXT,
    response_body BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (credential, idem_key)
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
