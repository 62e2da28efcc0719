// Helpers of the on-chain payout tests (tests/api/payout*.test.mjs): the worker in
// SETTLEMENT_MODE=onchain with the BIP-84 test vector's account key as the hot wallet,
// against the fake electrs of chain.mjs.
import assert from 'node:assert/strict';
import { BIP84, call, orderBody, placeOrder } from './api.mjs';
import { eventually } from './servers.mjs';

export const DEST = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'; // BIP-173: not the hot wallet's
export const FUNDING = BIP84.addresses[0].address; // m/84'/0'/0'/0/0
export const CHANGE = BIP84.addresses[2].address; // m/84'/0'/0'/1/0
export const sats = (amount) => BigInt(amount.replace('.', ''));

export async function scriptOf(worker, key, address) {
  const r = await call(worker.url, 'POST', '/v1/addresses/validate', { token: key, body: { currency: 'BTC', address } });
  return r.body.script_pubkey;
}

export function liveVars(chain, extra = {}) {
  return {
    SETTLEMENT_MODE: 'onchain', ESPLORA_URL_BTC: chain.url, HOT_WALLET_BTC: BIP84.account_xprv, ...extra,
  };
}

export async function order(worker, client, customer, amount, key, destination = DEST) {
  const r = await placeOrder(worker.url, client.api_key, customer, orderBody({ amount, destination_address: destination }), key);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

export const getOrder = async (worker, client, id) => (await call(worker.url, 'GET', `/v1/orders/${id}`, { token: client.api_key })).body;

export async function until(worker, client, id, status, timeoutMs = 30_000) {
  let last;
  try {
    return await eventually(async () => {
      last = await getOrder(worker, client, id);
      return last.status === status ? last : null;
    }, { timeoutMs });
  } catch (e) {
    throw new Error(`order ${id} never reached ${status}: ${JSON.stringify(last?.status_history)}`, { cause: e });
  }
}
