// Live sell orders (SETTLEMENT_MODE=onchain) watched on a fake Esplora on loopback
// (tests/support/chain.mjs, electrs' /address/{a}/txs and /blocks/tip/height): the
// deposit is seen in the mempool, then confirmed to BTC's depth of 3, then a
// reorganisation takes it back to confirming before the payout; no payout is accepted
// on an unconfirmed deposit; and an expired order's address is released to the next sell
// only after the cron's last look past its watch window.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BIP84, call, onboard, placeOrder, sampleConfig, setRates } from '../support/api.mjs';
import { startFakeChain } from '../support/chain.mjs';
import { eventually, startWebhookReceiver, verifyWebhook } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

let chain; let worker; let client;

before(async () => {
  chain = await startFakeChain();
  worker = await startWorker({
    vars: { SETTLEMENT_MODE: 'onchain', ESPLORA_URL_BTC: chain.url, HOT_WALLET_BTC: BIP84.account_xprv },
  });
  client = await onboard(worker.url, sampleConfig());
  await setRates(worker.url);
});

after(async () => {
  await worker?.stop();
  await chain?.stop();
});

const api = (method, path, body) => call(worker.url, method, path, { token: client.api_key, body });
const get = async (id) => {
  const r = await api('GET', `/v1/orders/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
};

test('a live deposit is seen in the mempool, confirmed to depth, reorganised, then paid', async () => {
  const placed = await placeOrder(worker.url, client.api_key, 'zoe', {
    side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.01', amount_currency: 'BTC',
    refund_address: BIP84.addresses[2].address,
  }, 'chain-sell-1');
  assert.equal(placed.status, 201, placed.text);
  const order = placed.body;
  assert.equal(order.livemode, true);
  assert.equal(order.deposit_address, BIP84.addresses[0].address);
  assert.equal((await get(order.id)).status, 'awaiting_deposit');

  // The sandbox endpoint does not exist for live orders.
  const sandbox = await api('POST', `/v1/sandbox/orders/${order.id}/deposit`, { amount: '0.01' });
  assert.equal(sandbox.status, 404);

  const txid = '1d'.repeat(32);
  chain.send(order.deposit_address, txid, 1_000_000);
  let o = await get(order.id);
  assert.equal(o.status, 'confirming');
  assert.equal(o.confirmations, 0);
  assert.equal(o.deposits[0].tx_id, txid);
  assert.equal(o.received_crypto_amount, '0.01000000');
  const early = await api('POST', `/v1/orders/${order.id}/fiat-payout`, { outcome: 'paid', reference: 'r-1' });
  assert.equal(early.status, 409, early.text);

  chain.mine();
  chain.confirmIncoming(txid);
  o = await get(order.id);
  assert.equal(o.confirmations, 1);
  assert.equal(o.status, 'confirming');
  chain.mine();
  chain.mine();
  o = await get(order.id);
  assert.equal(o.confirmations, 3);
  assert.equal(o.status, 'payout_pending');

  chain.unconfirmIncoming(txid);
  o = await get(order.id);
  assert.equal(o.status, 'confirming');
  assert.equal(o.confirmations, 0);

  chain.confirmIncoming(txid);
  chain.mine();
  chain.mine();
  o = await get(order.id);
  assert.equal(o.status, 'payout_pending');
  const paid = await api('POST', `/v1/orders/${order.id}/fiat-payout`, { outcome: 'paid', reference: 'r-1' });
  assert.equal(paid.status, 200, paid.text);
  assert.equal(paid.body.status, 'completed');
  assert.deepEqual(paid.body.status_history.map((h) => h.status),
    ['awaiting_deposit', 'confirming', 'payout_pending', 'confirming', 'payout_pending', 'completed']);
});

test('the cron watches live orders too, without any read', async () => {
  const hooks = await startWebhookReceiver();
  try {
    const watched = await onboard(worker.url, sampleConfig({ webhook_url: hooks.url }), 'Cron client');
    const placed = await placeOrder(worker.url, watched.api_key, 'yann', {
      side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.01', amount_currency: 'BTC',
      refund_address: BIP84.addresses[2].address,
    }, 'chain-sell-2');
    assert.equal(placed.status, 201, placed.text);
    chain.send(placed.body.deposit_address, '2e'.repeat(32), 1_000_000);
    const fired = await fetch(`${worker.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
    assert.equal(fired.status, 200);
    // Only the cron can have seen the deposit: the order was never read.
    const event = await eventually(() => hooks.received.find(
      (e) => e.body.data.id === placed.body.id && e.body.data.status === 'confirming',
    ));
    assert.ok(verifyWebhook(watched.webhook_secret, event.raw, event.headers));
    assert.equal(event.body.data.deposits[0].tx_id, '2e'.repeat(32));
  } finally {
    await hooks.stop();
  }
});

test('a live expired address is released only after the last look past its window; a late-funded one never', async () => {
  // A worker whose sell deadline and watch window are seconds long, on a chain of its own
  // (the same xpub's first addresses were paid on the other).
  const own = await startFakeChain();
  const quick = await startWorker({
    vars: {
      SETTLEMENT_MODE: 'onchain', ESPLORA_URL_BTC: own.url, HOT_WALLET_BTC: BIP84.account_xprv,
      SELL_POLICY_JSON: JSON.stringify({ deadline_seconds: 2, watch_window_seconds: 2 }),
    },
  });
  try {
    await setRates(quick.url);
    const owner = await onboard(quick.url, sampleConfig(), 'Live pool');
    const body = {
      side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.01', amount_currency: 'BTC',
      refund_address: BIP84.addresses[2].address,
    };
    const sellAs = async (customer) => {
      const r = await placeOrder(quick.url, owner.api_key, customer, body, `live-pool-${customer}`);
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const index = (o) => Number(o.deposit_derivation_path.split('/').at(-1));
    const cron = async () => assert.equal((await fetch(`${quick.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`)).status, 200);
    const unpaid = await sellAs('p1');
    const paidLate = await sellAs('p2');
    assert.deepEqual([index(unpaid), index(paidLate)], [0, 1]);
    // Past both deadlines and windows; then a transfer arrives at the second address.
    await new Promise((r) => setTimeout(r, 5500));
    own.send(paidLate.deposit_address, '3f'.repeat(32), 1_000_000);
    // While the watcher still holds the orders, nothing is released.
    const early = await sellAs('p3');
    assert.equal(index(early), 2);
    // First run: both expire (the late transfer shows on its order: funded). Second run:
    // the last look past the window finds nothing at the first address: released.
    await cron();
    await cron();
    const got = await call(quick.url, 'GET', `/v1/orders/${paidLate.id}`, { token: owner.api_key });
    assert.equal(got.body.status, 'expired', got.text);
    assert.equal(got.body.deposits.length, 1);
    const reused = await sellAs('p4');
    assert.equal(index(reused), 0);
    assert.equal(reused.deposit_address, unpaid.deposit_address);
    const fresh = await sellAs('p5');
    assert.equal(index(fresh), 3);
    // A payment to the reused address is the new order's; the old one no longer looks.
    own.send(reused.deposit_address, '4a'.repeat(32), 1_000_000);
    const now = await call(quick.url, 'GET', `/v1/orders/${reused.id}`, { token: owner.api_key });
    assert.equal(now.body.status, 'confirming', now.text);
    const old = await call(quick.url, 'GET', `/v1/orders/${unpaid.id}`, { token: owner.api_key });
    assert.equal(old.body.status, 'expired');
    assert.deepEqual(old.body.deposits, []);
  } finally {
    await quick.stop();
    await own.stop();
  }
});
