-- Settlement modes (issue 12): every order remembers whether it was placed in sandbox
-- mode (0) or on-chain mode (1), so that switching SETTLEMENT_MODE never pays a sandbox
-- order with real coins, nor fakes a live one.
ALTER TABLE orders ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;
