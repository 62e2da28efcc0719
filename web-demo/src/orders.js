// Placing an order at the locked quote, following its status until it ends, and the
// customer's order list and the destination's balance.
const $ = (id) => document.getElementById(id);

export const TERMINAL = new Set(["completed", "failed", "expired"]);
// The way an order goes when all is well (core/src/order.rs); shown ahead, greyed out.
const HAPPY_PATH = ["pending", "processing", "sent", "completed"];
const POLL_MS = 1000;

/** A UUID v4; `crypto.randomUUID` only exists in secure contexts (not on http://192.168…). */
function idempotencyKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

let polling = 0; // generation counter: a newer order stops the older one's polling

function showError(error) {
  const out = $("order-error");
  out.className = "status error";
  out.textContent = error ? `${error.message} (${error.code})` : "";
}

const orderId = (order) => order.id;

function renderTimeline(order, seen) {
  // The API's own history when it sends one, else the statuses this page saw.
  const steps = order.status_history?.length ? order.status_history : seen;
  const items = steps.map((step) => {
    const li = document.createElement("li");
    li.dataset.status = step.status;
    if (TERMINAL.has(step.status)) li.classList.add(step.status === "completed" ? "done" : "failed");
    const name = document.createElement("strong");
    name.textContent = step.status;
    li.append(name);
    if (step.at) li.append(` at ${new Date(step.at).toLocaleTimeString()}`);
    if (step.failure_reason) li.append(`: ${step.failure_reason}`);
    return li;
  });
  const reached = HAPPY_PATH.indexOf(order.status);
  if (reached >= 0) {
    for (const status of HAPPY_PATH.slice(reached + 1)) {
      const li = document.createElement("li");
      li.className = "upcoming";
      li.dataset.status = status;
      li.textContent = status;
      items.push(li);
    }
  }
  $("timeline").replaceChildren(...items);
}

function renderOrder(order, seen) {
  $("order-view").hidden = false;
  $("order-id").textContent = orderId(order);
  const status = $("order-status");
  status.textContent = order.status;
  status.dataset.status = order.status;
  if (seen.at(-1)?.status !== order.status) seen.push({ status: order.status, at: new Date().toISOString() });
  renderTimeline(order, seen);
  $("order-tx").textContent = order.tx_id
    ? `Transaction ${order.tx_id}`
    : order.sandbox_reference
      ? `Sandbox transfer ${order.sandbox_reference} (no coins were sent)`
      : "";
}

/**
 * Places an order for the quote locked for the current form (locking one first when there
 * is none or the form changed), then polls it every second until it ends.
 */
export async function placeOrder(state, { ensureQuote, onSettled }) {
  showError(null);
  if (!state.address) {
    showError({ message: "Enter or generate a valid destination address first", code: "no_destination" });
    $("address").focus();
    return;
  }
  const quote = await ensureQuote();
  if (!quote) {
    showError({ message: "Could not get a quote for this amount; see the quote panel", code: "no_quote" });
    return;
  }
  // The order repeats the quoted request; with `quote_id` the API holds the locked price.
  const body = {
    customer_id: state.customerId(),
    crypto: quote.crypto,
    network: quote.network,
    fiat: quote.fiat,
    amount: quote.amount,
    amount_currency: quote.amount_currency,
    destination_address: state.address.address,
    quote_id: quote.id,
  };
  let order;
  try {
    order = await state.api.placeOrder(state.customerId(), body, idempotencyKey());
  } catch (error) {
    showError(error);
    return;
  }
  onSettled?.();
  follow(state, order, onSettled); // not awaited: the button is free again while the status moves
}

/** Polls the order every second until it ends (or a newer order is being followed). */
async function follow(state, order, onSettled) {
  const generation = ++polling;
  const seen = [];
  renderOrder(order, seen);
  while (!TERMINAL.has(order.status) && generation === polling) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    try {
      order = await state.api.order(orderId(order));
      renderOrder(order, seen);
    } catch (error) {
      showError(error); // keep polling: a transient error should not hide the outcome
    }
  }
  if (generation === polling) onSettled?.();
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

const amountOf = (order) => `${order.crypto_amount} ${order.crypto} for ${order.fiat_amount} ${order.fiat}`;

/** Shows the customer's orders, newest first, or "No orders yet". */
export async function refreshOrders(state) {
  const body = $("orders-body");
  try {
    const result = await state.api.listOrders(state.customerId());
    const orders = result.orders || [];
    if (orders.length === 0) {
      const td = cell("No orders yet.");
      td.colSpan = 3;
      td.className = "empty";
      body.replaceChildren(document.createElement("tr"));
      body.firstChild.append(td);
      return;
    }
    body.replaceChildren(
      ...orders.map((order) => {
        const tr = document.createElement("tr");
        tr.dataset.orderId = orderId(order);
        tr.dataset.status = order.status;
        const created = order.created_at ? new Date(order.created_at).toLocaleString() : "—";
        tr.append(cell(created), cell(amountOf(order)), cell(order.status));
        return tr;
      }),
    );
  } catch (error) {
    const td = cell(`${error.message} (${error.code})`);
    td.colSpan = 3;
    td.className = "error";
    body.replaceChildren(document.createElement("tr"));
    body.firstChild.append(td);
  }
}

/** Shows the balance of the (valid) destination address. */
export async function refreshBalance(state) {
  const out = $("balance");
  const p = document.createElement("p");
  if (!state.address) {
    p.className = "empty";
    p.textContent = "Enter a valid destination address to see its balance.";
    out.replaceChildren(p);
    return;
  }
  try {
    const balance = await state.api.balance(state.address.currency, state.address.address);
    const dl = document.createElement("dl");
    dl.className = "breakdown";
    const rows = [
      ["total", "Total", "key"],
      ["confirmed", "Confirmed on chain"],
      ["unconfirmed", "Unconfirmed"],
      ["sandbox_received", "Received from sandbox orders"],
    ];
    for (const [field, label, className] of rows) {
      if (balance[field] == null) continue; // sandbox_received is null outside sandbox mode
      const row = document.createElement("div");
      row.dataset.field = field;
      if (className) row.className = className;
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = balance[field];
      row.append(dt, dd);
      dl.append(row);
    }
    const head = document.createElement("p");
    head.className = "meta";
    head.textContent = `${balance.currency} ${balance.network}: ${balance.address}`;
    out.replaceChildren(head, dl);
  } catch (error) {
    p.className = "error";
    p.textContent = `${error.message} (${error.code})`;
    out.replaceChildren(p);
  }
}
