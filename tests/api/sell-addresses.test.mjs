// Gap-limit-safe sell deposit addresses against the real worker (wrangler dev, local
// D1): concurrent sells never share an address, the xpub's gap of unused addresses
// refuses a further sell, an expired unfunded order's address is taken over only after
// its watch window (the sandbox clock moves the order past it), a funded one never; and
// sell events reach the delivery queue without a webhook URL, as buy events do.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BIP84, assertProblem, call, onboard, placeOrder, sampleConfig, setRates,
} from '../support/api.mjs';
import { eventually } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

const GAP = 4;
const DAY = 86_400;
let worker;
let keySeq = 0;
const key = () => `sell-addr-${process.pid}-${++keySeq}`;
const REFUND = BIP84.addresses[2].address;

before(async () => {
  worker = await startWorker({ vars: { ADDRESS_GAP_LIMIT: String(GAP) } });
  await setRates(worker.url);
});

after(async () => {
  await worker?.stop();
});

const sellBody = { side: 'sell', crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '0.01', amount_currency: 'BTC', refund_address: REFUND };
const sell = (client, customer) => placeOrder(worker.url, client.api_key, customer, sellBody, key());
const deposit = (client, id, body) => call(worker.url, 'POST', `/v1/sandbox/orders/${id}/deposit`, { token: client.api_key, body });
const indexOf = (order) => Number(order.deposit_derivation_path.split('/').at(-1));

async function placed(client, customer) {
  const r = await sell(client, customer);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

describe('sell deposit addresses and the gap limit', () => {
  test('concurrent sells never share an address, and past the gap they are refused', async () => {
    const client = await onboard(worker.url, sampleConfig(), 'Racer');
    // One customer each (the daily limit is per customer): only the address is shared.
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => sell(client, `racer-${i}`)));
    const ok = results.filter((r) => r.status === 201).map((r) => r.body);
    assert.equal(ok.length, GAP, results.map((r) => `${r.status} ${r.body?.code}`).join(', '));
    assert.equal(new Set(ok.map((o) => o.deposit_address)).size, GAP);
    assert.deepEqual(ok.map(indexOf).sort(), [0, 1, 2, 3]);
    for (const r of results.filter((x) => x.status !== 201)) {
      assertProblem(assert, r, 409, 'deposit_address_gap_limit');
      assert.equal(r.body.gap_limit, GAP);
      assert.equal(r.body.unused, GAP);
      assert.equal(r.body.crypto, 'BTC');
      // The earliest an address now held comes free: its order's deadline plus a day.
      const earliest = Math.min(...ok.map((o) => Date.parse(o.deadline))) + DAY * 1000;
      assert.equal(Date.parse(r.body.next_release_at), Math.floor(earliest / 1000) * 1000);
    }
  });

  test('an expired unfunded address is reused only after its watch window; a funded one never', async () => {
    const client = await onboard(worker.url, sampleConfig(), 'Reuser');
    const funded = await placed(client, 'u0');
    const recent = await placed(client, 'u1');
    const old = await placed(client, 'u2');
    const waiting = await placed(client, 'u3');
    assert.deepEqual([funded, recent, old, waiting].map(indexOf), [0, 1, 2, 3]);

    // Index 0 received something, then the order ran past its window: never reused.
    let r = await deposit(client, funded.id, { amount: '0.005', confirmations: 1 });
    assert.equal(r.body.status, 'underpaid', r.text);
    r = await deposit(client, funded.id, { late_seconds: DAY + 60 });
    assert.equal(r.body.status, 'requote_required', r.text);
    // Index 1 expired a minute ago: a late payment must still find its order.
    r = await deposit(client, recent.id, { late_seconds: 60 });
    assert.equal(r.body.status, 'expired', r.text);
    // Index 2 expired and its window is over (the sandbox clock is a day past the deadline).
    r = await deposit(client, old.id, { late_seconds: DAY + 1 });
    assert.equal(r.body.status, 'expired', r.text);

    const next = await placed(client, 'u4');
    assert.equal(indexOf(next), 2);
    assert.equal(next.deposit_address, old.deposit_address);
    // The old order keeps showing its address and status.
    const before = await call(worker.url, 'GET', `/v1/orders/${old.id}`, { token: client.api_key });
    assert.equal(before.body.deposit_address, old.deposit_address);
    assert.equal(before.body.status, 'expired');

    // Unused now: index 1 (in its window), 2 (the new order), 3: a new index while under the gap.
    const fifth = await placed(client, 'u5');
    assert.equal(indexOf(fifth), 4);
    // Then the gap is full: 1, 2, 3 and 4 unused, none released (0 is funded).
    assertProblem(assert, await sell(client, 'u6'), 409, 'deposit_address_gap_limit');

    // A deposit to the reused address marks it funded for good: the gap has room again,
    // and a later sell derives index 5 instead of ever taking index 2 back.
    r = await deposit(client, next.id, { amount: '0.01', confirmations: 0 });
    assert.equal(r.body.status, 'confirming', r.text);
    const sixth = await placed(client, 'u7');
    assert.equal(indexOf(sixth), 5);
  });
});

describe('sell events on the buy start path', () => {
  test('a sell event of a client without a webhook URL is handed to delivery at once (no_endpoint)', async () => {
    const client = await onboard(worker.url, sampleConfig(), 'No endpoint');
    const order = await placed(client, 'quiet');
    // No cron runs here: only the queue message sent at placement can settle the event.
    const events = await eventually(async () => {
      const r = await call(worker.url, 'GET', `/v1/events?order_id=${order.id}`, { token: client.api_key });
      assert.equal(r.status, 200, r.text);
      const all = r.body.events;
      return all.length === 1 && all[0].delivery.state === 'no_endpoint' ? all : undefined;
    });
    assert.equal(events[0].type, 'sell_order.status_changed');
  });
});
