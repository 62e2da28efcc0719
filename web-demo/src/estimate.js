// The order form's pricing: the estimate computed in the browser by the core with the
// fetched rates and config, recomputed on every keystroke, and the quote locked at the API.
import { callCore } from "./core.js";
import { differences, renderMessage, renderQuote } from "./quote-view.js";

const $ = (id) => document.getElementById(id);

function fillSelect(select, values, keep) {
  const previous = keep ? select.value : "";
  select.replaceChildren(...values.map((v) => new Option(v, v)));
  if (values.includes(previous)) select.value = previous;
}

/** The JSON as the API or the core returned it, folded: developers want to see the shape. */
function rawJson(value, { open = false } = {}) {
  const details = document.createElement("details");
  details.open = open;
  const summary = document.createElement("summary");
  summary.textContent = "JSON";
  const pre = document.createElement("pre");
  pre.textContent = JSON.stringify(value, null, 2);
  details.append(summary, pre);
  return details;
}

/** Offers the currencies and networks the client's config enables. */
export function fillCurrencies(config) {
  fillSelect($("crypto"), Object.keys(config.crypto || {}), true);
  fillSelect($("fiat"), Object.keys(config.fiat || {}), true);
  fillNetworks(config);
}

export function fillNetworks(config) {
  const networks = config.crypto?.[$("crypto").value]?.networks || [];
  fillSelect($("network"), networks, true);
  for (const el of document.querySelectorAll(".crypto-code")) el.textContent = $("crypto").value || "crypto";
  for (const el of document.querySelectorAll(".fiat-code")) el.textContent = $("fiat").value || "fiat";
  for (const el of document.querySelectorAll(".network-name")) el.textContent = $("network").value || "network";
}

/** The body of POST /v1/quotes for what the form says, or null without an amount. */
export function quoteRequestFromForm() {
  const amount = $("amount").value.trim();
  if (!amount) return null;
  const side = document.querySelector('input[name="side"]:checked')?.value || "fiat";
  return {
    crypto: $("crypto").value,
    network: $("network").value,
    fiat: $("fiat").value,
    amount,
    amount_currency: side === "fiat" ? $("fiat").value : $("crypto").value,
  };
}

/**
 * Recomputes the estimate from the form. Returns `{ request, value }` when it priced,
 * null otherwise (the reason is shown in the estimate panel).
 */
export function updateEstimate(state) {
  const panel = $("estimate");
  const summary = $("estimate-summary");
  const request = quoteRequestFromForm();
  state.estimate = null;
  if (!request) {
    renderMessage(panel, "Type an amount to see the price, every fee and the total.");
    summary.textContent = "";
    return null;
  }
  if (!state.config || !state.rates) {
    renderMessage(panel, "Connect first: the estimate needs the client's config and the rates.");
    summary.textContent = "";
    return null;
  }
  const result = callCore("estimate", request, state.rates, state.config);
  if (!result.ok) {
    renderMessage(panel, result.message, { kind: "error", code: result.code });
    summary.textContent = `No estimate: ${result.message}`;
    return null;
  }
  const q = result.value;
  state.estimate = { request, value: q };
  const jsonOpen = panel.querySelector("details")?.open; // keep it open while typing
  renderQuote(panel, q);
  panel.append(rawJson(q, { open: jsonOpen }));
  // One short sentence for screen readers, rather than the whole table on every keystroke.
  summary.textContent = `You pay ${q.fiat_amount} ${q.fiat} and receive ${q.crypto_amount} ${q.crypto}, fees ${q.fees.total} ${q.fiat} included.`;
  return state.estimate;
}

/** Asks the API for a quote for the same request and shows it next to the estimate. */
export async function lockQuote(state) {
  const panel = $("quote");
  const match = $("quote-match");
  const current = state.estimate;
  if (!current) return;
  state.quote = null;
  renderMessage(panel, "Asking the API…");
  match.textContent = "";
  delete match.dataset.match;
  panel.classList.remove("stale");
  try {
    const quote = await state.api.createQuote(current.request);
    state.quote = { request: current.request, value: quote };
    const diff = differences(current.value, quote);
    renderQuote(panel, quote, { highlight: diff });
    panel.append(rawJson(quote));
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.dataset.testid = "quote-meta";
    meta.textContent = `Quote ${quote.id}, valid until ${new Date(quote.expires_at).toLocaleTimeString()}`;
    panel.prepend(meta);
    showMatch(state);
  } catch (error) {
    renderMessage(panel, error.message, { kind: "error", code: error.code });
  }
}

/**
 * Says whether the locked quote equals the estimate beside it, or that it was locked for
 * other input (then it is greyed out until locked again).
 */
export function showMatch(state) {
  const match = $("quote-match");
  const { quote, estimate } = state;
  if (!quote) return;
  const stale = !estimate || JSON.stringify(quote.request) !== JSON.stringify(estimate.request);
  $("quote").classList.toggle("stale", stale);
  const diff = stale ? [] : differences(estimate.value, quote.value);
  const [kind, text] = stale
    ? ["stale", "The locked quote is for the previous input: lock again to compare."]
    : diff.length === 0
      ? ["yes", "The API's quote is exactly the in-browser estimate."]
      : ["no", `The API's quote differs from the estimate in: ${diff.join(", ")} (rates may have moved).`];
  if (match.dataset.match === kind) return; // unchanged: do not re-announce it on every keystroke
  match.dataset.match = kind;
  match.className = `status ${kind === "yes" ? "ok" : kind === "no" ? "error" : ""}`.trim();
  match.textContent = text;
}
