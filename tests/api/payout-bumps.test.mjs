// Fee bumps by the worker (issue 12): a sent payout unconfirmed for
// PAYOUT_BUMP_AFTER_SECONDS whose fee rate is below the current estimate is replaced
// (BIP-125) through the core's bump: the same inputs, every payout output unchanged,
// the extra fee from the change only. The fake electrs replaces as Bitcoin Core does;
// whichever of the two transactions confirms completes the order, never both.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { onboard, sampleConfig, setRates } from '../support/api.mjs';
import { parseTx, startFakeChain } from '../support/chain.mjs';
import {
  CHANGE, FUNDING, getOrder, liveVars, order, scriptOf, until,
} from '../support/payouts.mjs';
import { eventually } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

const CALM = '{"1": 12.5, "3": 5.25, "6": 2.0, "144": 1.0}';
const BUSY = '{"1": 30.0, "3": 20.0, "6": 10.0, "144": 2.0}';

describe('fee bumps', () => {
  let chain; let worker; let client; let changeScript;

  before(async () => {
    chain = await startFakeChain();
    chain.fund(FUNDING, 'ee'.repeat(32), 0, 1_000_000);
    worker = await startWorker({ vars: liveVars(chain, { PAYOUT_BUMP_AFTER_SECONDS: '2' }) });
    client = await onboard(worker.url, sampleConfig());
    await setRates(worker.url);
    changeScript = await scriptOf(worker, client.api_key, CHANGE);
    chain.watch(CHANGE, changeScript);
  });

  after(async () => {
    await worker?.stop();
    await chain?.stop();
  });

  /** An order paid at the calm rate, then the estimate rises: the bump's transaction. */
  async function sentThenBumped(customer) {
    chain.feeEstimates = CALM;
    const placed = await order(worker, client, customer, '50.00', `${customer}-1`);
    const sent = await until(worker, client, placed.id, 'sent');
    const original = parseTx(chain.mempool.get(sent.tx_id).hex);
    chain.feeEstimates = BUSY;
    const bump = await eventually(() => chain.replaced.has(original.txid)
      && [...chain.mempool.values()].find((t) => t.parsed.inputs.some((i) => i.txid === original.inputs[0].txid))?.parsed);
    return { placed, original, bump };
  }

  test('a payout waiting at a rate below the estimate is replaced from its change, and the replacement completes it', async () => {
    const { placed, original, bump } = await sentThenBumped('bea');
    // Spends the original's inputs, keeps every payout output byte for byte.
    assert.deepEqual(bump.inputs, original.inputs);
    const payoutsOf = (tx) => tx.outputs.filter((o) => o.script !== changeScript);
    const changeOf = (tx) => tx.outputs.find((o) => o.script === changeScript).value;
    assert.deepEqual(payoutsOf(bump), payoutsOf(original));
    // The extra fee comes from the change alone, and reaches the new estimate.
    const [oldFee, newFee] = [chain.feeOf(original), chain.feeOf(bump)];
    assert.ok(newFee > oldFee, `${newFee} > ${oldFee}`);
    assert.equal(changeOf(original) - changeOf(bump), newFee - oldFee);
    assert.ok(newFee >= 20n * BigInt(bump.vsize), `${newFee} sat for ${bump.vsize} vB`);
    assert.ok(oldFee < 20n * BigInt(original.vsize));
    assert.equal((await getOrder(worker, client, placed.id)).status, 'sent');
    chain.mine();
    const done = await until(worker, client, placed.id, 'completed');
    assert.equal(done.tx_id, bump.txid);
    assert.ok(!chain.confirmed.has(original.txid));
  });

  test('an estimate above the fee cap bumps nothing and fails nothing', async () => {
    chain.feeEstimates = CALM;
    const placed = await order(worker, client, 'dina', '50.00', 'dina-1');
    const sent = await until(worker, client, placed.id, 'sent');
    const replacedBefore = chain.replaced.size;
    chain.feeEstimates = '{"1": 600.0, "3": 500.0, "6": 400.0}'; // the BTC cap is 200 sat/vB
    await new Promise((r) => { setTimeout(r, 8_000); }); // past PAYOUT_BUMP_AFTER_SECONDS, several runs
    assert.equal(chain.replaced.size, replacedBefore, 'no replacement');
    assert.ok(chain.mempool.has(sent.tx_id));
    assert.equal((await getOrder(worker, client, placed.id)).status, 'sent');
    chain.feeEstimates = CALM;
    chain.mine();
    assert.equal((await until(worker, client, placed.id, 'completed')).tx_id, sent.tx_id);
  });

  test('when the original confirms after all, it completes the order and the replacement is dropped', async () => {
    const { placed, original, bump } = await sentThenBumped('cleo');
    chain.feeEstimates = CALM; // no further bump meanwhile
    chain.confirmTx(original.txid); // a miner that never saw the replacement
    const done = await until(worker, client, placed.id, 'completed');
    assert.equal(done.tx_id, original.txid);
    assert.ok(!chain.confirmed.has(bump.txid));
    assert.deepEqual(done.status_history.map((s) => s.status), ['pending', 'processing', 'sent', 'completed']);
  });
});
