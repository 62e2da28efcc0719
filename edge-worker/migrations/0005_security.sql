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

-- Webhook secrets at rest: AES-256-GCM under a master key held as a Worker secret
-- (SECRETS_MASTER_KEYS, never in D1), with the id of that key so the master key can
-- rotate, and a fresh nonce per encryption. A client signs with every row not yet
-- expired: during a rotation's overlap, the new secret and the old one.
-- clients.webhook_secret keeps a client's secret in plain text only until it is first
-- read (then sealed here and blanked) or rotated; new clients never have one there.
CREATE TABLE webhook_secrets (
  secret_id      TEXT PRIMARY KEY,
  client_id      TEXT NOT NULL REFERENCES clients(client_id),
  master_key_id  TEXT NOT NULL,
  nonce          TEXT NOT NULL,      -- base64, 12 bytes
  ciphertext     TEXT NOT NULL,      -- base64, with the GCM tag; associated data "client_id:secret_id"
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER             -- NULL: the current secret; set by a rotation
);
CREATE INDEX webhook_secrets_by_client ON webhook_secrets(client_id, created_at);
