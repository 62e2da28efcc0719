// The demo's credentials: the API key (from `?api_key=` or pasted, kept in localStorage
// so a reload stays connected) and the customer the orders are placed for.

const KEY_STORAGE = "cryptoexchange-demo.api_key";
const CUSTOMER_STORAGE = "cryptoexchange-demo.customer_id";
const $ = (id) => document.getElementById(id);

function stored(name) {
  try {
    return localStorage.getItem(name) || "";
  } catch {
    return ""; // storage disabled (private mode, sandboxed frame): the field still works
  }
}

function store(name, value) {
  try {
    localStorage.setItem(name, value);
  } catch {
    /* see stored() */
  }
}

/**
 * Fills the fields from the URL or storage. A key in the URL is moved to storage and
 * removed from the address bar, so it does not linger in history or screenshots.
 */
export function loadSettings() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("api_key");
  if (fromUrl) {
    store(KEY_STORAGE, fromUrl);
    url.searchParams.delete("api_key");
    history.replaceState(null, "", url);
  }
  $("api-key").value = fromUrl || stored(KEY_STORAGE);
  const customer = url.searchParams.get("customer_id") || stored(CUSTOMER_STORAGE);
  if (customer) $("customer-id").value = customer;
}

export function saveSettings() {
  store(KEY_STORAGE, apiKey());
  store(CUSTOMER_STORAGE, customerId());
}

export const apiKey = () => $("api-key").value.trim();
export const customerId = () => $("customer-id").value.trim() || "demo-customer";
