// Shows a priced quote (the core's estimate or the API's quote: the same JSON) as a
// list of labelled values, and compares two of them field by field.

// Fields that only the API's quote has (livemode: sandbox or on-chain); they are not part of the price.
const NOT_PRICED = new Set(["id", "expires_at", "livemode"]);

/** [path, value] pairs of the scalar leaves, nested keys joined with dots. */
export function flatten(value, prefix = "") {
  if (value === null || typeof value !== "object") return [[prefix, value]];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  return entries.flatMap(([key, v]) => flatten(v, prefix ? `${prefix}.${key}` : key));
}

/** The priced fields of a quote, without the API's identity and expiry. */
export function pricedFields(quote) {
  return flatten(quote).filter(([path]) => !NOT_PRICED.has(path.split(".")[0]));
}

/** Paths whose values differ between an estimate and a quote (an empty list: same price). */
export function differences(estimate, quote) {
  const a = new Map(pricedFields(estimate));
  const b = new Map(pricedFields(quote));
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)));
}

function row(list, field, label, value, className = "") {
  const div = document.createElement("div");
  div.dataset.field = field;
  if (className) div.className = className;
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  div.append(dt, dd);
  list.append(div);
  return div;
}

/**
 * Renders a quote breakdown (core/src/api.rs `QuoteBreakdown`) into `container`: what is
 * paid and received, the price, every fee and their total. Rows whose field differs from
 * the other side are marked.
 */
export function renderQuote(container, q, { highlight = [] } = {}) {
  const list = document.createElement("dl");
  list.className = "breakdown";
  const f = q.fees || {};
  const fiat = (v) => `${v} ${q.fiat}`;
  row(list, "fiat_amount", "You pay", fiat(q.fiat_amount), "key");
  row(list, "crypto_amount", `You receive (${q.network})`, `${q.crypto_amount} ${q.crypto}`, "key");
  row(list, "price", `Price (mid ${q.mid_price} + ${f.spread?.percent} % spread)`, `${fiat(q.price)} / ${q.crypto}`);
  row(list, "crypto_value", "Value at the mid price", fiat(q.crypto_value));
  row(list, "fees.service.fiat", `Service fee (${f.service?.percent} % + ${fiat(f.service?.fixed)})`, fiat(f.service?.fiat), "fee");
  row(list, "fees.spread.fiat", `Spread (${f.spread?.percent} %)`, fiat(f.spread?.fiat), "fee");
  row(list, "fees.network.fiat", `Network fee (${f.network?.crypto} ${q.crypto})`, fiat(f.network?.fiat), "fee");
  row(list, "fees.total", "Total fees", fiat(f.total), "key");
  row(list, "rate_observed_at", "Rate", `${q.rate_source}, ${new Date(q.rate_observed_at).toLocaleTimeString()}`, "meta-row");
  // A difference in a field without its own row (e.g. mid_price) marks the row showing it.
  for (const path of highlight) {
    const shown = list.querySelector(`[data-field="${path}"]`) || list.querySelector('[data-field="price"]');
    shown.classList.add("differs");
  }
  container.replaceChildren(list);
}

/** Replaces the container's content with one message paragraph. */
export function renderMessage(container, text, { kind = "empty", code } = {}) {
  const p = document.createElement("p");
  p.className = kind;
  p.textContent = text;
  if (code) {
    const c = document.createElement("code");
    c.dataset.testid = "error-code";
    c.textContent = code;
    p.append(" ", c);
  }
  container.replaceChildren(p);
}
