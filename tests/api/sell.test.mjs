// Selling crypto for fiat end to end against the real worker (wrangler dev, local D1,
// Queues): sell quotes, sell orders with their xpub-derived deposit address, every
// deposit story through the sandbox's simulated transfers, the client's payout and
// refund reports, signed webhooks, and limits shared with buys under a race.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { estimate } from 'cryptoexchange-core';
import {
  BIP84, assertProblem, call, onboard, orderBody, placeOrder, sampleConfig, setRates,
} from '../support/api.mjs';
import { eventually, startWebhookReceiver, verifyWebhook } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

let worker; let hooks; let client;
let keySeq = 0;
const key = () => `sell-test-${process.pid}-${++keySeq}`;
// A refund address of the customer: the BIP-84 vector's third receive address.
const REFUND = BIP84.addresses[2].address;

before(async () => {
  hooks = await startWebhookReceiver();
  worker = await startWorker();
  client = await onboard(worker.url, sampleConfig({ webhook_url: hooks.url }));
  await setRates(worker.url);
});

after(async () => {
  await worker?.stop();
  await hooks?.stop();
});

const api = (method, path, body, headers) => call(worker.url, method, path, { token: client.api_key, body, headers });

function sellBody(overrides = {}) {
  return {
    side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.01', amount_currency: 'BTC',
    refund_address: REFUND, ...overrides,
  };
}

async function placeSell(customer, overrides = {}) {
  const r = await placeOrder(worker.url, client.api_key, customer, sellBody(overrides), key());
  assert.equal(r.status, 201, r.text);
  return r.body;
}

const deposit = (id, body) => api('POST', `/v1/sandbox/orders/${id}/deposit`, body);
const statuses = (order) => order.status_history.map((h) => h.status);

describe('sell quotes', () => {
  test('a sell quote is mid minus spread with the fees deducted, as the npm estimate computes it', async () => {
    const body = { side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.01', amount_currency: 'BTC' };
    const r = await api('POST', '/v1/quotes', body);
    assert.equal(r.status, 201, r.text);
    // By hand at 60 000 EUR: price 59 700, proceeds 597.00, value 600.00, spread 3.00,
    // service ⌈8.955⌉ + 0.50 = 9.46, network ⌈1.2⌉ = 1.20: paid out 586.34.
    assert.equal(r.body.side, 'sell');
    assert.equal(r.body.price, '59700.00');
    assert.equal(r.body.crypto_value, '600.00');
    assert.equal(r.body.fees.total, '13.66');
    assert.equal(r.body.fiat_amount, '586.34');
    const rates = (await api('GET', '/v1/rates')).body;
    const config = (await api('GET', '/v1/config')).body;
    const local = estimate(body, rates, config);
    for (const k of ['price', 'crypto_amount', 'fiat_amount', 'crypto_value', 'fees']) {
      assert.deepEqual(local[k], r.body[k], k);
    }
  });

  test('receiving a fiat amount asks for the least crypto that pays it', async () => {
    const r = await api('POST', '/v1/quotes', { side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '100.00', amount_currency: 'EUR' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.fiat_amount, '100.00');
    const less = (BigInt(r.body.crypto_amount.replace('.', '')) - 1n).toString().padStart(9, '0');
    const q = await api('POST', '/v1/quotes', { side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: `${less.slice(0, -8)}.${less.slice(-8)}`, amount_currency: 'BTC' });
    assert.ok(Number(q.body.fiat_amount.replace('.', '')) < 10000, q.text);
  });

  test('a buy order cannot name a sell quote', async () => {
    const sq = await api('POST', '/v1/quotes', { side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '100.00', amount_currency: 'EUR' });
    const r = await placeOrder(worker.url, client.api_key, 'quote-mixer', orderBody({ quote_id: sq.body.id }), key());
    assertProblem(assert, r, 404, 'not_found');
  });

  test('ETH cannot be sold and a bad refund address is refused', async () => {
    const eth = await placeOrder(worker.url, client.api_key, 'refusals', sellBody({ refund_address: 'bc1qnotanaddress' }), key());
    assertProblem(assert, eth, 422, 'invalid_refund_address');
    const noRefund = sellBody();
    delete noRefund.refund_address;
    const r = await placeOrder(worker.url, client.api_key, 'refusals', noRefund, key());
    assertProblem(assert, r, 400, 'malformed_body');
  });
});

describe('sell orders', () => {
  let first;
  test('a sell order gets a deposit address from the xpub, the exact amount and a deadline', async () => {
    const k = key();
    const r = await placeOrder(worker.url, client.api_key, 'alice', sellBody(), k);
    assert.equal(r.status, 201, r.text);
    first = r.body;
    assert.equal(first.status, 'awaiting_deposit');
    // The first index of the client's BTC chain: the BIP-84 vector's first address.
    assert.equal(first.deposit_address, BIP84.addresses[0].address);
    assert.equal(first.deposit_derivation_path, "m/84'/0'/0'/0/0");
    assert.equal(first.expected_crypto_amount, '0.01000000');
    assert.equal(first.required_confirmations, 3);
    const minutes = (Date.parse(first.deadline) - Date.parse(first.created_at)) / 60_000;
    assert.equal(minutes, 30);
    // Idempotent.
    const again = await placeOrder(worker.url, client.api_key, 'alice', sellBody(), k);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.id);
    const get = await api('GET', `/v1/orders/${first.id}`);
    assert.equal(get.status, 200);
    assert.equal(get.body.deposit_address, first.deposit_address);
  });

  test('exact deposit: mempool, confirmations, payout confirmed (idempotent), signed webhooks', async () => {
    let r = await deposit(first.id, { amount: '0.01' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'confirming');
    assert.equal(r.body.payout_fiat_amount, '586.34');
    // No payout on an unconfirmed deposit.
    r = await api('POST', `/v1/orders/${first.id}/fiat-payout`, { outcome: 'paid', reference: 'bank-1' });
    assertProblem(assert, r, 409, 'sell_status_conflict');
    const tx = (await api('GET', `/v1/orders/${first.id}`)).body.deposits[0].tx_id;
    r = await deposit(first.id, { tx_id: tx, confirmations: 2 });
    assert.equal(r.body.status, 'confirming');
    r = await deposit(first.id, { tx_id: tx, confirmations: 3 });
    assert.equal(r.body.status, 'payout_pending');
    r = await api('POST', `/v1/orders/${first.id}/fiat-payout`, { outcome: 'paid', reference: 'bank-1' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'completed');
    assert.equal(r.body.payout_reference, 'bank-1');
    const again = await api('POST', `/v1/orders/${first.id}/fiat-payout`, { outcome: 'paid', reference: 'bank-1' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.status_history, r.body.status_history);
    assertProblem(assert, await api('POST', `/v1/orders/${first.id}/fiat-payout`, { outcome: 'paid', reference: 'bank-2' }), 409, 'payout_reference_mismatch');
    assert.deepEqual(statuses(r.body), ['awaiting_deposit', 'confirming', 'payout_pending', 'completed']);
    const events = await eventually(() => {
      const mine = hooks.received.filter((e) => e.body.data?.id === first.id);
      // Events arrive in each order's sequence, the last one being `completed`.
      return mine.some((e) => e.body.data.status === 'completed') ? mine : undefined;
    });
    const seen = events.map((e) => [e.body.sequence, e.body.data.status]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(seen.map((s) => s[1]).filter((s, i, a) => a.indexOf(s) === i),
      ['awaiting_deposit', 'confirming', 'payout_pending', 'completed']);
    for (const e of events) {
      assert.equal(e.body.type, 'sell_order.status_changed');
      assert.ok(verifyWebhook(client.webhook_secret, e.raw, e.headers));
    }
  });

  test('within the 1 % tolerance: paid on what arrived at the locked rate', async () => {
    const o = await placeSell('bob');
    const r = await deposit(o.id, { amount: '0.0099', confirmations: 3 });
    assert.equal(r.body.status, 'payout_pending');
    assert.equal(r.body.exception, null);
    // 0.0099 at 60 000: value 594.00, proceeds ⌊591.03⌋, service ⌈8.86545⌉ + 0.50 = 9.37,
    // network 1.20, spread 2.97: 594.00 − 13.54 = 580.46.
    assert.equal(r.body.payout_fiat_amount, '580.46');
  });

  test('under, then a top-up before the deadline', async () => {
    const o = await placeSell('carol');
    let r = await deposit(o.id, { amount: '0.005', confirmations: 3 });
    assert.equal(r.body.status, 'underpaid');
    assert.equal(r.body.exception, 'paid_partial');
    r = await deposit(o.id, { amount: '0.005', confirmations: 3 });
    assert.equal(r.body.status, 'payout_pending');
    assert.equal(r.body.exception, null);
    assert.equal(r.body.received_crypto_amount, '0.01000000');
    assert.deepEqual(statuses(r.body), ['awaiting_deposit', 'underpaid', 'confirming', 'payout_pending']);
  });

  test('under, then the deadline passes: requote required, then refunded', async () => {
    const o = await placeSell('dave');
    await deposit(o.id, { amount: '0.005', confirmations: 1 });
    let r = await deposit(o.id, { late_seconds: 1 });
    assert.equal(r.body.status, 'requote_required');
    assert.equal(r.body.exception, 'paid_partial');
    r = await api('POST', `/v1/orders/${o.id}/refund`, { tx_id: 'ab'.repeat(32) });
    assert.equal(r.body.status, 'failed');
    assert.equal(r.body.refund_tx_id, 'ab'.repeat(32));
  });

  test('nothing by the deadline: expired', async () => {
    const o = await placeSell('erin');
    const r = await deposit(o.id, { late_seconds: 5 });
    assert.equal(r.body.status, 'expired');
  });

  test('over: the quoted amount is paid and the excess refunded above twice the network fee', async () => {
    const o = await placeSell('frank');
    const r = await deposit(o.id, { amount: '0.0102', confirmations: 3 });
    assert.equal(r.body.status, 'payout_pending');
    assert.equal(r.body.exception, 'paid_over');
    assert.equal(r.body.payout_fiat_amount, '586.34');
    assert.equal(r.body.excess_refund_crypto_amount, '0.00020000');
    assert.equal(r.body.excess_refund_tx_id, null);

    // The client's wallet sends the excess back and reports it: recorded, status kept,
    // idempotent, told to the webhook by a signed event.
    const txid = '7e'.repeat(32);
    const reported = await api('POST', `/v1/orders/${o.id}/excess-refund`, { tx_id: txid });
    assert.equal(reported.status, 200, reported.text);
    assert.equal(reported.body.excess_refund_tx_id, txid);
    assert.equal(reported.body.status, 'payout_pending');
    assert.deepEqual(reported.body.status_history, r.body.status_history);
    const again = await api('POST', `/v1/orders/${o.id}/excess-refund`, { tx_id: txid });
    assert.equal(again.status, 200);
    assert.equal(again.body.updated_at, reported.body.updated_at);
    assertProblem(assert, await api('POST', `/v1/orders/${o.id}/excess-refund`, { tx_id: '8f'.repeat(32) }), 409, 'excess_refund_tx_mismatch');
    assert.equal((await api('GET', `/v1/orders/${o.id}`)).body.excess_refund_tx_id, txid);
    const event = await eventually(() => hooks.received.find((e) => e.body.data?.id === o.id && e.body.data.excess_refund_tx_id === txid));
    assert.equal(event.body.type, 'sell_order.status_changed');
    assert.ok(verifyWebhook(client.webhook_secret, event.raw, event.headers));
    // Still payable: the payout report completes it and keeps the txid.
    const paid = await api('POST', `/v1/orders/${o.id}/fiat-payout`, { outcome: 'paid', reference: 'bank-over' });
    assert.equal(paid.body.status, 'completed', paid.text);
    assert.equal(paid.body.excess_refund_tx_id, txid);
  });

  test('an excess refund report needs an excess due and a deposit at depth', async () => {
    const exact = await placeSell('frank-exact');
    await deposit(exact.id, { amount: '0.01', confirmations: 3 });
    const none = await api('POST', `/v1/orders/${exact.id}/excess-refund`, { tx_id: '9a'.repeat(32) });
    assertProblem(assert, none, 409, 'no_excess_refund_due');
    const shallow = await placeSell('frank-shallow');
    const r = await deposit(shallow.id, { amount: '0.0102', confirmations: 1 });
    assert.equal(r.body.status, 'confirming', r.text);
    assertProblem(assert, await api('POST', `/v1/orders/${shallow.id}/excess-refund`, { tx_id: '9b'.repeat(32) }), 409, 'sell_status_conflict');
    assertProblem(assert, await api('POST', `/v1/orders/${shallow.id}/excess-refund`, { tx_id: '' }), 422, 'invalid_report');
  });

  test('late: first seen after the deadline is never paid at the locked rate', async () => {
    const o = await placeSell('grace');
    const r = await deposit(o.id, { amount: '0.01', confirmations: 6, late_seconds: 120 });
    assert.equal(r.body.status, 'requote_required');
    assert.equal(r.body.exception, 'paid_late');
    assert.equal(r.body.deposits[0].late, true);
    assert.equal(r.body.payout_fiat_amount, null);
  });

  test('a reorganisation before payout goes back to confirming', async () => {
    const o = await placeSell('heidi');
    let r = await deposit(o.id, { amount: '0.01', confirmations: 3, tx_id: 'cd'.repeat(32) });
    assert.equal(r.body.status, 'payout_pending');
    r = await deposit(o.id, { tx_id: 'cd'.repeat(32), confirmations: 1 });
    assert.equal(r.body.status, 'confirming');
    assertProblem(assert, await api('POST', `/v1/orders/${o.id}/fiat-payout`, { outcome: 'paid', reference: 'x' }), 409, 'sell_status_conflict');
    r = await deposit(o.id, { tx_id: 'cd'.repeat(32), confirmations: 4 });
    assert.equal(r.body.status, 'payout_pending');
    assert.deepEqual(statuses(r.body), ['awaiting_deposit', 'confirming', 'payout_pending', 'confirming', 'payout_pending']);
  });

  test('payout failed: refund due, then the refund reported', async () => {
    const o = await placeSell('ivan');
    await deposit(o.id, { amount: '0.01', confirmations: 3 });
    let r = await api('POST', `/v1/orders/${o.id}/fiat-payout`, { outcome: 'failed', reason: 'iban closed' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'refund_due');
    assert.equal(r.body.payout_failure, 'iban closed');
    assert.equal(r.body.refund_address, REFUND);
    r = await api('POST', `/v1/orders/${o.id}/refund`, { tx_id: 'ef'.repeat(32) });
    assert.equal(r.body.status, 'failed');
    assert.deepEqual(statuses(r.body), ['awaiting_deposit', 'confirming', 'payout_pending', 'refund_due', 'failed']);
  });

  test('another client sees neither the order nor its sandbox endpoint', async () => {
    const other = await onboard(worker.url, sampleConfig(), 'Other');
    const r = await call(worker.url, 'GET', `/v1/orders/${first.id}`, { token: other.api_key });
    assertProblem(assert, r, 404, 'not_found');
    const d = await call(worker.url, 'POST', `/v1/sandbox/orders/${first.id}/deposit`, { token: other.api_key, body: { amount: '1' } });
    assertProblem(assert, d, 404, 'not_found');
  });
});

describe('limits shared with buys', () => {
  test('concurrent buys and sells of one customer never pass the daily limit together', async () => {
    // Daily limit 2000.00 EUR; each order counts about 600.00 (a buy of 600.00 EUR, a
    // sell of 0.01 BTC worth 600.00): at most three of eight fit.
    const requests = [];
    for (let i = 0; i < 8; i += 1) {
      requests.push(i % 2 === 0
        ? placeOrder(worker.url, client.api_key, 'racer', orderBody({ amount: '600.00' }), key())
        : placeOrder(worker.url, client.api_key, 'racer', sellBody(), key()));
    }
    const results = await Promise.all(requests);
    const placed = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    assert.equal(placed.length, 3, results.map((r) => `${r.status} ${r.body?.code}`).join(', '));
    for (const r of refused) {
      assert.ok(['daily_limit_exceeded', 'limits_changed_retry'].includes(r.body.code), r.text);
    }
    // A further sell is refused with the buys counted.
    const more = await placeOrder(worker.url, client.api_key, 'racer', sellBody(), key());
    assertProblem(assert, more, 422, 'daily_limit_exceeded');
    assert.ok(Number(more.body.used) >= 1790, more.text);
  });
});
