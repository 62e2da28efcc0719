// Settlement modes (issue 12): an on-chain deployment issues and takes only cx_live_
// keys, marks everything livemode, asks the chain for balances and never lets the
// sandbox complete an order; an unknown SETTLEMENT_MODE stops every request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BIP84, assertProblem, call, onboard, orderBody, placeOrder, sampleConfig, setRates,
} from '../support/api.mjs';
import { startFakeEthRpc } from '../support/chain.mjs';
import { startFakeEsplora } from '../support/servers.mjs';
import { startWorker } from '../support/worker.mjs';

describe('on-chain mode', () => {
  let worker; let esplora; let eth; let client;

  before(async () => {
    esplora = await startFakeEsplora();
    eth = await startFakeEthRpc();
    worker = await startWorker({ vars: { SETTLEMENT_MODE: 'onchain', ESPLORA_URL_BTC: esplora.url, ETH_RPC_URL: eth.url } });
    client = await onboard(worker.url, sampleConfig());
    await setRates(worker.url);
  });

  after(async () => {
    await worker?.stop();
    await esplora?.stop();
    await eth?.stop();
  });

  test('an ETH balance comes from eth_getBalance (latest and pending) in exact wei', async () => {
    const address = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'; // EIP-55 test vector
    eth.balances.set(address.toLowerCase(), { latest: 1_500_000_000_000_000_000n, pending: 1_750_000_000_000_000_001n });
    const r = await call(worker.url, 'GET', `/v1/addresses/ETH/${address}/balance`, { token: client.api_key });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.confirmed, '1.500000000000000000');
    assert.equal(r.body.unconfirmed, '0.250000000000000001');
    assert.equal(r.body.total, '1.750000000000000001');
    assert.deepEqual(eth.requests.map((c) => c.params[1]).sort(), ['latest', 'pending']);
    assert.ok(eth.requests.every((c) => c.method === 'eth_getBalance' && c.params[0].toLowerCase() === address.toLowerCase()));
  });

  test('onboarding issues a cx_live_ key; a cx_test_ key is refused with its own code', async () => {
    assert.match(client.api_key, /^cx_live_[0-9a-f]{32}$/);
    assertProblem(assert, await call(worker.url, 'GET', '/v1/config', { token: 'cx_test_00000000000000000000000000000000' }), 401, 'test_key_in_live_mode');
    assert.equal((await call(worker.url, 'GET', '/v1/config', { token: client.api_key })).status, 200);
  });

  test('a balance comes from Esplora (recorded answer) as decimal strings', async () => {
    const r = await call(worker.url, 'GET', `/v1/addresses/BTC/${BIP84.addresses[0].address}/balance`, { token: client.api_key });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.confirmed, '0.00100000');
    assert.equal(r.body.unconfirmed, '0.00002500');
    assert.equal(r.body.sandbox_received, null);
    assert.equal(r.body.livemode, true);
    assert.ok(esplora.requests.includes(`/address/${BIP84.addresses[0].address}`));
  });

  test('a stuck Esplora is cut off after its deadline: 502 chain_unavailable', async () => {
    const address = BIP84.addresses[2].address;
    esplora.hanging.add(address);
    const started = Date.now();
    const r = await call(worker.url, 'GET', `/v1/addresses/BTC/${address}/balance`, { token: client.api_key });
    assertProblem(assert, r, 502, 'chain_unavailable');
    assert.ok(Date.now() - started < 9_000, `took ${Date.now() - started} ms`);
  });

  test('quotes and orders are livemode, and the sandbox never completes them', async () => {
    const quote = await call(worker.url, 'POST', '/v1/quotes', {
      token: client.api_key,
      body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '50.00', amount_currency: 'EUR' },
    });
    assert.equal(quote.status, 201, quote.text);
    assert.equal(quote.body.livemode, true);
    const placed = await placeOrder(worker.url, client.api_key, 'erin', orderBody({ amount: '50.00' }), 'erin-1');
    assert.equal(placed.status, 201, placed.text);
    assert.equal(placed.body.livemode, true);
    assert.equal(placed.body.sandbox_reference, null);
    // The sandbox would have moved it within a few seconds.
    await new Promise((r) => setTimeout(r, 4_000));
    const r = await call(worker.url, 'GET', `/v1/orders/${placed.body.id}`, { token: client.api_key });
    assert.equal(r.body.status, 'pending');
    assert.equal(r.body.tx_id, null);
  });
});

test('an unknown SETTLEMENT_MODE answers every request with 500 misconfigured naming the variable', async () => {
  const worker = await startWorker({ vars: { SETTLEMENT_MODE: 'live' }, readyStatus: 500 });
  try {
    // The static demo page is served from assets without the worker; every API path answers.
    for (const path of ['/healthz', '/v1/rates', '/openapi.json']) {
      const r = await call(worker.url, 'GET', path);
      assertProblem(assert, r, 500, 'misconfigured');
      assert.match(r.body.detail, /SETTLEMENT_MODE is "live"/);
      assert.equal(r.body.variable, 'SETTLEMENT_MODE');
    }
  } finally {
    await worker.stop();
  }
});
