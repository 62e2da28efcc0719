// Every on-chain step resumes from what is stored (issue 12): the worker is killed
// (SIGKILL of wrangler dev) right after a payout transaction's status changed and before
// its orders followed (FAULT_INJECTION=stop_after_sent_status | stop_after_confirmed_status
// | stop_after_rejected_status), restarted on the same state without the fault, and a
// plain Advance message for the order finishes the step. Queue messages do not survive a
// wrangler dev restart, so the Advance comes from the client's retry of its order (same
// Idempotency-Key: the stalled order is re-enqueued); once deployed, the outbox sweeper
// enqueues the same message for any overdue order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onboard, orderBody, placeOrder, sampleConfig, setRates } from '../support/api.mjs';
import { startFakeChain } from '../support/chain.mjs';
import {
  CHANGE, DEST, FUNDING, getOrder, liveVars, order, scriptOf,
} from '../support/payouts.mjs';
import { eventually } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

/**
 * Places an order on a worker with `fault`, waits until `held(chain, order)` has been
 * true for a few payout runs, kills the worker, restarts it on the same state without the
 * fault, and re-enqueues the order's Advance until `done(order)`.
 */
async function killAndResume(fault, { before = () => {}, held, done }) {
  const chain = await startFakeChain();
  chain.fund(FUNDING, 'ab'.repeat(32), 0, 600_000);
  let worker = await startWorker({ vars: liveVars(chain, { FAULT_INJECTION: fault }) });
  try {
    const client = await onboard(worker.url, sampleConfig());
    await setRates(worker.url);
    chain.watch(CHANGE, await scriptOf(worker, client.api_key, CHANGE));
    before(chain);
    const placed = await order(worker, client, 'rhea', '30.00', 'rhea-1');
    await eventually(async () => held(chain, await getOrder(worker, client, placed.id)), { timeoutMs: 30_000 });
    await sleep(5_000); // several runs (one every 2 s) with the fault: the order stays behind
    const stuck = await getOrder(worker, client, placed.id);
    assert.ok(held(chain, stuck), `still held: ${stuck.status}`);
    const postsBefore = chain.posts.length;
    await worker.kill();
    worker = await startWorker({ vars: liveVars(chain), persistDir: worker.persistDir });
    const finished = await eventually(async () => {
      await placeOrder(worker.url, client.api_key, 'rhea', orderBody({ amount: '30.00', destination_address: DEST }), 'rhea-1');
      const o = await getOrder(worker, client, placed.id);
      return done(o) ? o : null;
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    return { chain, finished, stuck, postsBefore };
  } finally {
    await worker.stop();
    await chain.stop();
  }
}

test('killed after the transaction was marked sent: the order catches up to sent, before any block', async () => {
  const { chain, finished, stuck, postsBefore } = await killAndResume('stop_after_sent_status', {
    // Sent once and never again: the transaction is stored as sent, the order is not.
    held: (c, o) => c.posts.length === 1 && o.status === 'processing',
    done: (o) => o.status === 'sent',
  });
  assert.equal(stuck.status, 'processing');
  assert.equal(postsBefore, 1);
  assert.equal(chain.posts.length, 1, 'not sent again');
  assert.equal(chain.confirmed.size, 0, 'no block was needed');
  assert.deepEqual([...chain.txids()], [finished.tx_id]);
});

test('killed after the transaction was marked confirmed: the order catches up to completed', async () => {
  const { chain, finished } = await killAndResume('stop_after_confirmed_status', {
    held: (c, o) => {
      if (o.status === 'sent' && c.confirmed.size === 0) c.mine();
      return c.confirmed.size === 1 && o.status === 'sent';
    },
    done: (o) => o.status === 'completed',
  });
  assert.deepEqual([...chain.txids()], [finished.tx_id]);
  assert.ok(chain.confirmed.has(finished.tx_id));
});

test('killed after the transaction was marked rejected: the order catches up to failed', async () => {
  const { chain, finished } = await killAndResume('stop_after_rejected_status', {
    before: (c) => { c.rejectWith = 'sendrawtransaction RPC error: {"code":-26,"message":"min relay fee not met, 100 < 141"}'; },
    // Rejected once and never sent again: the rejection is stored, the order is behind.
    held: (c, o) => c.posts.length === 1 && o.status === 'processing',
    done: (o) => o.status === 'failed',
  });
  assert.equal(finished.status_history.at(-1).failure_reason, 'broadcast_rejected');
  assert.equal(chain.posts.length, 1);
  assert.equal(chain.mempool.size, 0);
});
