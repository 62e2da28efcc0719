// Quotes are single-use and bound to the customer they were asked for: the placement's
// own D1 batch uses the quote up, guarded so that two concurrent orders on one quote
// cannot both be written (one 201, one 409 `quote_used`), and an order of another
// customer is refused (422 `quote_customer_mismatch`). A retry of the order that used the
// quote, with its Idempotency-Key, still replays that order.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  assertProblem, call, onboard, orderBody, placeOrder, sampleConfig, setRates,
} from '../support/api.mjs';
import { startWorker } from '../support/worker.mjs';

let worker; let client;

before(async () => {
  worker = await startWorker();
  const roomy = { min_order: '10.00', max_order: '1000.00', daily_limit: '100000.00', monthly_limit: '100000.00', service_fee_fixed: '0.50' };
  client = await onboard(worker.url, sampleConfig({ fiat: { EUR: roomy } }));
  await setRates(worker.url);
});

after(async () => { await worker?.stop(); });

const ask = (body) => call(worker.url, 'POST', '/v1/quotes', { token: client.api_key, body });
const trade = { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '120.00', amount_currency: 'EUR' };
const orders = (customer) =>
  call(worker.url, 'GET', `/v1/customers/${customer}/orders`, { token: client.api_key }).then((r) => r.body.orders);

describe('single-use quotes', () => {
  test('two concurrent orders on one quote: exactly one is placed, the other is 409 quote_used', async () => {
    for (let round = 0; round < 5; round++) {
      const customer = `race-${round}-${randomUUID().slice(0, 6)}`;
      const quote = await ask({ ...trade, customer_id: customer });
      assert.equal(quote.status, 201, quote.text);
      assert.equal(quote.body.customer_id, customer);
      const body = orderBody({ amount: trade.amount, quote_id: quote.body.id });
      const [a, b] = await Promise.all([
        placeOrder(worker.url, client.api_key, customer, body, randomUUID()),
        placeOrder(worker.url, client.api_key, customer, body, randomUUID()),
      ]);
      const statuses = [a.status, b.status].sort();
      assert.deepEqual(statuses, [201, 409], `${a.text} / ${b.text}`);
      const [won, lost] = a.status === 201 ? [a, b] : [b, a];
      assertProblem(assert, lost, 409, 'quote_used');
      assert.equal(lost.body.quote_id, quote.body.id);
      assert.equal(won.body.quote_id, quote.body.id);
      assert.equal(won.body.crypto_amount, quote.body.crypto_amount);
      const listed = await orders(customer);
      assert.deepEqual(listed.map((o) => o.id), [won.body.id], 'one order written for the quote');
    }
  });

  test('a used quote stays used; the order that used it replays under its key', async () => {
    const quote = await ask({ ...trade, customer_id: 'erin' });
    const body = orderBody({ amount: trade.amount, quote_id: quote.body.id });
    const first = await placeOrder(worker.url, client.api_key, 'erin', body, 'erin-1');
    assert.equal(first.status, 201, first.text);
    const replay = await placeOrder(worker.url, client.api_key, 'erin', body, 'erin-1');
    assert.equal(replay.status, 200, replay.text);
    assert.equal(replay.body.id, first.body.id);
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'erin', body, 'erin-2'), 409, 'quote_used');
    assert.equal((await orders('erin')).length, 1);
  });

  test("another customer's quote is 422 quote_customer_mismatch and stays usable by its own", async () => {
    const quote = await ask({ ...trade, customer_id: 'frank' });
    const body = orderBody({ amount: trade.amount, quote_id: quote.body.id });
    const stolen = await placeOrder(worker.url, client.api_key, 'grace', body, 'grace-1');
    assertProblem(assert, stolen, 422, 'quote_customer_mismatch');
    assert.equal((await orders('grace')).length, 0);
    const own = await placeOrder(worker.url, client.api_key, 'frank', body, 'frank-1');
    assert.equal(own.status, 201, own.text);
  });

  test('a quote asked without a customer is bound to the first order that uses it', async () => {
    const quote = await ask(trade);
    assert.equal(quote.status, 201, quote.text);
    assert.equal(quote.body.customer_id, undefined);
    const body = orderBody({ amount: trade.amount, quote_id: quote.body.id });
    assert.equal((await placeOrder(worker.url, client.api_key, 'heidi', body, 'heidi-1')).status, 201);
    assertProblem(assert, await placeOrder(worker.url, client.api_key, 'ivan', body, 'ivan-1'), 409, 'quote_used');
  });

  test('a malformed customer_id on a quote is refused', async () => {
    assertProblem(assert, await ask({ ...trade, customer_id: 'a b' }), 400, 'invalid_parameter');
  });
});
