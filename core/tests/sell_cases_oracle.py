#!/usr/bin/env python3
"""Writes sell_cases.json: sell quote inputs, and expected outputs computed here,
independently of the Rust code, with Python's decimal module at 100 digits from
the selling rules of docs/pricing.md. sell_cases.rs (native) and
tests/wasm/sell-cases.test.mjs (the npm package) run every case and compare.

Run: python3 core/tests/sell_cases_oracle.py > core/tests/sell_cases.json
"""

import json
import os
import sys
from decimal import Decimal as D

sys.path.insert(0, os.path.dirname(__file__))
from quote_cases_oracle import (  # noqa: E402  (the buy oracle's shared helpers)
    CRYPTO_PLACES, FIAT_PLACES, NOW, QuoteError, ceil, config, display_price, floor, fmt,
    parse_amount, rates, ts,
)


def estimate_sell(request, rates, config, now):
    crypto, fiat, network = request["crypto"], request["fiat"], request["network"]
    if crypto not in CRYPTO_PLACES or fiat not in FIAT_PLACES:
        raise QuoteError("unknown_currency")
    if network not in ("mainnet", "testnet", "signet", "regtest"):
        raise QuoteError("unknown_network")
    if crypto not in config["crypto"] or fiat not in config["fiat"]:
        raise QuoteError("currency_not_enabled")
    if network not in config["crypto"][crypto]["networks"]:
        raise QuoteError("network_not_enabled")
    cp, fp = CRYPTO_PLACES[crypto], FIAT_PLACES[fiat]
    unit, minor = D(1).scaleb(-cp), D(1).scaleb(-fp)
    if request["amount_currency"] == crypto:
        amount, places = parse_amount(request["amount"], cp), cp
    elif request["amount_currency"] == fiat:
        amount, places = parse_amount(request["amount"], fp), fp
    else:
        raise QuoteError("amount_currency_mismatch")
    if crypto == "ETH":
        raise QuoteError("sell_not_supported")
    entries = [r for r in rates["rates"] if r["crypto"] == crypto and r["fiat"] == fiat]
    if not entries:
        raise QuoteError("unsupported_pair")
    rate = entries[0]
    age = (ts(now) - ts(rate["observed_at"])).total_seconds()
    if age < 0:
        raise QuoteError("rate_in_future")
    if age > config["max_rate_age_seconds"]:
        raise QuoteError("rate_unavailable")

    fs, cs = config["fiat"][fiat], config["crypto"][crypto]
    mid = D(rate["price"])
    spread_pct, service_pct = D(config["spread_percent"]), D(config["service_fee_percent"])
    price = mid * (1 - spread_pct / 100)
    fixed, net_crypto = D(fs["service_fee_fixed"]), D(cs["network_fee"])
    net_fiat = ceil(net_crypto * mid, fp)

    def payout(proceeds):
        return proceeds - ceil(proceeds * service_pct / 100, fp) - fixed - net_fiat

    if request["amount_currency"] == fiat:
        wanted = amount
        # Smallest proceeds paying out `wanted`, counted up from zero-ish in big then unit steps.
        p = floor((wanted + fixed + net_fiat) / (1 - service_pct / 100), fp) - 5 * minor
        while payout(p) < wanted:
            p += minor
        # Smallest crypto fetching p.
        c = floor(p / price, cp) - 5 * unit
        while floor(c * price, fp) < p:
            c += unit
    else:
        c = amount

    proceeds = floor(c * price, fp)
    value = floor(c * mid, fp)
    spread = value - proceeds
    svc = ceil(proceeds * service_pct / 100, fp) + fixed
    total = spread + svc + net_fiat
    fiat_amount = value - total
    if fiat_amount <= 0:
        raise QuoteError("amount_below_fees")
    if value < D(fs["min_order"]):
        raise QuoteError("below_minimum")
    if value > D(fs["max_order"]):
        raise QuoteError("above_maximum")
    return {
        "side": "sell",
        "crypto": crypto,
        "network": network,
        "fiat": fiat,
        "amount": fmt(amount, places),
        "amount_currency": request["amount_currency"],
        "mid_price": display_price(mid, fp),
        "price": display_price(price, fp),
        "crypto_amount": fmt(c, cp),
        "fiat_amount": fmt(fiat_amount, fp),
        "crypto_value": fmt(value, fp),
        "fees": {
            "service": {"percent": config["service_fee_percent"], "fixed": fmt(fixed, fp), "fiat": fmt(svc, fp)},
            "spread": {"percent": config["spread_percent"], "fiat": fmt(spread, fp)},
            "network": {"crypto": fmt(net_crypto, cp), "fiat": fmt(net_fiat, fp)},
            "total": fmt(total, fp),
        },
        "rate_observed_at": rate["observed_at"],
        "rate_source": rate["source"],
    }


def req(crypto, fiat, amount, amount_currency, network="mainnet"):
    return {"side": "sell", "crypto": crypto, "network": network, "fiat": fiat, "amount": amount,
            "amount_currency": amount_currency}


ZERO_FIXED = {"EUR": "0", "USD": "0", "GBP": "0", "CHF": "0", "JPY": "0"}
ZERO_NET = {"BTC": "0", "LTC": "0", "DOGE": "0", "BCH": "0", "ETH": "0"}

CASES = [
    ("sell_btc_eur_exact_crypto", req("BTC", "EUR", "0.0025", "BTC"), rates(), config()),
    ("sell_btc_eur_receive_fiat", req("BTC", "EUR", "100.00", "EUR"), rates(), config()),
    ("sell_btc_usd_receive_odd_price", req("BTC", "USD", "333.33", "USD"), rates(), config()),
    ("sell_btc_jpy_receive_yen", req("BTC", "JPY", "12345", "JPY"), rates(), config()),
    ("sell_doge_usd_cheap_coin", req("DOGE", "USD", "1000", "DOGE"), rates(), config()),
    ("sell_doge_usd_receive_fiat", req("DOGE", "USD", "77.77", "USD"), rates(), config()),
    ("sell_ltc_gbp_zero_fees", req("LTC", "GBP", "123.45", "GBP"), rates(),
     config(spread="0", service="0", fixed=ZERO_FIXED, fees=ZERO_NET)),
    ("sell_bch_chf_maximum_percents", req("BCH", "CHF", "100", "CHF"), rates(), config(spread="50", service="50")),
    ("sell_btc_eur_testnet_odd_percents", req("BTC", "EUR", "50", "EUR", network="testnet"), rates(),
     config(spread="0.1234", service="2.5")),
    ("sell_error_eth_not_supported", req("ETH", "EUR", "100", "EUR"), rates(), config()),
    ("sell_error_amount_below_fees", req("BTC", "EUR", "0.00006", "BTC"), rates(), config()),
    ("sell_error_below_minimum", req("BTC", "EUR", "0.0001", "BTC"), rates(), config()),
    ("sell_error_above_maximum", req("BTC", "EUR", "990", "EUR"), rates(), config()),
    ("sell_error_rate_unavailable", req("BTC", "EUR", "100", "EUR"), rates("2026-06-01T11:54:59Z"), config()),
    ("sell_error_too_many_decimals", req("BTC", "EUR", "10.001", "EUR"), rates(), config()),
]


def main():
    out = []
    for name, request, rts, cfg in CASES:
        try:
            expected = {"quote": estimate_sell(request, rts, cfg, NOW)}
        except QuoteError as e:
            expected = {"error": str(e)}
        out.append({"name": name, "request": request, "rates": rts, "config": cfg, "now": NOW, "expected": expected})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
