-- Indexes so that no request reads a customer's whole order history.
--
-- The limit sums (placement's read and the guard of its insert) read only the orders
-- of one customer in one fiat since the month start, from the index alone.
CREATE INDEX orders_spent ON orders(client_id, customer_id, fiat, created_at, status, fiat_total_minor);

-- The list filters of GET /v1/customers/{customer_id}/orders: each equality filter
-- has an index in the list's order, so a page stops after `limit` matching rows.
CREATE INDEX orders_by_customer_status ON orders(client_id, customer_id, status, created_at DESC, order_id DESC);
CREATE INDEX orders_by_customer_crypto ON orders(client_id, customer_id, crypto, created_at DESC, order_id DESC);
CREATE INDEX orders_by_customer_destination ON orders(client_id, customer_id, destination_address, created_at DESC, order_id DESC);
