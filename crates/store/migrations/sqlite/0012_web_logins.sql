-- Logins of the web dashboard (issue 16): a user's password, one-time set-password links,
-- browser sessions (the cookie holds a random token, the table its hash) and failed attempts for
-- the login throttle (only the current window is kept).
ALTER TABLE users ADD COLUMN password_hash TEXT;

CREATE TABLE password_links (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_links_user ON password_links(user_id);

CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);

CREATE TABLE web_login_failures (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX web_login_failures_email_ip ON web_login_failures(email, ip, created_at);
CREATE INDEX web_login_failures_ip ON web_login_failures(ip, created_at);
