-- Quotes are single-use and bound to a customer (issue 10).
-- customer_id: the customer the quote was asked for (NULL: none named; the first order
--   that uses it binds it). used_by_order: the order it priced, set in the placement's
--   own D1 batch by a statement guarded on it being NULL, so two concurrent orders on
--   one quote cannot both be written.
ALTER TABLE quotes ADD COLUMN customer_id TEXT;
ALTER TABLE quotes ADD COLUMN used_by_order TEXT;
