// The Sell side of the page (the off-ramp): a sell order for crypto the customer sends,
// its deposit address as text and QR code (uqr, bundled: no CDN), the exact amount to
// send, the countdown to the deadline and the status timeline. In sandbox mode a button
// simulates the customer's transfer (POST /v1/sandbox/orders/{id}/deposit).
import { renderSVG } from "uqr";

const $ = (id) => document.getElementById(id);

let current = null; // the sell order shown
let ticker = null;

function setStatus(el, text, kind = "") {
  el.className = `status ${kind}`.trim();
  el.textContent = text;
}

function key() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

/** Shows the Buy cards or the Sell card. */
function showSide(side) {
  for (const id of ["buy", "destination", "order"]) $(id).hidden = side === "sell";
  $("sell").hidden = side !== "sell";
}

function fillCryptos(state) {
  const select = $("sell-crypto");
  const cryptos = Object.keys(state.config?.crypto ?? {}).filter((c) => c !== "ETH");
  select.replaceChildren(...cryptos.map((c) => new Option(c, c)));
  const fiats = Object.keys(state.config?.fiat ?? {});
  $("sell-fiat").replaceChildren(...fiats.map((f) => new Option(f, f)));
}

function countdown() {
  const el = $("sell-countdown");
  if (!current) return;
  const left = Math.max(0, Math.floor((Date.parse(current.deadline) - Date.now()) / 1000));
  const waiting = ["awaiting_deposit", "underpaid"].includes(current.status);
  el.textContent = waiting
    ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left to send`
    : `deadline ${new Date(current.deadline).toLocaleTimeString()}`;
}

function render(order) {
  current = order;
  $("sell-view").hidden = false;
  $("deposit-address").textContent = order.deposit_address;
  const uri = `${order.crypto === "BTC" ? "bitcoin" : order.crypto.toLowerCase()}:${order.deposit_address}?amount=${order.expected_crypto_amount}`;
  $("deposit-qr").innerHTML = renderSVG(uri, { border: 2 });
  $("deposit-qr").querySelector("svg")?.setAttribute("aria-label", `QR code of ${uri}`);
  $("amount-to-send").textContent = `${order.expected_crypto_amount} ${order.crypto}`;
  $("sell-payout").textContent = order.payout_fiat_amount
    ? `${order.payout_fiat_amount} ${order.fiat} to pay out`
    : `${order.fiat_amount} ${order.fiat} quoted (fees ${order.fees.total} ${order.fiat})`;
  $("sell-status").textContent = order.exception ? `${order.status} (${order.exception})` : order.status;
  $("sell-timeline").replaceChildren(...order.status_history.map((h) => {
    const li = document.createElement("li");
    li.textContent = `${h.status} — ${new Date(h.at).toLocaleTimeString()}`;
    return li;
  }));
  $("simulate-deposit").disabled = order.status !== "awaiting_deposit" && order.status !== "underpaid";
  $("confirm-payout").disabled = order.status !== "payout_pending";
  countdown();
}

async function placeSell(state) {
  const error = $("sell-error");
  setStatus(error, "");
  try {
    const body = {
      side: "sell",
      crypto: $("sell-crypto").value,
      network: state.config?.crypto?.[$("sell-crypto").value]?.networks?.[0] ?? "mainnet",
      fiat: $("sell-fiat").value,
      amount: $("sell-amount").value.trim(),
      amount_currency: $("sell-crypto").value,
      refund_address: $("refund-address").value.trim(),
    };
    render(await state.api.placeOrder(state.customerId(), body, key()));
  } catch (e) {
    setStatus(error, `${e.code ?? "error"}: ${e.message}`, "error");
  }
}

async function act(state, path, body) {
  const error = $("sell-error");
  setStatus(error, "");
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${state.apiKey()}` },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw Object.assign(new Error(answer.detail), { code: answer.code });
    render(answer);
  } catch (e) {
    setStatus(error, `${e.code ?? "error"}: ${e.message}`, "error");
  }
}

export function bindSell(state) {
  for (const radio of document.querySelectorAll('input[name="trade-side"]')) {
    radio.addEventListener("change", () => {
      showSide(radio.value);
      if (radio.value === "sell") fillCryptos(state);
    });
  }
  $("place-sell").addEventListener("click", () => placeSell(state));
  $("simulate-deposit").addEventListener("click", () => act(state,
    `/v1/sandbox/orders/${encodeURIComponent(current.id)}/deposit`,
    { amount: current.expected_crypto_amount, confirmations: current.required_confirmations }));
  $("confirm-payout").addEventListener("click", () => act(state,
    `/v1/orders/${encodeURIComponent(current.id)}/fiat-payout`,
    { outcome: "paid", reference: `demo-${Date.now()}` }));
  ticker = setInterval(countdown, 1000);
  return () => clearInterval(ticker);
}
