/** Crypto currency tickers. */
export type Currency = "BTC" | "LTC" | "DOGE" | "BCH" | "ETH";
/** Fiat currency tickers (ISO 4217). */
export type FiatCurrency = "EUR" | "USD" | "GBP" | "CHF" | "JPY";
export type Network = "mainnet" | "testnet" | "signet" | "regtest";
/** A decimal number as a string, e.g. "0.00250000". Amounts are never JS numbers. */
export type DecimalString = string;
/** An RFC 3339 UTC time, e.g. "2026-11-25T16:00:00Z". */
export type Timestamp = string;

export type AddressKind = "p2pkh" | "p2sh" | "p2wpkh" | "p2wsh" | "p2tr" | "witness_unknown" | "account";
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

export type Scheme = "bip44" | "bip49" | "bip84" | "bip86";
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

export interface QuoteRequest {
  crypto: Currency;
  network: Network;
  fiat: FiatCurrency;
  /** What the customer spends (in fiat) or wants to receive (in crypto). */
  amount: DecimalString;
  /** The currency of `amount`: the fiat or the crypto ticker. */
  amount_currency: Currency | FiatCurrency;
}
export interface RateEntry {
  crypto: Currency;
  fiat: FiatCurrency;
  /** Mid price of one coin. */
  price: DecimalString;
  observed_at: Timestamp;
  source: string;
  age_seconds: number;
  /** "suspect": a jump is held, the price is the last accepted one; "stale": too old to quote. */
  status?: RateStatus;
  /** What each source said in the last refresh. */
  sources?: SourceReport[];
  /** Set for an operator's override: it wins over the sources until then. */
  expires_at?: Timestamp;
}
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
export interface RatesResponse {
  rates: RateEntry[];
  max_age_seconds: number;
}
export interface FiatSettings {
  min_order: DecimalString;
  max_order: DecimalString;
  daily_limit: DecimalString;
  monthly_limit: DecimalString;
  service_fee_fixed: DecimalString;
}
export interface CryptoSettings {
  networks: Network[];
  /** Network fee per order, in the crypto. */
  network_fee: DecimalString;
}
export interface XpubSettings {
  xpub: string;
  scheme: Scheme;
  network: Network;
}
export interface ClientConfig {
  name: string;
  fiat: Partial<Record<FiatCurrency, FiatSettings>>;
  crypto: Partial<Record<Currency, CryptoSettings>>;
  service_fee_percent: DecimalString;
  spread_percent: DecimalString;
  quote_validity_seconds: number;
  max_rate_age_seconds: number;
  webhook_url?: string | null;
  xpubs?: Partial<Record<Currency, XpubSettings>>;
}
export interface Fees {
  service: { percent: DecimalString; fixed: DecimalString; fiat: DecimalString };
  spread: { percent: DecimalString; fiat: DecimalString };
  network: { crypto: DecimalString; fiat: DecimalString };
  /** service + spread + network, in fiat. */
  total: DecimalString;
}
/** Everything of `POST /v1/quotes` but `id` and `expires_at`. */
export interface QuoteBreakdown {
  crypto: Currency;
  network: Network;
  fiat: FiatCurrency;
  amount: DecimalString;
  amount_currency: Currency | FiatCurrency;
  mid_price: DecimalString;
  /** Mid price with the spread applied. */
  price: DecimalString;
  /** What the customer receives. */
  crypto_amount: DecimalString;
  /** What the customer pays: crypto_value + fees.total. */
  fiat_amount: DecimalString;
  crypto_value: DecimalString;
  fees: Fees;
  rate_observed_at: Timestamp;
  rate_source: string;
}
export interface SpentEntry {
  at: Timestamp;
  fiat: FiatCurrency;
  amount: DecimalString;
}
export type OrderStatus = "pending" | "processing" | "sent" | "completed" | "failed" | "expired";

/** Thrown by every function but `validateAddress` on bad input. */
export interface CoreError extends Error {
  name: "CoreError";
  /** Stable snake_case code, the same as the HTTP API's problem `code`. */
  code: string;
  /** The facts of the error (limit, used, excess, ...), when the core has them. */
  details?: Record<string, unknown>;
}
