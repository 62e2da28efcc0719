// BEGIN generated from the core's JSON Schemas by core/openapi (do not edit; UPDATE_OPENAPI=1 cargo test -p cryptoexchange-openapi rewrites it)
/** A crypto currency a customer can buy. */
export type Currency = "BTC" | "LTC" | "DOGE" | "BCH" | "ETH";
/** A fiat currency a customer pays with. */
export type FiatCurrency = "EUR" | "USD" | "GBP" | "CHF" | "JPY";
/** Which chain of a currency: the real one or a test chain. */
export type Network = "mainnet" | "testnet" | "signet" | "regtest";
/** A non-negative decimal amount as a string ("100.00"): at most 10 integer digits, and at most the decimals of its currency, which the core checks with a precise code. */
export type DecimalString = string;
/** An RFC 3339 UTC time in whole seconds. */
export type Timestamp = string;
/** The ticker the amount is given in: the fiat (what the customer spends) or the crypto (what the customer receives). */
export type AmountCurrency = FiatCurrency | Currency;
/** What kind of output an address pays to. */
export type AddressKind = "p2pkh" | "p2sh" | "p2wpkh" | "p2wsh" | "p2tr" | "witness_unknown" | "account";
/** Which BIP-43 purpose, hence which address type. */
export type Scheme = "bip44" | "bip49" | "bip84" | "bip86";
/** Where an order is in its life. */
export type OrderStatus = "pending" | "processing" | "sent" | "completed" | "failed" | "expired";
/** `POST /v1/quotes` (and the input of `estimate`). `amount_currency` is the fiat ticker ("I spend 100.00 EUR") or the crypto ticker ("I want to receive 0.0025 BTC"). */
export interface QuoteRequest {
  amount: DecimalString;
  amount_currency: AmountCurrency;
  crypto: Currency;
  /** The customer the quote is for: only an order of this customer can use it. A quote asked without one is bound to the first customer whose order uses it. Either way a quote prices one order only. */
  customer_id?: CustomerId | null;
  fiat: FiatCurrency;
  network: Network;
}
/** One rate of `GET /v1/rates`. */
export interface RateEntry {
  /** Informative, computed when the response was made; `estimate` recomputes the age from `observed_at` and its own `now`. */
  age_seconds: number;
  crypto: Currency;
  /** Set for an operator's override: it wins over the sources until then. */
  expires_at?: Timestamp | null;
  fiat: FiatCurrency;
  observed_at: Timestamp;
  /** The mid price of one unit of `crypto` in `fiat`. */
  price: DecimalString;
  source: string;
  /** What each source said in the last refresh, and whether it counted. */
  sources: SourceReport[];
  /** `ok`, `suspect` (a jump is held: the price shown is the last accepted one) or `stale` (older than the client's `max_rate_age_seconds`: not quoted). */
  status: RateStatus;
}
/** `GET /v1/rates`. */
export interface RatesResponse {
  max_age_seconds: number;
  rates: RateEntry[];
}
/** Per fiat currency: all amounts in that currency, at its minor unit. */
export interface FiatSettings {
  /** Per customer, per UTC calendar day. */
  daily_limit: DecimalString;
  /** Largest order, measured on what the customer pays. */
  max_order: DecimalString;
  /** Smallest order, measured on what the customer pays (`fiat_amount`). */
  min_order: DecimalString;
  /** Per customer, per UTC calendar month. */
  monthly_limit: DecimalString;
  /** Added to every order's service fee. */
  service_fee_fixed: DecimalString;
}
export interface CryptoSettings {
  /** Paid on-chain per order, in the crypto, at its precision. */
  network_fee: DecimalString;
  networks: Network[];
}
export interface XpubSettings {
  network: Network;
  scheme: Scheme;
  xpub: string;
}
/** Everything that makes one client's service different from another's. */
export interface ClientConfig {
  /** Enabled crypto currencies, their networks and network fee. */
  crypto: {
    BCH?: CryptoSettings;
    BTC?: CryptoSettings;
    DOGE?: CryptoSettings;
    ETH?: CryptoSettings;
    LTC?: CryptoSettings;
  };
  /** Enabled fiat currencies and their order sizes, limits and fixed fee. */
  fiat: {
    CHF?: FiatSettings;
    EUR?: FiatSettings;
    GBP?: FiatSettings;
    JPY?: FiatSettings;
    USD?: FiatSettings;
  };
  /** A rate observed longer ago than this cannot be quoted. */
  max_rate_age_seconds: number;
  name: DisplayName;
  quote_validity_seconds: number;
  /** Percent of the crypto's cost at the effective price ("1.5" = 1.5 %). */
  service_fee_percent: DecimalString;
  /** Percent added to the mid price to get the effective price. */
  spread_percent: DecimalString;
  webhook_url?: string | null;
  /** Watch-only keys receiving customer payments, per crypto. */
  xpubs?: {
    BCH?: XpubSettings;
    BTC?: XpubSettings;
    DOGE?: XpubSettings;
    ETH?: XpubSettings;
    LTC?: XpubSettings;
  };
}
/** The service fee: `percent` of the crypto's cost at the effective price, plus `fixed`, both in the fiat. */
export interface ServiceFee {
  fiat: DecimalString;
  fixed: DecimalString;
  percent: DecimalString;
}
/** What the spread costs: the crypto's cost at the effective price minus its value at the mid price. */
export interface SpreadFee {
  fiat: DecimalString;
  percent: DecimalString;
}
/** The on-chain fee, paid in the crypto by the service and charged in fiat. */
export interface NetworkFee {
  crypto: DecimalString;
  fiat: DecimalString;
}
export interface Fees {
  network: NetworkFee;
  service: ServiceFee;
  spread: SpreadFee;
  /** service.fiat + spread.fiat + network.fiat. */
  total: DecimalString;
}
/** Everything of a quote but its id and expiry. Invariant (exact): `fiat_amount = crypto_value + fees.total`. See docs/pricing.md. */
export interface QuoteBreakdown {
  /** The amount as requested, at its currency's precision. */
  amount: DecimalString;
  /** The ticker the request's amount was given in. */
  amount_currency: AmountCurrency;
  crypto: Currency;
  /** What the customer receives at the destination address. */
  crypto_amount: DecimalString;
  /** crypto_amount at the mid price, rounded up to the minor unit. */
  crypto_value: DecimalString;
  fees: Fees;
  fiat: FiatCurrency;
  /** What the customer pays, all fees included. */
  fiat_amount: DecimalString;
  mid_price: DecimalString;
  network: Network;
  /** The effective price: mid_price × (1 + spread percent / 100). */
  price: DecimalString;
  rate_observed_at: Timestamp;
  rate_source: string;
}
/** Which way a quote or order trades: `buy` (fiat → crypto, the default) or `sell` (crypto → fiat). */
export type Side = "buy" | "sell";
/** Where a sell order is in its life. */
export type SellStatus = "awaiting_deposit" | "confirming" | "underpaid" | "payout_pending" | "completed" | "expired" | "requote_required" | "refund_due" | "failed";
/** `POST /v1/quotes` with `side: "sell"` (and the input of `estimate` for a sell): `amount_currency` is the crypto ("I sell 0.01 BTC") or the fiat ("I want to receive 100.00 EUR"). */
export interface SellQuoteRequest {
  amount: DecimalString;
  amount_currency: AmountCurrency;
  crypto: Currency;
  fiat: FiatCurrency;
  network: Network;
  side: SellSide;
}
// END generated

export type AddressErrorCode =
  | "empty" | "too_long" | "too_short" | "bad_character" | "bad_checksum" | "wrong_network"
  | "wrong_currency" | "unknown_prefix" | "bad_length" | "mixed_case" | "wrong_bech32_variant"
  | "bad_witness_version" | "bad_witness_program_length" | "bad_padding"
  | "unsupported_currency_network" | "unknown_currency" | "unknown_network";

export interface ValidAddress {
  valid: true;
  currency: Currency;
  network: Network;
  kind: AddressKind;
  /** Lower-case bech32, prefixed cashaddr, EIP-55 checksummed, or base58 as given. */
  normalized: string;
  /** Hex scriptPubKey, for the Bitcoin family; null for ETH. */
  script_pubkey: string | null;
  witness_version: number | null;
}
export interface InvalidAddress {
  valid: false;
  code: AddressErrorCode;
  /** Human-readable reason, lower case. */
  message: string;
  [fact: string]: unknown;
}
export type AddressCheck = ValidAddress | InvalidAddress;

export interface DeriveRequest {
  mnemonic: string;
  passphrase?: string;
  currency: Currency;
  network: Network;
  scheme: Scheme;
  account?: number;
  /** 0 for receive addresses, 1 for change. */
  change?: 0 | 1;
  start?: number;
  /** 1 to 100. */
  count: number;
}
export interface DerivedAddress {
  /** e.g. "m/84'/0'/0'/0/0" */
  path: string;
  index: number;
  address: string;
  /** Compressed public key, hex. */
  public_key: string;
}
export interface Derivation {
  account_path: string;
  /** Account-level extended public key (xpub/ypub/zpub, tpub/upub/vpub): give it to a server to watch. */
  account_xpub: string;
  addresses: DerivedAddress[];
}
export interface XpubDeriveRequest {
  xpub: string;
  currency: Currency;
  network: Network;
  scheme: Scheme;
  change?: 0 | 1;
  index: number;
}

// Rates aggregation (aggregateRates, publishRates).
export type RateStatus = "ok" | "suspect" | "stale";
export type Refusal =
  | "unavailable" | "too_old" | "in_future" | "not_positive" | "crossed" | "spread_too_wide"
  | "too_large" | "outlier" | "no_quorum" | "derived";
export interface SourceReport {
  name: string;
  /** Its mid price as reported (may be zero or negative when refused); null when it gave nothing. */
  price: DecimalString | null;
  observed_at: Timestamp | null;
  used: boolean;
  reason: Refusal | null;
}
/** A pair's wire name, e.g. "BTC/EUR". */
export type PairName = string;
/** One source's best bid and ask for a pair, at its own time (or the fetch time). */
export interface SourceQuote {
  source: string;
  crypto: Currency;
  fiat: FiatCurrency;
  bid: DecimalString;
  ask: DecimalString;
  observed_at: Timestamp;
}
export interface FxReference {
  source: string;
  base: FiatCurrency;
  observed_at: Timestamp;
  /** Units of each fiat per unit of `base`. */
  rates: Partial<Record<FiatCurrency, DecimalString>>;
}
export interface RefreshInput {
  pairs: PairName[];
  quotes?: SourceQuote[];
  /** Sources that answered nothing usable, for these pairs (all when empty). */
  failures?: { source: string; pairs?: PairName[]; detail: string }[];
  fx?: FxReference | null;
}
/** Every field optional; the defaults are explained in docs/rates.md. */
export interface AggregationPolicy {
  max_spread_percent?: DecimalString;
  max_quote_age_seconds?: number;
  max_clock_skew_seconds?: number;
  outlier_percent?: DecimalString;
  min_sources?: number;
  jump_percent?: DecimalString;
  jump_percent_volatile?: DecimalString;
  jump_confirmations?: number;
  derived_fiats?: FiatCurrency[];
  max_fx_age_seconds?: number;
}
export interface RateBook {
  pairs: {
    crypto: Currency; fiat: FiatCurrency; price: DecimalString | null; observed_at: Timestamp | null;
    source: string; pending: { price: DecimalString; confirmations: number } | null; sources: SourceReport[];
  }[];
  overrides: {
    crypto: Currency; fiat: FiatCurrency; price: DecimalString; source: string;
    set_at: Timestamp; expires_at: Timestamp | null;
  }[];
  fx: FxReference | null;
  refreshed_at: Timestamp | null;
}
export interface SpentEntry {
  at: Timestamp;
  fiat: FiatCurrency;
  amount: DecimalString;
}

/** Thrown by every function but `validateAddress` on bad input. */
export interface CoreError extends Error {
  name: "CoreError";
  /** Stable snake_case code, the same as the HTTP API's problem `code`. */
  code: string;
  /** The facts of the error (limit, used, excess, ...), when the core has them. */
  details?: Record<string, unknown>;
}
