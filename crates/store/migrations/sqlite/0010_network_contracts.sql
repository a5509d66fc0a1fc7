-- The PMA token and pull-payment contract the server deployed itself on a local development node
-- (chain id 31337 or 1337, no addresses configured), so every restart and process reuses them.
CREATE TABLE network_contracts (
    network_id BIGINT NOT NULL,
    chain_id BIGINT NOT NULL,
    token TEXT NOT NULL,
    pull_payments TEXT NOT NULL,
    deployed_at BIGINT NOT NULL,
    PRIMARY KEY (network_id, chain_id)
);
