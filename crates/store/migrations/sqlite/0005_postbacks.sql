-- A postback URL (seed 004) is a webhook_endpoints row (owner_id = business id, mode = 'net1' or
-- 'net3'); this table adds what the pull-payment API says about it.
CREATE TABLE postbacks (
    endpoint_id TEXT PRIMARY KEY REFERENCES webhook_endpoints(id),
    business_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    parent_postback_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX postbacks_business ON postbacks(business_id, network_id);

-- Which postback a business, product or payment model uses on a network.
CREATE TABLE postback_links (
    scope TEXT NOT NULL,
    scope_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    business_id TEXT NOT NULL,
    postback_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, scope_id, network_id)
);
CREATE INDEX postback_links_postback ON postback_links(postback_id);

-- Postback-control switches per business and network; no row means everything on.
CREATE TABLE postback_controls (
    business_id TEXT NOT NULL,
    network_id BIGINT NOT NULL,
    product BIGINT NOT NULL,
    payment_model BIGINT NOT NULL,
    business BIGINT NOT NULL,
    parent_business BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (business_id, network_id)
);
