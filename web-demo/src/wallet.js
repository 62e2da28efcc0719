// Where the coins go: a wallet generated on this device (mnemonic + first receive
// address, never sent anywhere), or an address the API derives for the customer.
import { callCore } from "./core.js";

const $ = (id) => document.getElementById(id);

/** BIP-84 (native SegWit) where the currency has it, BIP-44 otherwise. */
export function schemeFor(currency) {
  return currency === "BTC" || currency === "LTC" ? "bip84" : "bip44";
}

// The mnemonic of the wallet made on this page, kept in memory only (never stored).
let wallet = null; // { mnemonic, address }

function setAddress(address) {
  const input = $("address");
  input.value = address;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

/** Derives the wallet's first receive address for the chosen currency and network. */
function fillFirstAddress() {
  const currency = $("crypto").value;
  const network = $("network").value || "mainnet";
  const scheme = schemeFor(currency);
  const derived = callCore("deriveAddresses", {
    mnemonic: wallet.mnemonic, currency, network, scheme, account: 0, change: 0, start: 0, count: 1,
  });
  if (!derived.ok) {
    $("wallet-path").textContent = `Could not derive a ${currency} address: ${derived.message} (${derived.code})`;
    return;
  }
  const first = derived.value.addresses[0];
  wallet.address = first.address;
  $("wallet-path").textContent =
    `First ${currency} ${network} receive address ${first.path} (${scheme.toUpperCase()}), filled in above.`;
  setAddress(first.address);
}

/** Generates a mnemonic, shows it with its warning and fills in its first receive address. */
export function generateWallet() {
  const status = $("api-address-status");
  status.textContent = "";
  const words = Number($("word-count").value) || 12;
  const mnemonic = callCore("generateMnemonic", words);
  if (!mnemonic.ok) {
    status.className = "status error";
    status.textContent = `Could not generate a wallet: ${mnemonic.message} (${mnemonic.code})`;
    return;
  }
  wallet = { mnemonic: mnemonic.value, address: null };
  $("mnemonic").replaceChildren(
    ...mnemonic.value.split(" ").map((word) => {
      const li = document.createElement("li");
      li.textContent = word;
      return li;
    }),
  );
  $("wallet").hidden = false;
  fillFirstAddress();
}

/**
 * After the currency or network changed: if the destination is still the generated wallet's
 * address, replace it with the same wallet's address for the new choice.
 */
export function followCurrency() {
  if (wallet?.address && $("address").value.trim() === wallet.address) fillFirstAddress();
}

/** Asks the API for the customer's next deposit address (needs an xpub in the client's config). */
export async function createApiAddress(state) {
  const status = $("api-address-status");
  status.className = "status";
  status.textContent = "Asking the API…";
  try {
    // The API derives from the xpub the operator registered for the currency, on its network.
    const created = await state.api.createAddress(state.customerId(), { currency: $("crypto").value });
    setAddress(created.address);
    status.className = "status ok";
    status.textContent = `The API derived ${created.address} (${created.network}, ${created.derivation_path}) for ${created.customer_id}.`;
  } catch (error) {
    status.className = "status error";
    status.textContent = `${error.message} (${error.code})`;
  }
}
