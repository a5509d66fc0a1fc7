-- Console registrations per client IP, for the registration throttle (only the current window
-- is kept).
CREATE TABLE console_registrations (
    id TEXT PRIMARY KEY,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX console_registrations_ip ON console_registrations(ip, created_at);
CREATE INDEX console_login_failures_email_ip ON console_login_failures(email, ip, created_at);
