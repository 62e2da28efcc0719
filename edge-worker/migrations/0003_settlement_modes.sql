-- Settlement modes (issue 12): every order remembers whether it was placed in sandbox
-- mode (0) or on-chain mode (1), so that switching SETTLEMENT_MODE never pays a sandbox
-- order with real coins, nor fakes a live one.
ALTER TABLE orders ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;

-- On-chain payouts: a signed transaction is stored with the orders it pays and the coins
-- it spends, in one guarded batch, before it is first broadcast; it is only ever sent
-- again byte for byte. status: signed | sent | confirmed | rejected.
CREATE TABLE payout_txs (
  txid        TEXT PRIMARY KEY,
  crypto      TEXT NOT NULL,
  network     TEXT NOT NULL,
  raw_tx      TEXT NOT NULL,
  plan_json   TEXT NOT NULL,
  fee         INTEGER NOT NULL,
  vsize       INTEGER NOT NULL,
  status      TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,   -- broadcasts without a verdict
  last_error  TEXT,                          -- the node's message of a rejection
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX payout_txs_by_status ON payout_txs(crypto, status, created_at);

-- Which order each transaction pays; an order is in at most one (primary key).
CREATE TABLE payout_items (
  order_id      TEXT PRIMARY KEY REFERENCES orders(order_id),
  txid          TEXT NOT NULL REFERENCES payout_txs(txid),
  output_index  INTEGER NOT NULL
);
CREATE INDEX payout_items_by_tx ON payout_items(txid);

-- Coins (txid:vout) spent by a stored transaction; a coin is reserved at most once.
CREATE TABLE reserved_coins (
  outpoint  TEXT PRIMARY KEY,
  txid      TEXT NOT NULL REFERENCES payout_txs(txid)
);
