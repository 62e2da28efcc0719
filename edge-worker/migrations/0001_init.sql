-- CryptoExchange API: the whole D1 schema.
-- Times are Unix milliseconds (INTEGER); amounts are decimal strings (TEXT), except
-- fiat_total_minor which is the order's fiat total in minor units so that limit sums
-- are exact integer sums in SQL.

CREATE TABLE clients (
  client_id       TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  api_key_sha256  TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the API key; the key itself is never stored
  webhook_secret  TEXT NOT NULL,          -- HMAC-SHA256 key for webhook signatures
  config_json     TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE quotes (
  quote_id    TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL REFERENCES clients(client_id),
  quote_json  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX quotes_by_client ON quotes(client_id, quote_id);

-- Next derivation index per client and currency; allocated with a single
-- UPDATE ... RETURNING so two requests never get the same index.
CREATE TABLE address_counters (
  client_id   TEXT NOT NULL REFERENCES clients(client_id),
  crypto      TEXT NOT NULL,
  next_index  INTEGER NOT NULL,
  PRIMARY KEY (client_id, crypto)
);

CREATE TABLE customer_addresses (
  client_id         TEXT NOT NULL REFERENCES clients(client_id),
  customer_id       TEXT NOT NULL,
  crypto            TEXT NOT NULL,
  network           TEXT NOT NULL,
  derivation_index  INTEGER NOT NULL,
  derivation_path   TEXT NOT NULL,
  address           TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  PRIMARY KEY (client_id, crypto, derivation_index)
);
CREATE INDEX customer_addresses_by_customer ON customer_addresses(client_id, customer_id, created_at);

CREATE TABLE orders (
  order_id             TEXT PRIMARY KEY,
  client_id            TEXT NOT NULL REFERENCES clients(client_id),
  customer_id          TEXT NOT NULL,
  crypto               TEXT NOT NULL,
  network              TEXT NOT NULL,
  fiat                 TEXT NOT NULL,
  fiat_total_minor     INTEGER NOT NULL,
  quote_json           TEXT NOT NULL,     -- the priced quote the order was placed at (amounts, fees, rate)
  quote_id             TEXT,
  destination_address  TEXT NOT NULL,
  status               TEXT NOT NULL,
  tx_id                TEXT,
  failure_reason       TEXT,
  event_sequence       INTEGER NOT NULL DEFAULT 0,  -- last webhook event sequence number of this order
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX orders_by_customer ON orders(client_id, customer_id, created_at DESC, order_id DESC);

CREATE TABLE order_status_history (
  order_id        TEXT NOT NULL REFERENCES orders(order_id),
  sequence        INTEGER NOT NULL,
  status          TEXT NOT NULL,
  failure_reason  TEXT,
  tx_id           TEXT,
  at              INTEGER NOT NULL,
  PRIMARY KEY (order_id, sequence)
);

-- One row per Idempotency-Key; the primary key makes a concurrent duplicate
-- placement fail its whole batch, so nothing of it is written.
CREATE TABLE idempotency_keys (
  client_id     TEXT NOT NULL REFERENCES clients(client_id),
  idem_key      TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  order_id      TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (client_id, idem_key)
);

-- Transfers made by the sandbox settlement, added to chain balances in sandbox mode.
CREATE TABLE sandbox_ledger (
  tx_id       TEXT PRIMARY KEY,
  order_id    TEXT NOT NULL UNIQUE REFERENCES orders(order_id),
  crypto      TEXT NOT NULL,
  address     TEXT NOT NULL,
  amount      TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX sandbox_ledger_by_address ON sandbox_ledger(crypto, address);

CREATE TABLE webhook_events (
  event_id      TEXT PRIMARY KEY,
  client_id     TEXT NOT NULL REFERENCES clients(client_id),
  order_id      TEXT NOT NULL,
  sequence      INTEGER NOT NULL,
  body          TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  delivered_at  INTEGER,
  last_error    TEXT,
  created_at    INTEGER NOT NULL,
  UNIQUE (order_id, sequence)
);
