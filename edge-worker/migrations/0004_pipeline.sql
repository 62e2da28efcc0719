-- The durable pipeline (issue 10): an outbox that the cron sweeper reads.
--
-- orders.next_step_at: when the order's next settlement step is due (Unix ms); NULL once
-- the order is final. The queue normally takes the step on time; the sweeper re-enqueues
-- an order whose step is overdue by more than its grace (a lost or failed queue send, a
-- restart that dropped the in-memory queue).
ALTER TABLE orders ADD COLUMN next_step_at INTEGER;
UPDATE orders SET next_step_at = updated_at
 WHERE status NOT IN ('completed', 'failed', 'expired');
CREATE INDEX orders_next_step ON orders(next_step_at) WHERE next_step_at IS NOT NULL;
-- Kept by the database itself, whichever statement places or moves an order: a new or
-- moved order's next step is due a second after (the sandbox's step delay); a final
-- order has none. The on-chain settlement postpones it while it polls the chain.
CREATE TRIGGER orders_next_step_on_insert AFTER INSERT ON orders
WHEN NEW.status NOT IN ('completed', 'failed', 'expired')
BEGIN
  UPDATE orders SET next_step_at = NEW.updated_at + 1000 WHERE order_id = NEW.order_id;
END;
CREATE TRIGGER orders_next_step_on_move AFTER UPDATE OF status ON orders
WHEN NEW.status IS NOT OLD.status
BEGIN
  UPDATE orders SET next_step_at = CASE
      WHEN NEW.status IN ('completed', 'failed', 'expired') THEN NULL
      ELSE NEW.updated_at + 1000 END
   WHERE order_id = NEW.order_id;
END;

-- webhook_events: the delivery state of each event (pending | delivered | failed |
-- no_endpoint), when its next attempt is due (NULL unless pending) and when the last
-- attempt ran. `attempts` (0001) counts the attempts of the current schedule.
ALTER TABLE webhook_events ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE webhook_events ADD COLUMN next_attempt_at INTEGER;
ALTER TABLE webhook_events ADD COLUMN last_attempt_at INTEGER;
UPDATE webhook_events SET state = 'delivered' WHERE delivered_at IS NOT NULL;
UPDATE webhook_events SET next_attempt_at = created_at WHERE state = 'pending';
-- A new event is due at once.
CREATE TRIGGER webhook_events_due_on_insert AFTER INSERT ON webhook_events
WHEN NEW.next_attempt_at IS NULL AND NEW.state = 'pending'
BEGIN
  UPDATE webhook_events SET next_attempt_at = NEW.created_at WHERE event_id = NEW.event_id;
END;
CREATE INDEX webhook_events_due ON webhook_events(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_events_by_client ON webhook_events(client_id, created_at DESC, event_id DESC);
CREATE INDEX webhook_events_by_order ON webhook_events(order_id, sequence);

-- A client's webhook endpoint, disabled when it answered 410 Gone (Standard Webhooks:
-- "the server is no longer interested"); a new configuration enables it again.
CREATE TABLE webhook_endpoints (
  client_id        TEXT PRIMARY KEY REFERENCES clients(client_id),
  disabled_at      INTEGER,
  disabled_reason  TEXT
);

-- Messages a queue gave up on (its dead-letter queue's consumer writes them here), for
-- the operator to see and replay (GET /v1/admin/dead-letters, POST .../{id}/replay).
CREATE TABLE dead_letters (
  dead_letter_id  TEXT PRIMARY KEY,
  queue           TEXT NOT NULL,       -- the queue the message was meant for
  body            TEXT NOT NULL,       -- the message body (JSON)
  received_at     INTEGER NOT NULL,
  replayed_at     INTEGER
);
CREATE INDEX dead_letters_by_time ON dead_letters(received_at DESC, dead_letter_id DESC);
