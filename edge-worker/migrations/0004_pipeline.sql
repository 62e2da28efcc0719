-- The durable pipeline (issue 10): an outbox that the cron sweeper reads.
--
-- When an unfinished order's next settlement step is due: `next_step_at` when set (the
-- on-chain settlement sets it while it polls the chain), else a second after its last
-- change (`updated_at`, the sandbox's step delay). A status change clears it. The queue
-- normally takes the step on time; the sweeper re-enqueues an order whose step is overdue
-- by more than its grace (a lost or failed queue send, a restart that dropped the
-- in-memory queue). No triggers: every writer of a status keeps working unchanged (and
-- D1's `changes` count of a status UPDATE stays 1).
ALTER TABLE orders ADD COLUMN next_step_at INTEGER;
CREATE INDEX orders_unfinished ON orders(updated_at)
  WHERE status IN ('pending', 'processing', 'sent');

-- webhook_events: the delivery state of each event (pending | delivered | failed |
-- no_endpoint), when its next attempt is due (NULL for a new event: due at created_at)
-- and when the last attempt ran. `attempts` (0001) counts the attempts of the current
-- schedule.
ALTER TABLE webhook_events ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE webhook_events ADD COLUMN next_attempt_at INTEGER;
ALTER TABLE webhook_events ADD COLUMN last_attempt_at INTEGER;
UPDATE webhook_events SET state = 'delivered' WHERE delivered_at IS NOT NULL;
CREATE INDEX webhook_events_pending ON webhook_events(created_at) WHERE state = 'pending';
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
