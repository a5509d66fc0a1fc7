-- Pull payments end to end (issue 14): the wallet's requests behind each QR code, the pull
-- payments the customers sign, their chain transactions, exchange rates and the test network's
-- clock. The minimal pull_payments/transactions of 0003 held no data (nothing wrote them), so
-- they are rebuilt with every field the read APIs and the executor need.
DROP TABLE transactions;
DROP TABLE pull_payments;

-- One QR code: a payment model, the merchant's customer reference and, for dynamic models, the
-- values injected at QR time. The terms' start, token cap and expiry are fixed by the first
-- wallet read so every later read shows the same terms to sign.
CREATE TABLE pull_payment_requests (
    id TEXT PRIMARY KEY,
    payment_model_id TEXT NOT NULL,
    business_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    unique_reference_id TEXT NOT NULL,
    amount BIGINT,
    currency TEXT,
    title TEXT,
    description TEXT,
    start_time BIGINT,
    token_cap TEXT,
    terms_expiry BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    pull_payment_id TEXT
);

CREATE TABLE pull_payments (
    id TEXT PRIMARY KEY,
    chain_payment_id TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL UNIQUE,
    business_id TEXT NOT NULL,
    payment_model_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    type_id BIGINT NOT NULL,
    status BIGINT NOT NULL,
    status_reason TEXT,
    title TEXT,
    description TEXT,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    initial_payment_amount BIGINT NOT NULL,
    trial_period BIGINT NOT NULL,
    frequency BIGINT NOT NULL,
    number_of_payments BIGINT NOT NULL,
    top_up_limit BIGINT,
    customer_address TEXT NOT NULL,
    treasury_wallet TEXT NOT NULL,
    contract_address TEXT NOT NULL,
    hd_wallet_index BIGINT NOT NULL,
    unique_reference_id TEXT NOT NULL,
    terms TEXT NOT NULL,
    signature TEXT NOT NULL,
    permit TEXT,
    start_timestamp BIGINT NOT NULL,
    end_timestamp BIGINT NOT NULL,
    next_payment_at BIGINT,
    last_payment_at BIGINT,
    pulls_made BIGINT NOT NULL,
    fiat_pulled BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX pull_payments_business ON pull_payments(business_id, network_id, created_at);
CREATE INDEX pull_payments_product ON pull_payments(product_id, network_id);
CREATE INDEX pull_payments_due ON pull_payments(network_id, status, next_payment_at);

-- One chain transaction of a pull payment (seed 004 "Transactions"): register, initial,
-- execute, cancel, register_and_execute. A pull's row is written (pending, with its on-chain
-- pull index) before its transaction is sent, so a crash can be reconciled against the chain;
-- a pull index has at most one row that is not failed (failed attempts stay as history).
CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    pull_payment_id TEXT NOT NULL,
    business_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    payment_model_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    type_id BIGINT NOT NULL,
    status BIGINT NOT NULL,
    pull_index BIGINT,
    reference_no BIGINT NOT NULL,
    tx_hash TEXT,
    sender TEXT,
    receiver TEXT,
    block_number BIGINT,
    block_hash TEXT,
    transaction_index BIGINT,
    gas_used BIGINT,
    cumulative_gas_used BIGINT,
    effective_gas_price TEXT,
    logs TEXT,
    logs_bloom TEXT,
    currency TEXT NOT NULL,
    fiat_amount BIGINT NOT NULL,
    token_amount TEXT,
    rate TEXT,
    rate_source TEXT,
    rate_at BIGINT,
    reason TEXT,
    execution_date BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX transactions_pull ON transactions(pull_payment_id, pull_index) WHERE pull_index IS NOT NULL AND status <> 2;
CREATE UNIQUE INDEX transactions_hash ON transactions(tx_hash) WHERE tx_hash IS NOT NULL;
CREATE INDEX transactions_business ON transactions(business_id, network_id, created_at);
CREATE INDEX transactions_payment ON transactions(pull_payment_id, created_at);
CREATE INDEX transactions_product ON transactions(product_id, network_id);

-- Price of one PMA in each fiat currency (exact decimal text), as the rate source last set it.
CREATE TABLE exchange_rates (
    currency TEXT PRIMARY KEY,
    rate TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- How far the test clock moved a network's time ahead of the wall clock (seconds).
CREATE TABLE network_clocks (
    network_id BIGINT PRIMARY KEY,
    offset_secs BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
