-- Security configuration (issue 10): several API keys per client, each with its scopes,
-- an optional IP allowlist, an expiry and a revocation time. Only a key's SHA-256 is
-- stored; the key itself is shown once, when it is created.
--
-- scopes: space-separated, "read" or "read trade" (trade includes read).
-- ip_allowlist: a JSON array of IP addresses and CIDR ranges, NULL for any address.
-- last_used_at: written at most once a minute per key, after the response.
CREATE TABLE api_keys (
  key_id        TEXT PRIMARY KEY,
  client_id     TEXT NOT NULL REFERENCES clients(client_id),
  key_sha256    TEXT NOT NULL UNIQUE,
  key_prefix    TEXT NOT NULL,          -- the key's first characters, to tell keys apart in lists
  scopes        TEXT NOT NULL,
  ip_allowlist  TEXT,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  expires_at    INTEGER,
  revoked_at    INTEGER
);
CREATE INDEX api_keys_by_client ON api_keys(client_id, created_at);

-- Every existing client's key becomes a key with both scopes, no allowlist, no expiry.
-- clients.api_key_sha256 keeps the digest of a client's first key and is no longer read.
INSERT INTO api_keys (key_id, client_id, key_sha256, key_prefix, scopes, ip_allowlist, created_at)
SELECT 'key_' || lower(hex(randomblob(16))), client_id, api_key_sha256, '', 'read trade', NULL, created_at
FROM clients;

-- Retention (the cron): expired quotes are found by their expiry, idempotency keys by age.
CREATE INDEX quotes_by_expiry ON quotes(expires_at);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
