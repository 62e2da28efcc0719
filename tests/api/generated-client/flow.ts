// The seed's whole flow through a TypeScript client generated from the worker's own
// /openapi.json (openapi-typescript writes ./schema.d.ts, openapi-fetch calls it). tsc
// type-checks this file against the generated types before generated-client.test.mjs runs
// it, so a request the document does not describe fails to compile.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type Order = components['schemas']['OrderResponse'];
type AnyOrder = components['schemas']['AnyOrderResponse'];

export interface FlowResult {
  clientId: string;
  configName: string;
  rateCount: number;
  quote: components['schemas']['QuoteResponse'];
  address: components['schemas']['CustomerAddress'];
  placed: Order;
  completed: Order;
  listed: components['schemas']['OrdersPage'];
}

/** The documented answer is a buy or a sell order; only a sell order has `side`. */
function buyOrder(order: AnyOrder): Order {
  if ('side' in order) throw new Error(`expected a buy order, got a ${order.side} order`);
  return order;
}

function must<T>(data: T | undefined, error: unknown, what: string): T {
  if (data === undefined) throw new Error(`${what}: ${JSON.stringify(error)}`);
  return data;
}

export async function runFlow(baseUrl: string, adminToken: string, idempotencyKey: string): Promise<FlowResult> {
  const admin = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${adminToken}` } });
  const created = await admin.POST('/v1/admin/clients', {
    body: {
      name: 'Generated client shop',
      config: {
        name: 'Generated client shop',
        fiat: {
          EUR: {
            min_order: '10.00', max_order: '1000.00', daily_limit: '2000.00',
            monthly_limit: '5000.00', service_fee_fixed: '0.50',
          },
        },
        crypto: { BTC: { networks: ['mainnet'], network_fee: '0.00002000' } },
        service_fee_percent: '1.5',
        spread_percent: '0.5',
        quote_validity_seconds: 60,
        max_rate_age_seconds: 600,
        xpubs: {
          BTC: {
            xpub: 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs',
            scheme: 'bip84',
            network: 'mainnet',
          },
        },
      },
    },
  });
  const client = must(created.data, created.error, 'create client');
  const rates = await admin.PUT('/v1/admin/rates', {
    body: { rates: [{ crypto: 'BTC', fiat: 'EUR', price: '60000.00', source: 'generated-client' }] },
  });
  must(rates.data, rates.error, 'set rates');

  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${client.api_key}` } });
  const config = await api.GET('/v1/config');
  const current = await api.GET('/v1/rates');
  const quoted = await api.POST('/v1/quotes', {
    body: { crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '100.00', amount_currency: 'EUR' },
  });
  const quote = must(quoted.data, quoted.error, 'quote');
  const derived = await api.POST('/v1/customers/{customer_id}/addresses', {
    params: { path: { customer_id: 'alice' } },
    body: { currency: 'BTC' },
  });
  const address = must(derived.data, derived.error, 'address');
  const placedAnswer = await api.POST('/v1/customers/{customer_id}/orders', {
    params: { path: { customer_id: 'alice' }, header: { 'Idempotency-Key': idempotencyKey } },
    body: {
      crypto: 'BTC', network: 'mainnet', fiat: 'EUR', amount: '100.00', amount_currency: 'EUR',
      destination_address: address.address, quote_id: quote.id,
    },
  });
  const placed = buyOrder(must(placedAnswer.data, placedAnswer.error, 'order'));

  let completed: Order = placed;
  const deadline = Date.now() + 30_000;
  while (completed.status !== 'completed') {
    if (Date.now() > deadline) throw new Error(`order still ${completed.status}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const polled = await api.GET('/v1/orders/{order_id}', { params: { path: { order_id: placed.id } } });
    completed = buyOrder(must(polled.data, polled.error, 'poll'));
  }
  const listedAnswer = await api.GET('/v1/customers/{customer_id}/orders', {
    params: { path: { customer_id: 'alice' }, query: { status: 'completed', limit: 10 } },
  });
  return {
    clientId: client.client_id,
    configName: must(config.data, config.error, 'config').name,
    rateCount: must(current.data, current.error, 'rates').rates.length,
    quote,
    address,
    placed,
    completed,
    listed: must(listedAnswer.data, listedAnswer.error, 'list'),
  };
}
