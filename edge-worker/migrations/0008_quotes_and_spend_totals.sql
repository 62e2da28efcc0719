-- Quotes are single-use and bound to a customer (issue 10).
-- customer_id: the customer the quote was asked for (NULL: none named; the first order
--   that uses it binds it). used_by_order: the order it priced, set in the placement's
--   own D1 batch by a statement guarded on it being NULL, so two concurrent orders on
--   one quote cannot both be written.
ALTER TABLE quotes ADD COLUMN customer_id TEXT;
ALTER TABLE quotes ADD COLUMN used_by_order TEXT;

-- What each customer spent per fiat in each limit window (UTC day, UTC month), kept by
-- the order writes themselves: the placement batch adds an order's fiat total to its
-- day and month rows, and a transition to a status that no longer counts (failed,
-- expired) takes it back off. The placement guard and the read of the spent totals
-- are then primary-key lookups, not sums over the customer's orders of the month.
CREATE TABLE customer_spend (
  client_id     TEXT NOT NULL,
  customer_id   TEXT NOT NULL,
  fiat          TEXT NOT NULL,
  period        TEXT NOT NULL,      -- 'day' or 'month'
  period_start  INTEGER NOT NULL,   -- Unix ms of the window's start (UTC)
  total_minor   INTEGER NOT NULL,   -- minor units, like orders.fiat_total_minor
  PRIMARY KEY (client_id, customer_id, fiat, period, period_start)
);

-- The totals of the orders placed before this migration.
INSERT INTO customer_spend (client_id, customer_id, fiat, period, period_start, total_minor)
SELECT client_id, customer_id, fiat, 'day', created_at - created_at % 86400000, SUM(fiat_total_minor)
FROM orders WHERE status NOT IN ('failed', 'expired')
GROUP BY client_id, customer_id, fiat, created_at - created_at % 86400000;

INSERT INTO customer_spend (client_id, customer_id, fiat, period, period_start, total_minor)
SELECT client_id, customer_id, fiat, 'month',
       CAST(strftime('%s', created_at / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000,
       SUM(fiat_total_minor)
FROM orders WHERE status NOT IN ('failed', 'expired')
GROUP BY client_id, customer_id, fiat,
         CAST(strftime('%s', created_at / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000;
