-- Selling crypto for fiat (issue 13). A sell order is a row of `orders` (side 'sell'),
-- so that the limit sums and the guarded insert of every placement count buys and sells
-- together; its deposit address is the row's destination_address and its
-- fiat_total_minor the fiat value of the crypto sold (crypto_value). What only a sell
-- has lives in sell_orders: the order as the API shows it (order_json, rewritten by each
-- change), a version that guards each change, and the sandbox's simulated clock.
ALTER TABLE orders ADD COLUMN side TEXT NOT NULL DEFAULT 'buy';

CREATE TABLE sell_orders (
  order_id         TEXT PRIMARY KEY REFERENCES orders(order_id),
  client_id        TEXT NOT NULL REFERENCES clients(client_id),
  crypto           TEXT NOT NULL,
  deposit_address  TEXT NOT NULL,
  order_json       TEXT NOT NULL,
  version          INTEGER NOT NULL,   -- = the sequence of the order's last webhook event
  write_token      TEXT NOT NULL,      -- the last write's random token: a batch's later statements check it
  clock            INTEGER NOT NULL,   -- sandbox: the latest simulated time (ms) the order was looked at
  watched          INTEGER NOT NULL DEFAULT 1,  -- 0 once the deposit watcher is done with it
  created_at       INTEGER NOT NULL
);
CREATE INDEX sell_orders_watched ON sell_orders(watched, crypto, created_at);
CREATE INDEX sell_orders_by_deposit ON sell_orders(crypto, deposit_address);

-- Sell quotes apart from the buy quotes: a buy order naming a sell quote finds none
-- (and a sell order naming a buy quote too), so a price of one side never serves the other.
CREATE TABLE sell_quotes (
  quote_id    TEXT PRIMARY KEY,
  client_id   TEXT NOT NULL REFERENCES clients(client_id),
  quote_json  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
