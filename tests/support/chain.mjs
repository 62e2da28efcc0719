// A loopback stand-in for an Esplora (electrs) server as the payout run uses it, with
// the formats and quirks documented in tests/fixtures/esplora/README.md: UTXOs per
// address, /fee-estimates as string targets with float sat/vB, POST /tx answering the
// txid as text or a 400 in bitcoind's words, /tx/{txid}/status answering
// {"confirmed":false} even for an unknown txid (only GET /tx/{txid} 404s), and a tip.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const sha256d = (b) => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

function varint(b, o) {
  const first = b[o];
  if (first < 0xfd) return [first, o + 1];
  if (first === 0xfd) return [b.readUInt16LE(o + 1), o + 3];
  if (first === 0xfe) return [b.readUInt32LE(o + 1), o + 5];
  return [Number(b.readBigUInt64LE(o + 1)), o + 9];
}

/** Reads a (segwit or legacy) transaction: its txid, inputs and outputs. */
export function parseTx(hex) {
  const b = Buffer.from(hex, 'hex');
  const segwit = b[4] === 0 && b[5] === 1;
  let o = segwit ? 6 : 4;
  let n; let len;
  [n, o] = varint(b, o);
  const inputs = [];
  for (let i = 0; i < n; i += 1) {
    const txid = Buffer.from(b.subarray(o, o + 32)).reverse().toString('hex');
    const vout = b.readUInt32LE(o + 32);
    [len, o] = varint(b, o + 36);
    o += len + 4;
    inputs.push({ txid, vout });
  }
  [n, o] = varint(b, o);
  const outputs = [];
  for (let i = 0; i < n; i += 1) {
    const value = b.readBigUInt64LE(o);
    [len, o] = varint(b, o + 8);
    outputs.push({ value, script: b.subarray(o, o + len).toString('hex') });
    o += len;
  }
  const endOutputs = o;
  if (segwit) {
    for (let i = 0; i < inputs.length; i += 1) {
      let items;
      [items, o] = varint(b, o);
      for (let j = 0; j < items; j += 1) { [len, o] = varint(b, o); o += len; }
    }
  }
  const stripped = Buffer.concat([b.subarray(0, 4), b.subarray(segwit ? 6 : 4, endOutputs), b.subarray(o, o + 4)]);
  const vsize = Math.ceil((stripped.length * 3 + b.length) / 4); // BIP-141 weight / 4
  return { txid: Buffer.from(sha256d(stripped)).reverse().toString('hex'), inputs, outputs, vsize };
}

export async function startFakeChain() {
  const chain = {
    tip: 800_000,
    feeEstimates: '{"1": 12.5, "3": 5.25, "6": 2.0, "144": 1.0}',
    utxos: new Map(), // address -> [{ txid, vout, value, status }]
    watched: new Map(), // script hex -> address, for outputs paying us
    mempool: new Map(), // txid -> { hex, parsed }
    confirmed: new Map(), // txid -> height
    posts: [], // every POST /tx body
    rejectWith: null, // a 400 body to answer the next broadcasts with
    values: new Map(), // "txid:vout" -> value of every output we know, to price fees
    replaced: new Map(), // txid evicted by a BIP-125 replacement -> { hex, parsed }
    spentUtxos: new Map(), // "txid:vout" -> [address, utxo] taken out of `utxos` by the mempool
    incoming: new Map(), // address -> [tx as /address/{a}/txs shows it], deposits to sell orders
  };
  // Deposits to an address (`/address/{a}/txs`, electrs' shape: vout with
  // scriptpubkey_address and integer value; an unconfirmed status is {"confirmed":false}).
  chain.send = (address, txid, value) => {
    const list = chain.incoming.get(address) ?? [];
    list.push({ txid, vout: [{ scriptpubkey_address: address, value }], status: { confirmed: false } });
    chain.incoming.set(address, list);
  };
  chain.confirmIncoming = (txid) => {
    for (const list of chain.incoming.values()) for (const t of list) {
      if (t.txid === txid) t.status = { confirmed: true, block_height: chain.tip, block_hash: '00'.repeat(32), block_time: Math.floor(Date.now() / 1000) };
    }
  };
  // A reorganisation: the block holding txid is gone, the transaction back in the mempool.
  chain.unconfirmIncoming = (txid) => {
    for (const list of chain.incoming.values()) for (const t of list) if (t.txid === txid) t.status = { confirmed: false };
  };
  chain.fund = (address, txid, vout, value) => {
    const list = chain.utxos.get(address) ?? [];
    list.push({ txid, vout, value, status: { confirmed: true, block_height: chain.tip - 10 } });
    chain.utxos.set(address, list);
    chain.values.set(`${txid}:${vout}`, BigInt(value));
  };
  /** The fee a parsed transaction pays, from the known values of what it spends. */
  chain.feeOf = (parsed) => parsed.inputs.reduce((s, i) => s + (chain.values.get(`${i.txid}:${i.vout}`) ?? 0n), 0n)
    - parsed.outputs.reduce((s, out) => s + out.value, 0n);
  /** A miner that had `txid` (even one a replacement evicted) puts it in the next block. */
  chain.confirmTx = (txid) => {
    const evicted = chain.replaced.get(txid);
    if (evicted) {
      for (const [other, t] of chain.mempool) {
        if (t.parsed.inputs.some((i) => evicted.parsed.inputs.some((e) => e.txid === i.txid && e.vout === i.vout))) {
          chain.mempool.delete(other);
          chain.replaced.set(other, t);
        }
      }
      chain.mempool.set(txid, evicted);
      chain.replaced.delete(txid);
    }
    chain.tip += 1;
    chain.confirmed.set(txid, chain.tip);
  };
  chain.watch = (address, script) => chain.watched.set(script, address);
  chain.mine = () => {
    chain.tip += 1;
    for (const txid of chain.mempool.keys()) if (!chain.confirmed.has(txid)) chain.confirmed.set(txid, chain.tip);
    for (const list of chain.utxos.values()) for (const u of list) {
      if (!u.status.confirmed && chain.confirmed.has(u.txid)) u.status = { confirmed: true, block_height: chain.tip };
    }
  };
  chain.txids = () => new Set(chain.posts.map((hex) => parseTx(hex).txid));

  const spentBy = (txid, vout) => [...chain.mempool.values()]
    .find((t) => t.parsed.inputs.some((i) => i.txid === txid && i.vout === vout));
  const exists = (txid, vout) => [...chain.utxos.values()].some((l) => l.some((u) => u.txid === txid && u.vout === vout));

  function broadcast(hex) {
    if (chain.rejectWith) return [400, chain.rejectWith];
    let parsed;
    try { parsed = parseTx(hex); } catch { return [400, 'sendrawtransaction RPC error: {"code":-22,"message":"TX decode failed"}']; }
    if (chain.mempool.has(parsed.txid)) return [200, parsed.txid]; // bitcoind answers the txid again
    const conflicts = new Map();
    for (const i of parsed.inputs) {
      const other = spentBy(i.txid, i.vout);
      if (other) conflicts.set(other.parsed.txid, other);
      else if (!exists(i.txid, i.vout)) return [400, 'sendrawtransaction RPC error -25: bad-txns-inputs-missingorspent'];
    }
    if (conflicts.size) {
      // BIP-125 as Bitcoin Core applies it: the replacement pays more than what it
      // evicts, by at least the incremental relay fee (1 sat/vB) for its own size.
      const old = [...conflicts.values()].reduce((s, t) => s + chain.feeOf(t.parsed), 0n);
      if (chain.feeOf(parsed) < old + BigInt(parsed.vsize)) {
        return [400, `sendrawtransaction RPC error: {"code":-26,"message":"insufficient fee, rejecting replacement ${parsed.txid}"}`];
      }
      for (const [txid, t] of conflicts) {
        chain.mempool.delete(txid);
        chain.replaced.set(txid, t);
        for (const i of t.parsed.inputs) {
          const taken = chain.spentUtxos.get(`${i.txid}:${i.vout}`);
          if (taken) chain.utxos.get(taken[0]).push(taken[1]);
        }
        for (const [address, list] of chain.utxos) chain.utxos.set(address, list.filter((u) => u.txid !== txid));
      }
    }
    chain.mempool.set(parsed.txid, { hex, parsed });
    for (const [address, list] of chain.utxos) {
      for (const u of list) if (parsed.inputs.some((i) => i.txid === u.txid && i.vout === u.vout)) chain.spentUtxos.set(`${u.txid}:${u.vout}`, [address, u]);
      chain.utxos.set(address, list.filter((u) => !parsed.inputs.some((i) => i.txid === u.txid && i.vout === u.vout)));
    }
    parsed.outputs.forEach((out, vout) => {
      chain.values.set(`${parsed.txid}:${vout}`, out.value);
      const address = chain.watched.get(out.script);
      if (!address) return;
      const list = chain.utxos.get(address) ?? [];
      list.push({ txid: parsed.txid, vout, value: Number(out.value), status: { confirmed: false } });
      chain.utxos.set(address, list);
    });
    return [200, parsed.txid];
  }

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const text = (status, t, type = 'text/plain') => res.writeHead(status, { 'content-type': type }).end(t);
      const json = (v) => text(200, JSON.stringify(v), 'application/json');
      let m;
      if (req.method === 'POST' && req.url === '/tx') {
        chain.posts.push(body.trim());
        const [status, answer] = broadcast(body.trim());
        return text(status, answer);
      }
      if (req.method !== 'GET') return text(404, 'Not Found');
      if ((m = /^\/address\/(\w+)\/utxo$/.exec(req.url))) return json(chain.utxos.get(m[1]) ?? []);
      if ((m = /^\/address\/(\w+)\/txs$/.exec(req.url))) {
        // Mempool transactions first, then confirmed ones newest first, as electrs lists them.
        const list = [...(chain.incoming.get(m[1]) ?? [])];
        list.sort((a, b) => (a.status.confirmed ? 1 : 0) - (b.status.confirmed ? 1 : 0)
          || (b.status.block_height ?? 0) - (a.status.block_height ?? 0));
        return json(list);
      }
      if (req.url === '/fee-estimates') return text(200, chain.feeEstimates, 'application/json');
      if (req.url === '/blocks/tip/height') return text(200, String(chain.tip));
      if ((m = /^\/tx\/([0-9a-f]{64})\/status$/.exec(req.url))) {
        const height = chain.confirmed.get(m[1]);
        return json(height ? { confirmed: true, block_height: height, block_hash: '00'.repeat(32), block_time: 1_700_000_000 } : { confirmed: false });
      }
      if ((m = /^\/tx\/([0-9a-f]{64})$/.exec(req.url))) {
        return chain.mempool.has(m[1]) || chain.confirmed.has(m[1]) ? json({ txid: m[1] }) : text(404, 'Transaction not found');
      }
      return text(404, 'Not Found');
    });
  });
  const port = await new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
  chain.url = `http://127.0.0.1:${port}`;
  chain.stop = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return chain;
}

/**
 * A loopback Ethereum JSON-RPC node answering `eth_getBalance` (EIP-1474: wei as a hex
 * quantity), single or batched. `balances` maps a lower-case address to
 * { latest, pending } in wei (BigInt).
 */
export async function startFakeEthRpc() {
  const node = { balances: new Map(), requests: [] };
  const answer = (call) => {
    node.requests.push(call);
    if (call.method !== 'eth_getBalance') {
      return { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: 'the method does not exist' } };
    }
    const [address, block] = call.params;
    const b = node.balances.get(String(address).toLowerCase()) ?? { latest: 0n, pending: 0n };
    const wei = block === 'pending' ? b.pending : b.latest;
    return { jsonrpc: '2.0', id: call.id, result: `0x${wei.toString(16)}` };
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const parsed = JSON.parse(body);
      const out = Array.isArray(parsed) ? parsed.map(answer) : answer(parsed);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  const port = await new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
  node.url = `http://127.0.0.1:${port}`;
  node.stop = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return node;
}
