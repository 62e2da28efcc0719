// Starts the real worker under `wrangler dev` (workerd, local D1/KV/Queues) on loopback,
// with a fresh persistence directory whose D1 has the migrations applied first.
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ADMIN_TOKEN = 'dev-admin-token';
/** The master key of the webhook secrets at rest in tests (edge-worker/src/secrets.rs). */
export const TEST_MASTER_KEYS = JSON.stringify({ current: 'test1', keys: { test1: 'dGVzdCBtYXN0ZXIga2V5IG9mIDMyIGJ5dGVzLCBvayE=' } });

const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
const QUIET_ENV = {
  ...process.env,
  PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`,
  WRANGLER_SEND_METRICS: 'false',
  DO_NOT_TRACK: '1',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_COLOR: '1',
};

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Copies .dev.vars.example to .dev.vars when absent (the local ADMIN_TOKEN). */
export function ensureDevVars() {
  const target = join(ROOT, '.dev.vars');
  if (!existsSync(target)) copyFileSync(join(ROOT, '.dev.vars.example'), target);
}

/**
 * Runs scripts/build (wrangler.toml's build command: the npm package, the worker and
 * the demo page; a no-op when fresh) before wrangler does, so a stale build shows as a
 * build error here instead of a slow wrangler start.
 */
export function build(root = ROOT) {
  const r = spawnSync(join(root, 'scripts', 'build'), [], { cwd: root, env: QUIET_ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/build failed:\n${r.stdout}\n${r.stderr}`);
}

export function applyMigrations(persistDir, root = ROOT, configArgs = []) {
  const r = spawnSync(
    WRANGLER,
    ['d1', 'migrations', 'apply', 'DB', ...configArgs, '--local', '--persist-to', persistDir],
    { cwd: root, env: { ...QUIET_ENV, CI: '1' }, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`migrations failed:\n${r.stdout}\n${r.stderr}`);
}

/** Every wrangler process group this process started and has not stopped yet. */
const running = new Set();
const killAll = () => {
  for (const pid of running) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
  }
};
// A runner that dies (an uncaught error, Ctrl-C) must not leave workerd running.
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { killAll(); process.exit(130); });
}

/**
 * Starts `wrangler dev`; `vars` are passed with --var (e.g. ESPLORA_URL_BTC). `root` is
 * the tree to run it in; `prebuild: false` leaves the building to wrangler's build command.
 * `config` is another wrangler.toml (the benchmark's baseline worker), whose D1
 * migrations are applied the same way; it is ready when `readyPath` answers `readyStatus`
 * (a misconfigured worker answers 500). `persistDir` restarts on the state of an earlier
 * run (migrations applied), e.g. after its `kill()`.
 * wrangler's output streams to tests/artifacts/wrangler-<port>.log (never into memory:
 * under load it outgrows a string).
 * Returns { url, stop(), kill(), logs(), persistDir }.
 */
export async function startWorker({
  vars = {}, timeoutMs = 60_000, root = ROOT, prebuild = true, config, readyPath = '/healthz',
  readyStatus = 200, persistDir: reuse,
} = {}) {
  ensureDevVars();
  const persistDir = reuse ?? mkdtempSync(join(tmpdir(), 'cx-worker-'));
  const configArgs = config ? ['--config', config] : [];
  if (prebuild && !config) build(root);
  if (!reuse) applyMigrations(persistDir, root, configArgs);
  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [
    'dev', ...configArgs, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort),
    '--persist-to', persistDir, '--show-interactive-dev-session=false', '--log-level', process.env.CX_WRANGLER_LOG_LEVEL ?? 'info',
  ];
  // Tests make many requests with one key: a high rate limit unless a test sets its own
  // (tests/api/security.test.mjs does).
  const allVars = config ? vars : { RATE_LIMIT: '1000000', SECRETS_MASTER_KEYS: TEST_MASTER_KEYS, ...vars };
  for (const [k, v] of Object.entries(allVars)) args.push('--var', `${k}:${v}`);
  // A private dev registry: otherwise every wrangler dev on the machine (other test
  // files, other people's runs) shares ~/.config/.wrangler/registry, and a change there
  // can reload this runtime mid-request ("Your worker restarted mid-request").
  const env = { ...QUIET_ENV, WRANGLER_REGISTRY_PATH: join(persistDir, 'registry') };
  // tests/artifacts/ is gitignored: keep the wrangler output of every run for debugging.
  const artifacts = join(ROOT, 'tests', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const logPath = join(artifacts, `wrangler-${port}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(WRANGLER, args, {
    cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child.pid);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let exited = false;
  child.on('exit', () => { exited = true; running.delete(child.pid); });
  const logs = () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } };
  const tail = () => logs().slice(-20_000);

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      await new Promise((r) => { if (exited) r(); else child.once('exit', r); setTimeout(r, 5000); });
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    running.delete(child.pid);
    await new Promise((r) => log.end(r));
    rmSync(persistDir, { recursive: true, force: true });
  };

  // A crash: the process group is killed at once and the state kept for a restart
  // (startWorker({ persistDir })); stop() of the last run removes it.
  const kill = async () => {
    if (!exited) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      await new Promise((r) => { if (exited) r(); else child.once('exit', r); setTimeout(r, 5000); });
    }
    running.delete(child.pid);
    await new Promise((r) => log.end(r));
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`wrangler dev exited early:\n${tail()}`);
    try {
      const r = await fetch(`${url}${readyPath}`);
      if (r.status === readyStatus) return { url, stop, kill, logs, persistDir };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer ${readyPath} within ${timeoutMs} ms:\n${tail()}`);
}
