// On-chain payouts end to end (issue 12): wrangler dev in SETTLEMENT_MODE=onchain with
// the BIP-84 test vector's account key as the hot wallet, against a fake Esplora on
// loopback (tests/support/chain.mjs). Order -> one signed transaction paying exactly
// the quoted amount -> sent -> completed at the configured depth; each failure reason
// with the customer's limit room given back; and a worker killed between signing and
// broadcast, or between broadcast and the status change, still pays once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { onboard, orderBody, placeOrder, sampleConfig, setRates } from '../support/api.mjs';
import { parseTx, startFakeChain } from '../support/chain.mjs';
import {
  CHANGE, DEST, FUNDING, getOrder, liveVars, order, sats, scriptOf, until,
} from '../support/payouts.mjs';
import { eventually } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

describe('on-chain payouts', () => {
  let chain; let worker; let client;

  before(async () => {
    chain = await startFakeChain();
    chain.fund(FUNDING, 'aa'.repeat(32), 0, 1_000_000);
    worker = await startWorker({ vars: liveVars(chain) });
    client = await onboard(worker.url, sampleConfig());
    await setRates(worker.url);
    chain.watch(CHANGE, await scriptOf(worker, client.api_key, CHANGE));
  });

  after(async () => {
    await worker?.stop();
    await chain?.stop();
  });

  test('an order is paid by one signed transaction of exactly the quoted amount, sent, then completed', async () => {
    const placed = await order(worker, client, 'pat', '50.00', 'pat-1');
    assert.equal(placed.livemode, true);
    const sent = await until(worker, client, placed.id, 'sent');
    assert.match(sent.tx_id, /^[0-9a-f]{64}$/);
    assert.equal(sent.sandbox_reference, null);
    assert.deepEqual([...chain.txids()], [sent.tx_id]);
    const tx = parseTx(chain.mempool.get(sent.tx_id).hex);
    assert.deepEqual(tx.inputs, [{ txid: 'aa'.repeat(32), vout: 0 }]);
    const destScript = await scriptOf(worker, client.api_key, DEST);
    const paid = tx.outputs.filter((o) => o.script === destScript);
    assert.equal(paid.length, 1);
    assert.equal(paid[0].value, sats(placed.crypto_amount));
    const fee = 1_000_000n - tx.outputs.reduce((s, o) => s + o.value, 0n);
    assert.ok(fee > 0n && fee < 5_000n, `fee ${fee}`);
    chain.mine();
    const done = await until(worker, client, placed.id, 'completed');
    assert.equal(done.tx_id, sent.tx_id);
    assert.deepEqual(done.status_history.map((s) => s.status), ['pending', 'processing', 'sent', 'completed']);
  });

  test('more than the hot wallet holds fails with insufficient_hot_wallet_funds and gives the limit room back', async () => {
    // 900 EUR is about 0.0148 BTC; the wallet holds less than 0.01 BTC.
    const big = await order(worker, client, 'quinn', '900.00', 'quinn-1');
    const failed = await until(worker, client, big.id, 'failed');
    assert.equal(failed.status_history.at(-1).failure_reason, 'insufficient_hot_wallet_funds');
    assert.equal(failed.tx_id, null);
    // Daily limit 2000: 900 + 900 + 250 would exceed it if the failed order still counted.
    await order(worker, client, 'quinn', '900.00', 'quinn-2');
    const third = await placeOrder(worker.url, client.api_key, 'quinn', orderBody({ amount: '250.00', destination_address: DEST }), 'quinn-3');
    assert.equal(third.status, 201, third.text);
  });

  test('a fee rate above the cap fails with fee_rate_above_cap', async () => {
    const saved = chain.feeEstimates;
    chain.feeEstimates = '{"1": 900.5, "3": 750.25, "6": 600.0}';
    try {
      const o = await order(worker, client, 'rene', '20.00', 'rene-1');
      const failed = await until(worker, client, o.id, 'failed');
      assert.equal(failed.status_history.at(-1).failure_reason, 'fee_rate_above_cap');
    } finally {
      chain.feeEstimates = saved;
    }
  });

  test('a destination that is the hot wallet itself fails with address_unusable and gives the limit room back', async () => {
    // Valid for BTC mainnet, so placement takes it; only the payout run knows it is the
    // hot wallet's own funding address: paying it would leave the coins with the operator.
    const own = await order(worker, client, 'uma', '900.00', 'uma-1', FUNDING);
    const failed = await until(worker, client, own.id, 'failed');
    assert.equal(failed.status_history.at(-1).failure_reason, 'address_unusable');
    assert.equal(failed.tx_id, null);
    assert.ok(!chain.posts.some((hex) => parseTx(hex).outputs.some((o) => o.value === sats(own.crypto_amount))), 'never signed');
    // Daily limit 2000: 900 + 900 + 250 would exceed it if the failed order still counted.
    const second = await placeOrder(worker.url, client.api_key, 'uma', orderBody({ amount: '900.00', destination_address: DEST }), 'uma-2');
    assert.equal(second.status, 201, second.text);
    const third = await placeOrder(worker.url, client.api_key, 'uma', orderBody({ amount: '250.00', destination_address: DEST }), 'uma-3');
    assert.equal(third.status, 201, third.text);
    // Settled before the next test (900 is more than the wallet holds), so no batch mixes them.
    await until(worker, client, second.body.id, 'failed');
    await until(worker, client, third.body.id, 'sent');
  });

  test("a node refusing the destination's script fails a single payout with address_unusable", async () => {
    // Bitcoin Core's IsStandardTx reason for a non-standard output script.
    chain.rejectWith = 'sendrawtransaction RPC error: {"code":-26,"message":"scriptpubkey"}';
    try {
      const o = await order(worker, client, 'vera', '20.00', 'vera-1');
      const failed = await until(worker, client, o.id, 'failed');
      assert.equal(failed.status_history.at(-1).failure_reason, 'address_unusable');
    } finally {
      chain.rejectWith = null;
    }
  });

  test("a node rejection fails with broadcast_rejected and frees the coins", async () => {
    chain.rejectWith = 'sendrawtransaction RPC error: {"code":-26,"message":"min relay fee not met, 100 < 141"}';
    let rejected;
    try {
      const o = await order(worker, client, 'sam', '20.00', 'sam-1');
      rejected = await until(worker, client, o.id, 'failed');
      assert.equal(rejected.status_history.at(-1).failure_reason, 'broadcast_rejected');
    } finally {
      chain.rejectWith = null;
    }
    const next = await order(worker, client, 'sam', '20.00', 'sam-2');
    const sent = await until(worker, client, next.id, 'sent');
    assert.match(sent.tx_id, /^[0-9a-f]{64}$/);
  });
});

/** Kills the worker at a fault point, restarts it on the same state, and checks one payment. */
async function crashAndRecover(fault, reached) {
  const chain = await startFakeChain();
  chain.fund(FUNDING, 'bb'.repeat(32), 1, 500_000);
  let worker = await startWorker({ vars: liveVars(chain, { FAULT_INJECTION: fault }) });
  try {
    const client = await onboard(worker.url, sampleConfig());
    await setRates(worker.url);
    chain.watch(CHANGE, await scriptOf(worker, client.api_key, CHANGE));
    const placed = await order(worker, client, 'tess', '30.00', 'tess-1');
    await eventually(async () => reached(chain, await getOrder(worker, client, placed.id)), { timeoutMs: 30_000 });
    const postsBefore = chain.posts.length;
    await worker.kill();
    worker = await startWorker({ vars: liveVars(chain), persistDir: worker.persistDir });
    // The queue lived in memory: the client's retry of its order (same Idempotency-Key)
    // finds it stalled and re-enqueues its settlement.
    const sent = await eventually(async () => {
      await placeOrder(worker.url, client.api_key, 'tess', orderBody({ amount: '30.00', destination_address: DEST }), 'tess-1');
      const o = await getOrder(worker, client, placed.id);
      return o.status === 'sent' ? o : null;
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    assert.deepEqual([...chain.txids()], [sent.tx_id], 'one transaction, never two');
    assert.ok(chain.posts.every((hex) => hex === chain.posts[0]), 'only the same bytes were sent again');
    chain.mine();
    await eventually(async () => (await getOrder(worker, client, placed.id)).status === 'completed', { timeoutMs: 30_000 });
    return { postsBefore };
  } finally {
    await worker.stop();
    await chain.stop();
  }
}

test('killed between signing and broadcast: after a restart the order completes with one transaction', async () => {
  // Signed and stored (the order is processing), never broadcast: the fault holds it.
  const { postsBefore } = await crashAndRecover('stop_after_sign', (chain, o) => o.status === 'processing');
  assert.equal(postsBefore, 0);
});

test('killed between broadcast and the status change: after a restart the order completes with one transaction', async () => {
  // The node has it, the order does not know yet: the fault skips the status change.
  const { postsBefore } = await crashAndRecover('stop_after_broadcast', (chain, o) => chain.posts.length > 0 && o.status === 'processing');
  assert.ok(postsBefore >= 1, `${postsBefore} broadcasts before the kill`);
});
