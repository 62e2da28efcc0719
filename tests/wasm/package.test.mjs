// The npm package as users get it: packed, installed from the tarball into an empty ESM
// project (offline: it has no dependencies), imported by name. And its public types.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from 'cryptoexchange-core';

const PKG = fileURLToPath(new URL('../../core/pkg/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'cryptoexchange-core-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

// npm with its own cache and no network chatter: the test must not depend on ~/.npm.
const npmEnv = {
  ...process.env,
  npm_config_cache: join(work, 'npm-cache'),
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};
const npm = (args, cwd) => execFileSync('npm', args, { cwd, env: npmEnv, encoding: 'utf8' });

test('npm pack, install the tarball offline, import it by name from an ESM project', () => {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], PKG));
  assert.equal(packed.name, 'cryptoexchange-core');
  assert.equal(packed.version, manifest.version);
  const files = packed.files.map((f) => f.path).sort();
  for (const needed of [
    'package.json',
    'node/cryptoexchange_core.js',
    'web/cryptoexchange_core.js',
    'web/cryptoexchange_core_glue.js',
    'web/cryptoexchange_core.d.ts',
    'web/cryptoexchange_core_bg.wasm',
  ]) {
    assert.ok(files.includes(needed), `${needed} missing from the tarball: ${files.join(', ')}`);
  }
  assert.deepEqual(
    files.filter((f) => !/^(package\.json|README\.md|LICENSE.*|(node|web)\/.+)$/.test(f)),
    [],
    'unexpected files in the tarball',
  );
  // One .wasm serves Node and browsers.
  assert.deepEqual(files.filter((f) => f.endsWith('.wasm')), ['web/cryptoexchange_core_bg.wasm']);

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }),
  );
  npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed.filename)], app);

  writeFileSync(
    join(app, 'check.mjs'),
    `import init, { validateAddress, validateAddresses, version } from 'cryptoexchange-core';
// Ready at import; init() (for code shared with browsers) changes nothing.
const before = validateAddress('BTC', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', null).valid;
await init();
const address = 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu';
console.log(JSON.stringify({
  resolved: import.meta.resolve('cryptoexchange-core'),
  before,
  version: version(),
  valid: validateAddress('BTC', address, null),
  invalid: validateAddress('BTC', address.slice(0, -1) + 'x', null),
  bulk: validateAddresses('BTC', [address, ''], null),
}));
`,
  );
  const run = spawnSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' });
  assert.equal(run.status, 0, `node check.mjs failed:\n${run.stderr}`);
  const out = JSON.parse(run.stdout);
  // The installed copy, not the workspace link, and its Node build.
  assert.ok(
    out.resolved.startsWith(`file://${app}/node_modules/cryptoexchange-core/node/`),
    out.resolved,
  );
  assert.equal(out.version, manifest.version);
  assert.equal(out.before, true);
  assert.equal(out.valid.valid, true);
  assert.equal(out.valid.kind, 'p2wpkh');
  assert.equal(out.valid.normalized, 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
  assert.equal(out.valid.script_pubkey, '0014c0cebcd6c3d3ca8c75dc5ec62ebe55330ef910e2');
  assert.equal(out.invalid.valid, false);
  assert.equal(out.invalid.code, 'bad_checksum');
  assert.deepEqual(out.bulk, [null, 'empty']);
});

const exportedFunctions = (dts) =>
  dts
    .split('\n')
    .filter((line) => line.startsWith('export function') || line.startsWith('export default function'));

test('.d.ts: exported function signatures have no any, and match the runtime', () => {
  const dts = readFileSync(join(PKG, manifest.exports['.'].types), 'utf8');
  const signatures = exportedFunctions(dts);
  assert.ok(signatures.length >= 10, `only ${signatures.length} exported functions`);
  const withAny = signatures.filter((line) => /\bany\b/.test(line));
  assert.deepEqual(withAny, [], 'exported signatures typed any');
  // Every runtime export is declared, and every declared function exists (the Node
  // entry also has the browser's init and initSync, which are no-ops there).
  const declared = new Set(signatures.map((line) => line.match(/^export (?:default )?function (\w+)/)?.[1]));
  const runtime = Object.keys(core).filter((k) => typeof core[k] === 'function' && k !== 'default');
  assert.deepEqual(runtime.sort(), [...declared].filter((n) => n !== '__wbg_init').sort());
  assert.equal(typeof core.default, 'function', 'the default export is init');
  // The published domain types.
  for (const type of ['AddressCheck', 'QuoteBreakdown', 'ClientConfig', 'CoreError', 'Derivation']) {
    assert.match(dts, new RegExp(`export (interface|type) ${type}\\b`), type);
  }
});

test('package.json exports point at files that exist in the package', () => {
  const targets = [];
  const walk = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  targets.push(manifest.main, manifest.types);
  for (const target of targets) {
    assert.doesNotThrow(() => readFileSync(join(PKG, target)), `${target} is missing`);
  }
});
