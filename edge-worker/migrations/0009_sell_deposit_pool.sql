-- Gap-limit-safe sell deposit addresses (issue 13). A sell order's deposit address is a
-- row of customer_addresses (the xpub's one chain of indexes, shared with the buy side's
-- receive addresses) marked 'deposit', naming the sell order it serves now. An address
-- that ever received anything is `funded` and never handed out again; an unfunded one
-- whose order expired and whose watch window is over is taken over by the next sell
-- order (core::sell::deposit decides; store::sell::place claims it, guarded, in the
-- placement's batch).
ALTER TABLE customer_addresses ADD COLUMN purpose TEXT NOT NULL DEFAULT 'receive';  -- 'receive' | 'deposit'
ALTER TABLE customer_addresses ADD COLUMN order_id TEXT;                           -- deposit: its sell order now
ALTER TABLE customer_addresses ADD COLUMN funded INTEGER NOT NULL DEFAULT 0;       -- deposit: a deposit was ever seen

-- The deposit addresses of the sell orders placed before this migration.
UPDATE customer_addresses SET
  purpose = 'deposit',
  order_id = (SELECT s.order_id FROM sell_orders s
              WHERE s.client_id = customer_addresses.client_id AND s.crypto = customer_addresses.crypto
                AND s.deposit_address = customer_addresses.address
              ORDER BY s.created_at DESC LIMIT 1),
  funded = EXISTS (SELECT 1 FROM sell_orders s
                   WHERE s.client_id = customer_addresses.client_id AND s.crypto = customer_addresses.crypto
                     AND s.deposit_address = customer_addresses.address
                     AND json_array_length(s.order_json, '$.deposits') > 0)
WHERE EXISTS (SELECT 1 FROM sell_orders s
              WHERE s.client_id = customer_addresses.client_id AND s.crypto = customer_addresses.crypto
                AND s.deposit_address = customer_addresses.address);

CREATE INDEX customer_addresses_unfunded_deposits
  ON customer_addresses(client_id, crypto, purpose, funded, derivation_index);
CREATE INDEX customer_addresses_of_order ON customer_addresses(order_id);
