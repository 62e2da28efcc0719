-- Issue 12, the rest of the on-chain payout path.
--
-- The daily outflow cap counts what each payout pays (base units), so the item keeps
-- its amount; rows from before this migration read it from their transaction's plan.
ALTER TABLE payout_items ADD COLUMN amount INTEGER;
UPDATE payout_items SET amount = (
  SELECT json_extract(t.plan_json, '$.tx.outputs[' || payout_items.output_index || '].value')
  FROM payout_txs t WHERE t.txid = payout_items.txid);

-- Payouts the daily outflow cap held for the operator. status: held | released |
-- failed. A held or failed payout is never signed; a released one is signed by the next
-- run whatever the cap says. outflow and cap are the figures when it was held.
CREATE TABLE payout_holds (
  order_id    TEXT PRIMARY KEY REFERENCES orders(order_id),
  crypto      TEXT NOT NULL,
  network     TEXT NOT NULL,
  amount      INTEGER NOT NULL,
  outflow     INTEGER NOT NULL,
  cap         INTEGER NOT NULL,
  status      TEXT NOT NULL,
  held_at     INTEGER NOT NULL,
  decided_at  INTEGER
);
CREATE INDEX payout_holds_by_status ON payout_holds(status, held_at);

-- Fee bumps (BIP-125): a replacement is a payout transaction of its own whose
-- `replaces` names the first transaction of its payout (whose items and coins stay
-- where they are). `sent_at` is when the node first took a transaction. Two statuses
-- join signed | sent | confirmed | rejected: `replaced` (a replacement was taken; still
-- watched, it may yet confirm) and `conflicted` (another transaction of the payout
-- confirmed).
ALTER TABLE payout_txs ADD COLUMN replaces TEXT REFERENCES payout_txs(txid);
ALTER TABLE payout_txs ADD COLUMN sent_at INTEGER;
CREATE INDEX payout_txs_by_original ON payout_txs(replaces);
