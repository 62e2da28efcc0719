// The live rates table (GET /v1/rates): the mid price of each pair and how old it is.

const $ = (id) => document.getElementById(id);

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

export function renderRates(rates) {
  const body = $("rates-body");
  const entries = rates?.rates || [];
  if (entries.length === 0) {
    const td = cell("No rates yet: the operator has not loaded any.");
    td.colSpan = 4;
    td.className = "empty";
    body.replaceChildren(document.createElement("tr"));
    body.firstChild.append(td);
    return;
  }
  body.replaceChildren(
    ...entries.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.pair = `${r.crypto}/${r.fiat}`;
      const stale = rates.max_age_seconds != null && r.age_seconds > rates.max_age_seconds;
      if (stale) tr.className = "stale";
      tr.append(
        cell(`${r.crypto}/${r.fiat}`),
        cell(`${r.price} ${r.fiat}`),
        cell(r.age_seconds != null ? `${r.age_seconds} s${stale ? " (stale)" : ""}` : "—"),
        cell(r.source || "—"),
      );
      return tr;
    }),
  );
}
