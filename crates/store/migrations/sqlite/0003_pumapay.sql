-- Pull-payment API (seed 004), business side: businesses and their console users, sessions,
-- API keys, products, payment models, and the minimal pull payments/transactions that
-- product statistics aggregate from.

CREATE TABLE businesses (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES businesses(id),
    company_name TEXT NOT NULL,
    business_name TEXT,
    business_type BIGINT,
    description TEXT,
    kyc_tier_id TEXT,
    country_id TEXT,
    state TEXT,
    city TEXT,
    zip_code TEXT,
    street_address1 TEXT,
    street_address2 TEXT,
    industry1 BIGINT,
    industry2 BIGINT,
    url TEXT,
    treasury_wallet TEXT,
    gas_wallet TEXT NOT NULL,
    gas_wallet_index BIGINT NOT NULL UNIQUE,
    is_psp BIGINT NOT NULL,
    disabled BIGINT NOT NULL,
    details_submitted BIGINT NOT NULL,
    details_approved BIGINT NOT NULL,
    kyc_submitted BIGINT NOT NULL,
    kyc_approved BIGINT NOT NULL,
    kyc_requested BIGINT NOT NULL,
    kyc_rejected BIGINT NOT NULL,
    treasury_submitted BIGINT NOT NULL,
    treasury_approved BIGINT NOT NULL,
    pride_requested BIGINT NOT NULL,
    pride_approved BIGINT NOT NULL,
    is_trusted BIGINT NOT NULL,
    status_updated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX businesses_parent ON businesses(parent_id);

CREATE TABLE business_users (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    phone_number TEXT,
    job_title TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX business_users_business ON business_users(business_id);

CREATE TABLE console_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES business_users(id),
    business_id TEXT NOT NULL REFERENCES businesses(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE console_login_failures (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX console_login_failures_email ON console_login_failures(email, created_at);
CREATE INDEX console_login_failures_ip ON console_login_failures(ip, created_at);

CREATE TABLE business_api_keys (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id),
    key_hash TEXT NOT NULL UNIQUE,
    key_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX business_api_keys_business ON business_api_keys(business_id);

CREATE TABLE platform_secrets (
    name TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE platform_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE product_images (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id),
    category_id BIGINT NOT NULL,
    tags TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    url TEXT NOT NULL,
    image_id TEXT REFERENCES product_images(id),
    verified BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_business ON products(business_id, created_at);

CREATE TABLE payment_models (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    network_id BIGINT NOT NULL,
    type_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    title TEXT,
    internal_title TEXT,
    description TEXT,
    amount BIGINT,
    initial_payment_amount BIGINT NOT NULL,
    trial_period BIGINT NOT NULL,
    currency TEXT,
    number_of_payments BIGINT,
    frequency BIGINT,
    treasury_wallet TEXT NOT NULL,
    destination TEXT NOT NULL,
    top_up_threshold BIGINT,
    top_up_threshold_currency TEXT,
    top_up_suggested_total_limit BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX payment_models_product ON payment_models(product_id, network_id, created_at);

CREATE TABLE pull_payments (
    id TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id),
    payment_model_id TEXT NOT NULL REFERENCES payment_models(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    network_id BIGINT NOT NULL,
    customer_address TEXT NOT NULL,
    unique_reference_id TEXT,
    status BIGINT NOT NULL,
    currency TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX pull_payments_product ON pull_payments(product_id, network_id);

CREATE TABLE transactions (
    id TEXT PRIMARY KEY,
    pull_payment_id TEXT NOT NULL REFERENCES pull_payments(id),
    business_id TEXT NOT NULL REFERENCES businesses(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    network_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    fiat_amount BIGINT NOT NULL,
    status BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX transactions_product ON transactions(product_id, network_id);
