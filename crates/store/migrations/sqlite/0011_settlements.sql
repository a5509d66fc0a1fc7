-- Fiat settlement (issue 15; seed 004 "Settlement Layer APIs"). A pull of a Kemix payment model
-- accrues its fiat value on the ledger (the business's settlement clearing account, per network
-- and currency); a settlement claims the accrued pulls not yet settled (`transactions.settlement_id`)
-- and is paid by one ledger transaction. Amounts are not stored here: a settlement's total is the
-- sum of the pulls it holds, the balances are the ledger's.
CREATE TABLE fiat_settlements (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- pending | settled | unsettled
    status TEXT NOT NULL,
    reference_no BIGINT NOT NULL UNIQUE,
    -- The settlement fee in force when it was created, in basis points of each line.
    fee_bps BIGINT NOT NULL,
    -- Where it was paid: the linked account of the accounts API, or (operator) outside the
    -- platform under this reference.
    account_id TEXT,
    payout_reference TEXT,
    status_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    settled_at BIGINT
);
CREATE INDEX fiat_settlements_business ON fiat_settlements(business_id, network_id, created_at);

-- The settlement a pull belongs to (at most one, set once when the settlement claims it).
ALTER TABLE transactions ADD COLUMN settlement_id TEXT;
CREATE INDEX transactions_settlement ON transactions(settlement_id);

-- The account of the accounts API a business's settlements in one currency are paid into, per
-- network (a test-mode account for the test network, a live one for the main network), with the
-- owner's token that consented.
CREATE TABLE settlement_accounts (
    business_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    account_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    token_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (business_id, network_id, currency)
);
