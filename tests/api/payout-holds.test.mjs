// The daily outflow cap end to end (issue 12): wrangler dev in SETTLEMENT_MODE=onchain
// with PAYOUT_DAILY_CAP_BTC set, against the fake electrs. A payout that would push the
// day's outflow above the cap is held (not signed, its order stays pending), younger
// ones that fit still go; the operator lists the held payouts, releases one (it is then
// paid, once) or fails one (`failed`, `rejected_by_operator`, limit room given back).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  admin, assertProblem, onboard, orderBody, placeOrder, sampleConfig, setRates,
} from '../support/api.mjs';
import { parseTx, startFakeChain } from '../support/chain.mjs';
import {
  CHANGE, DEST, FUNDING, getOrder, liveVars, order, sats, scriptOf, until,
} from '../support/payouts.mjs';
import { eventually } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

const CAP = '0.00150000'; // BTC a day; one 50 EUR order is about 0.00082 BTC

const paidTo = (chain, script) => [...chain.mempool.values()]
  .flatMap(({ parsed }) => parsed.outputs.filter((o) => o.script === script).map((o) => ({ txid: parsed.txid, value: o.value })));

describe('the daily outflow cap', () => {
  let chain; let worker; let client; let destScript;

  before(async () => {
    chain = await startFakeChain();
    chain.fund(FUNDING, 'cc'.repeat(32), 0, 1_000_000);
    worker = await startWorker({ vars: liveVars(chain, { PAYOUT_DAILY_CAP_BTC: CAP }) });
    client = await onboard(worker.url, sampleConfig());
    await setRates(worker.url);
    chain.watch(CHANGE, await scriptOf(worker, client.api_key, CHANGE));
    destScript = await scriptOf(worker, client.api_key, DEST);
  });

  after(async () => {
    await worker?.stop();
    await chain?.stop();
  });

  const held = async () => {
    const r = await admin(worker.url, 'GET', '/v1/admin/payouts/held');
    assert.equal(r.status, 200, r.text);
    return r.body.payouts;
  };

  test('holds the payout above the cap, pays a younger one that fits, and pays a released one once', async () => {
    const first = await order(worker, client, 'hana', '50.00', 'hana-1');
    await until(worker, client, first.id, 'sent');
    // 0.00082 out today; another 0.00082 would make 0.00164 > 0.0015: held.
    const second = await order(worker, client, 'hana', '50.00', 'hana-2');
    const [hold] = await eventually(async () => {
      const list = await held();
      return list.length ? list : null;
    });
    assert.equal(hold.order_id, second.id);
    assert.equal(hold.status, 'held');
    assert.equal(hold.order_status, 'pending');
    assert.equal(hold.amount, second.crypto_amount);
    assert.equal(hold.daily_cap, CAP);
    assert.equal(sats(hold.outflow_when_held), sats(first.crypto_amount));
    assert.equal(hold.destination_address, DEST);
    assert.equal(hold.client_id, client.client_id);
    assert.equal((await getOrder(worker, client, second.id)).status, 'pending');
    // A smaller, younger one still fits under the cap: 0.00082 + 0.00033 <= 0.0015.
    const third = await order(worker, client, 'hana', '20.00', 'hana-3');
    await until(worker, client, third.id, 'sent');
    assert.equal((await getOrder(worker, client, second.id)).status, 'pending', 'still held');
    assert.equal(paidTo(chain, destScript).length, 2);

    const released = await admin(worker.url, 'POST', `/v1/admin/payouts/${second.id}/release`);
    assert.equal(released.status, 200, released.text);
    assert.equal(released.body.status, 'released');
    assert.ok(released.body.decided_at);
    const sent = await until(worker, client, second.id, 'sent');
    // Releasing again changes nothing; failing a released payout is refused.
    const again = await admin(worker.url, 'POST', `/v1/admin/payouts/${second.id}/release`);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.status, 'released');
    assertProblem(assert, await admin(worker.url, 'POST', `/v1/admin/payouts/${second.id}/fail`), 409, 'payout_not_held');
    assert.deepEqual(await held(), []);
    chain.mine();
    await until(worker, client, second.id, 'completed');
    // Paid once: exactly one output to the destination of its amount in the one txid.
    const payments = paidTo(chain, destScript).filter((p) => p.txid === sent.tx_id);
    assert.deepEqual(payments.map((p) => p.value), [sats(second.crypto_amount)]);
    assert.equal(paidTo(chain, destScript).length, 3, 'three orders, three payments, never a fourth');
    assert.equal(new Set(chain.posts.map((hex) => parseTx(hex).txid)).size, 3);
  });

  test('a failed hold fails its order with rejected_by_operator and gives the limit room back', async () => {
    // Above the cap on its own: held whatever the day's outflow.
    const big = await order(worker, client, 'ivan', '900.00', 'ivan-1');
    await eventually(async () => (await held()).some((h) => h.order_id === big.id));
    const failed = await admin(worker.url, 'POST', `/v1/admin/payouts/${big.id}/fail`);
    assert.equal(failed.status, 200, failed.text);
    assert.equal(failed.body.status, 'failed');
    assert.equal(failed.body.order_status, 'failed');
    const o = await getOrder(worker, client, big.id);
    assert.equal(o.status, 'failed');
    assert.equal(o.status_history.at(-1).failure_reason, 'rejected_by_operator');
    assert.equal(o.tx_id, null);
    assertProblem(assert, await admin(worker.url, 'POST', `/v1/admin/payouts/${big.id}/release`), 409, 'payout_not_held');
    // Daily limit 2000: 900 + 900 + 250 would exceed it if the failed order still counted.
    await order(worker, client, 'ivan', '900.00', 'ivan-2');
    const third = await placeOrder(worker.url, client.api_key, 'ivan', orderBody({ amount: '250.00', destination_address: DEST }), 'ivan-3');
    assert.equal(third.status, 201, third.text);
    assert.ok(!chain.posts.some((hex) => parseTx(hex).outputs.some((out) => out.value === sats(big.crypto_amount))), 'never signed');
  });

  test('the held-payout endpoints are the operator\'s', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [['GET', '/v1/admin/payouts/held'], ['POST', `/v1/admin/payouts/${unknown}/release`], ['POST', `/v1/admin/payouts/${unknown}/fail`]]) {
      const asClient = await fetch(worker.url + path, { method, headers: { authorization: `Bearer ${client.api_key}` } });
      assert.equal(asClient.status, 401, `${method} ${path}`);
    }
    assertProblem(assert, await admin(worker.url, 'POST', `/v1/admin/payouts/${unknown}/release`), 404, 'not_found');
  });
});
