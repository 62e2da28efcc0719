// Destination address check, in the browser as the user types: valid for the chosen
// currency and network, or the core's reason (message and stable code).
import { callCore } from "./core.js";

const $ = (id) => document.getElementById(id);

/** Validates the address field; stores `state.address` (null unless valid). */
export function checkAddress(state) {
  const out = $("address-result");
  const input = $("address");
  const address = input.value.trim();
  state.address = null;
  out.replaceChildren();
  delete out.dataset.valid;
  input.removeAttribute("aria-invalid");
  if (!address) {
    out.textContent = "";
    return null;
  }
  const currency = $("crypto").value;
  const network = $("network").value || "mainnet";
  const result = callCore("validateAddress", currency, address, network);
  if (!result.ok) {
    out.dataset.valid = "unknown";
    out.className = "status error";
    out.textContent = `Cannot check the address: ${result.message}`;
    return null;
  }
  const v = result.value;
  if (v.valid) {
    state.address = { currency, network, address: v.normalized || address, kind: v.kind };
    out.dataset.valid = "true";
    out.className = "status ok";
    out.textContent = `Valid ${currency} ${v.network || network} address (${v.kind}).`;
    return state.address;
  }
  input.setAttribute("aria-invalid", "true");
  out.dataset.valid = "false";
  out.className = "status error";
  const code = document.createElement("code");
  code.dataset.testid = "address-code";
  code.textContent = v.code;
  const reason = document.createElement("span");
  reason.dataset.testid = "address-message";
  reason.textContent = v.message;
  out.append(`Not a valid ${currency} ${network} address: `, reason, " ", code);
  return null;
}
