// Shows a priced quote (the core's estimate or the API's quote: the same JSON) as a
// list of labelled values, and compares two of them field by field.

// Fields that only the API's stored quote has; they are not part of the price.
const NOT_PRICED = new Set(["id", "quote_id", "expires_at", "created_at", "object"]);

// Labels in the customer's words; any other field is shown with its key humanized.
const LABELS = {
  fiat_amount: "You pay",
  crypto_amount: "You receive",
  price: "Price",
  effective_price: "Price (incl. spread)",
  mid_price: "Mid-market price",
  spread_percent: "Spread",
  fees: "Fees",
  service_fee: "Service fee",
  service_fee_percent: "Service fee (percent part)",
  service_fee_fixed: "Service fee (fixed part)",
  network_fee: "Network fee",
  network_fee_fiat: "Network fee (in fiat)",
  total_fees: "Total fees",
  total_fee: "Total fees",
  total: "Total",
  total_fiat: "Total",
};

function humanize(key) {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

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

function labelOf(path) {
  const last = path.split(".").at(-1);
  return LABELS[last] || humanize(last);
}

/** Renders the quote's priced fields into `container` as a <dl>. */
export function renderQuote(container, quote, { highlight = new Set() } = {}) {
  const list = document.createElement("dl");
  list.className = "breakdown";
  for (const [path, value] of pricedFields(quote)) {
    const row = document.createElement("div");
    row.dataset.field = path;
    if (path.startsWith("fees.") || path.includes("fee")) row.classList.add("fee");
    if (/^(total|fiat_amount|crypto_amount)/.test(path)) row.classList.add("key");
    if (highlight.has(path)) row.classList.add("differs");
    const dt = document.createElement("dt");
    dt.textContent = labelOf(path);
    const dd = document.createElement("dd");
    dd.textContent = value === null ? "—" : String(value);
    row.append(dt, dd);
    list.append(row);
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
