// The demo page's wiring: loads the wasm core, connects to the API with the pasted key,
// and connects each control to the module that handles it.
import { checkAddress } from "./address.js";
import { createApi } from "./api.js";
import { loadCore } from "./core.js";
import { fillCurrencies, fillNetworks, lockQuote, showMatch, updateEstimate } from "./estimate.js";
import { placeOrder, refreshBalance, refreshOrders } from "./orders.js";
import { renderRates } from "./rates.js";
import { bindSell } from "./sell.js";
import { apiKey, customerId, loadSettings, saveSettings } from "./settings.js";
import { createApiAddress, followCurrency, generateWallet } from "./wallet.js";

const $ = (id) => document.getElementById(id);

const state = {
  api: createApi({ apiKey }),
  customerId,
  config: null,
  rates: null,
  estimate: null, // { request, value } priced in the browser
  quote: null, // { request, value } from POST /v1/quotes
  address: null, // the valid destination, or null
};

function setStatus(el, text, kind = "") {
  el.className = `status ${kind}`.trim();
  el.textContent = text;
}

function sameRequest(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The locked quote for the current form if it is still valid for a few seconds, else a new one. */
async function ensureQuote() {
  const q = state.quote;
  const fresh = q && Date.parse(q.value.expires_at) - Date.now() > 5000;
  if (!fresh || !state.estimate || !sameRequest(q.request, state.estimate.request)) {
    await lockQuote(state);
  }
  return state.quote?.value ?? null;
}

async function loadRates() {
  state.rates = await state.api.rates();
  renderRates(state.rates);
}

async function connect() {
  const status = $("connection-status");
  saveSettings();
  if (!apiKey()) {
    setStatus(status, "Paste the demo client's API key to connect.", "error");
    $("api-key").focus();
    return;
  }
  setStatus(status, "Connecting…");
  try {
    const [config] = await Promise.all([state.api.config(), loadRates()]);
    state.config = config;
    fillCurrencies(config);
    setStatus(status, `Connected as “${config.name}”, customer ${customerId()}.`, "ok");
    status.dataset.connected = "true";
    onCurrencyChange();
    refreshOrders(state);
  } catch (error) {
    delete status.dataset.connected;
    setStatus(status, `${error.message} (${error.code})`, "error");
  }
}

/** Reprices; a quote locked for other input no longer stands beside the estimate as a match. */
function reprice() {
  updateEstimate(state);
  showMatch(state);
}

function onFormChange() {
  reprice();
}

function onCurrencyChange() {
  if (state.config) fillNetworks(state.config);
  reprice();
  followCurrency(); // re-fills the address (and so re-checks it) when it is the generated wallet's
  if (checkAddress(state)) refreshBalance(state);
}

/** Runs `task` with `button` disabled, so a double click cannot send a request twice. */
async function busy(button, task) {
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  button.disabled = true;
  try {
    await task();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

function bind() {
  $("connection-form").addEventListener("submit", (event) => {
    event.preventDefault();
    connect();
  });
  $("refresh-rates").addEventListener("click", async () => {
    try {
      await loadRates();
      reprice();
    } catch (error) {
      setStatus($("connection-status"), `${error.message} (${error.code})`, "error");
    }
  });
  $("estimate-form").addEventListener("submit", (event) => event.preventDefault());
  $("amount").addEventListener("input", onFormChange);
  $("fiat").addEventListener("change", onFormChange);
  for (const radio of document.querySelectorAll('input[name="side"]')) radio.addEventListener("change", onFormChange);
  $("crypto").addEventListener("change", onCurrencyChange);
  $("network").addEventListener("change", onCurrencyChange);
  $("lock-quote").addEventListener("click", (event) => {
    if (!state.estimate) {
      setStatus($("quote-match"), "Enter an amount the estimate can price first.", "error");
      $("amount").focus();
      return;
    }
    busy(event.currentTarget, () => lockQuote(state));
  });
  $("address").addEventListener("input", () => {
    if (checkAddress(state)) refreshBalance(state);
  });
  $("generate-wallet").addEventListener("click", generateWallet);
  $("create-address").addEventListener("click", (event) => busy(event.currentTarget, () => createApiAddress(state)));
  $("place-order").addEventListener("click", (event) => {
    if (!state.estimate) {
      setStatus($("order-error"), "Enter an amount the estimate can price first.", "error");
      $("amount").focus();
      return;
    }
    const onSettled = () => {
      refreshOrders(state);
      refreshBalance(state);
    };
    // Busy only while placing: the status keeps being followed after the button is free again.
    busy(event.currentTarget, () => placeOrder(state, { ensureQuote, onSettled }));
  });
  $("refresh-orders").addEventListener("click", () => refreshOrders(state));
  $("refresh-balance").addEventListener("click", () => refreshBalance(state));
}

async function start() {
  loadSettings();
  bind();
  bindSell({ ...state, apiKey, get api() { return state.api; }, get config() { return state.config; } });
  const coreStatus = $("core-status");
  try {
    const { version, missing } = await loadCore();
    coreStatus.dataset.ready = "true";
    coreStatus.textContent =
      missing.length === 0
        ? `cryptoexchange-core ${version} running in this browser (WebAssembly).`
        : `cryptoexchange-core ${version} loaded, but this build lacks ${missing.join(", ")}.`;
  } catch (error) {
    coreStatus.dataset.ready = "false";
    coreStatus.className = "core-status error";
    coreStatus.textContent = `The WebAssembly core did not load: ${error.message}`;
  }
  if (apiKey()) await connect();
}

start();
