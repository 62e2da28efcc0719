// The rates table (GET /v1/rates): each pair's mid price, where it comes from, how old it
// is and its status (ok, suspect: a jump is held; stale: too old to quote). Fixed prices
// from configuration (the `static` source) are said to be such, never "live".

const $ = (id) => document.getElementById(id);

function cell(text, field) {
  const td = document.createElement("td");
  td.textContent = text;
  if (field) td.dataset.field = field;
  return td;
}

/** "static (fixed prices from configuration)", "median of kraken, coinbase", ... */
function describeSource(r) {
  if (r.source === "static") return "static (fixed prices from configuration)";
  if (r.source?.startsWith("median:")) return `median of ${r.source.slice(7).split(",").join(", ")}`;
  if (r.expires_at) return `${r.source} (override until ${new Date(r.expires_at).toLocaleTimeString()})`;
  return r.source || "—";
}

function origin(entries) {
  const sources = new Set(entries.map((r) => r.source));
  if (sources.size === 1 && sources.has("static")) {
    return "Static prices from the server's configuration (offline): not market data.";
  }
  if ([...sources].some((s) => s?.startsWith("median:"))) {
    return "Live: each price is the median of the exchanges that agree.";
  }
  return "Prices set by the operator or derived; see each pair's source.";
}

export function renderRates(rates) {
  const body = $("rates-body");
  const entries = rates?.rates || [];
  if (entries.length === 0) {
    const td = cell("No rates yet: the operator has not loaded any.");
    td.colSpan = 5;
    td.className = "empty";
    body.replaceChildren(document.createElement("tr"));
    body.firstChild.append(td);
    $("rates-origin").textContent = "No rates yet.";
    return;
  }
  $("rates-origin").textContent = origin(entries);
  body.replaceChildren(
    ...entries.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.pair = `${r.crypto}/${r.fiat}`;
      const status = r.status ?? "ok";
      tr.dataset.status = status;
      if (status !== "ok") tr.className = status;
      const source = cell(describeSource(r), "source");
      const used = (r.sources || []).filter((s) => s.used).map((s) => s.name);
      const refused = (r.sources || []).filter((s) => !s.used).map((s) => `${s.name}: ${s.reason}`);
      if (used.length || refused.length) source.title = [...used.map((n) => `${n}: used`), ...refused].join("\n");
      tr.append(
        cell(`${r.crypto}/${r.fiat}`, "pair"),
        cell(`${r.price} ${r.fiat}`, "price"),
        cell(r.age_seconds != null ? `${r.age_seconds} s` : "—", "age"),
        cell(status, "status"),
        source,
      );
      return tr;
    }),
  );
}
