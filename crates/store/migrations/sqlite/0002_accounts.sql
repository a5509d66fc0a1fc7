-- Accounts & payouts (seed 000): multi-currency accounts, recipients, withdrawals, FX quotes.
-- Money is BIGINT minor units; balances are never stored here, they come from the ledger.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    mode TEXT NOT NULL,
    currency TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, mode, currency)
);

CREATE TABLE beneficiaries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    user_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    bank_id TEXT NOT NULL,
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    type TEXT NOT NULL,
    deleted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX beneficiaries_account ON beneficiaries(account_id, id);

CREATE TABLE withdrawals (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    user_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    currency TEXT NOT NULL,
    transaction_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    network TEXT NOT NULL,
    address TEXT NOT NULL,
    address_name TEXT NOT NULL,
    amount BIGINT NOT NULL,
    fee_amount BIGINT NOT NULL,
    notes TEXT NOT NULL,
    prefix TEXT NOT NULL,
    beneficiary_id BIGINT,
    reference TEXT NOT NULL,
    reference_data TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    network_ref TEXT,
    failure_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX withdrawals_account ON withdrawals(account_id, id);
CREATE INDEX withdrawals_status ON withdrawals(status);

CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    source_account_id TEXT NOT NULL REFERENCES accounts(id),
    target_account_id TEXT NOT NULL REFERENCES accounts(id),
    source_currency TEXT NOT NULL,
    target_currency TEXT NOT NULL,
    rate TEXT NOT NULL,
    source_amount BIGINT NOT NULL,
    target_amount BIGINT NOT NULL,
    fee_amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    transaction_id BIGINT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A withdrawal's ledger transactions carry its id as reference (the hold invariants join on it).
CREATE INDEX ledger_transactions_reference ON ledger_transactions(reference);
