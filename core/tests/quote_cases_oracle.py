#!/usr/bin/env python3
"""Writes quote_cases.json: inputs, and expected outputs computed here,
independently of the Rust code, with Python's decimal module at 100 digits
from the rules in docs/pricing.md. The Rust test (quote_cases.rs) and the
lead's wasm test in Node run every case and compare.

Run: python3 core/tests/quote_cases_oracle.py > core/tests/quote_cases.json
"""

import json
from datetime import datetime, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal as D, getcontext

getcontext().prec = 100

CRYPTO_PLACES = {"BTC": 8, "LTC": 8, "DOGE": 8, "BCH": 8, "ETH": 18}
FIAT_PLACES = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0}
NOW = "2026-06-01T12:00:00Z"


class QuoteError(Exception):
    pass


def q(x, places, rounding):
    return x.quantize(D(1).scaleb(-places), rounding=rounding)


def ceil(x, places):
    return q(x, places, ROUND_CEILING)


def floor(x, places):
    return q(x, places, ROUND_FLOOR)


def fmt(x, places):
    return format(q(x, places, ROUND_FLOOR), "f")


def display_price(x, places):
    x = x.normalize()
    exp = x.as_tuple().exponent
    return format(q(x, max(-exp, places), ROUND_FLOOR), "f")


def percent_text(p):
    return p  # percents are echoed as configured


def parse_amount(text, places):
    import re

    if text.startswith("-") and re.fullmatch(r"-[0-9]+(\.[0-9]+)?", text):
        raise QuoteError("amount_not_positive")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise QuoteError("malformed_amount")
    frac = text.split(".")[1].rstrip("0") if "." in text else ""
    if len(frac) > places:
        raise QuoteError("too_many_decimals")
    if len(text.split(".")[0].lstrip("0")) > 10:
        raise QuoteError("amount_too_large")
    v = D(text)
    if v == 0:
        raise QuoteError("amount_not_positive")
    return v


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def estimate(request, rates, config, now):
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
    price = mid * (1 + spread_pct / 100)
    fixed, net_crypto = D(fs["service_fee_fixed"]), D(cs["network_fee"])
    net_fiat = ceil(net_crypto * mid, fp)

    def service(cost):
        return ceil(cost * service_pct / 100, fp) + fixed

    if request["amount_currency"] == fiat:
        spend = amount
        available = spend - fixed - net_fiat
        if available <= 0:
            raise QuoteError("amount_below_fees")
        cost = floor(available / (1 + service_pct / 100), fp)
        while cost > 0 and cost + service(cost) - fixed > available:
            cost -= minor
        while (cost + minor) + service(cost + minor) - fixed <= available:
            cost += minor
        if cost <= 0:
            raise QuoteError("amount_below_fees")
        c = floor(cost / price, cp)
        while c > 0 and ceil(c * price, fp) > cost:
            c -= unit
        while ceil((c + unit) * price, fp) <= cost:
            c += unit
        if c <= 0:
            raise QuoteError("amount_below_fees")
    else:
        c = amount

    cost = ceil(c * price, fp)
    value = ceil(c * mid, fp)
    spread = cost - value
    svc = service(cost)
    total = spread + svc + net_fiat
    fiat_amount = value + total
    if fiat_amount < D(fs["min_order"]):
        raise QuoteError("below_minimum")
    if fiat_amount > D(fs["max_order"]):
        raise QuoteError("above_maximum")
    return {
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
            "service": {
                "percent": config["service_fee_percent"],
                "fixed": fmt(fixed, fp),
                "fiat": fmt(svc, fp),
            },
            "spread": {"percent": config["spread_percent"], "fiat": fmt(spread, fp)},
            "network": {"crypto": fmt(net_crypto, cp), "fiat": fmt(net_fiat, fp)},
            "total": fmt(total, fp),
        },
        "rate_observed_at": rate["observed_at"],
        "rate_source": rate["source"],
    }


def fiat_settings(places, min_order, max_order, daily, monthly, fixed):
    return {
        "min_order": fmt(D(min_order), places),
        "max_order": fmt(D(max_order), places),
        "daily_limit": fmt(D(daily), places),
        "monthly_limit": fmt(D(monthly), places),
        "service_fee_fixed": fmt(D(fixed), places),
    }


def config(spread="0.5", service="1.5", fixed=None, fees=None, name="Acme Wallet"):
    fixed = fixed or {"EUR": "0.50", "USD": "0.50", "GBP": "0.40", "CHF": "0.50", "JPY": "50"}
    fees = fees or {"BTC": "0.00005", "LTC": "0.0001", "DOGE": "1", "BCH": "0.00001", "ETH": "0.0004"}
    limits = {
        "EUR": ("10", "1000", "2000", "10000"),
        "USD": ("10", "1000", "2000", "10000"),
        "GBP": ("10", "1000", "2000", "10000"),
        "CHF": ("10", "1000", "2000", "10000"),
        "JPY": ("1000", "150000", "300000", "1500000"),
    }
    return {
        "name": name,
        "fiat": {
            f: fiat_settings(FIAT_PLACES[f], *limits[f], fixed[f]) for f in ["EUR", "USD", "GBP", "CHF", "JPY"]
        },
        "crypto": {
            c: {"networks": ["mainnet", "testnet"], "network_fee": fmt(D(fees[c]), CRYPTO_PLACES[c])}
            for c in ["BTC", "LTC", "DOGE", "BCH", "ETH"]
        },
        "service_fee_percent": service,
        "spread_percent": spread,
        "quote_validity_seconds": 60,
        "max_rate_age_seconds": 300,
        "webhook_url": None,
        "xpubs": {},
    }


def rates(observed_at="2026-06-01T11:59:00Z"):
    table = [
        ("BTC", "EUR", "50000.00"),
        ("BTC", "USD", "54321.09"),
        ("BTC", "JPY", "15000000"),
        ("ETH", "EUR", "3000.00"),
        ("ETH", "USD", "3321.12345678"),
        ("LTC", "GBP", "71.23"),
        ("DOGE", "USD", "0.12345678"),
        ("BCH", "CHF", "412.35"),
    ]
    return {
        "rates": [
            {"crypto": c, "fiat": f, "price": p, "observed_at": observed_at, "source": "test-feed", "age_seconds": 60}
            for c, f, p in table
        ],
        "max_age_seconds": 300,
    }


def req(crypto, fiat, amount, amount_currency, network="mainnet"):
    return {"crypto": crypto, "network": network, "fiat": fiat, "amount": amount, "amount_currency": amount_currency}


CASES = [
    ("btc_eur_receive_exact_crypto", req("BTC", "EUR", "0.0025", "BTC"), rates(), config()),
    ("btc_eur_spend_fiat", req("BTC", "EUR", "100.00", "EUR"), rates(), config()),
    ("btc_usd_spend_odd_price", req("BTC", "USD", "333.33", "USD"), rates(), config()),
    ("eth_eur_spend_keeps_18_decimals", req("ETH", "EUR", "250", "EUR"), rates(), config()),
    ("eth_usd_receive_one_wei_precision", req("ETH", "USD", "0.123456789012345678", "ETH"), rates(), config()),
    ("btc_jpy_spend_yen_without_minor_unit", req("BTC", "JPY", "12345", "JPY"), rates(), config()),
    ("doge_usd_receive_cheap_coin", req("DOGE", "USD", "1000", "DOGE"), rates(), config()),
    ("ltc_gbp_zero_fees", req("LTC", "GBP", "123.45", "GBP"), rates(),
     config(spread="0", service="0", fixed={"EUR": "0", "USD": "0", "GBP": "0", "CHF": "0", "JPY": "0"},
            fees={"BTC": "0", "LTC": "0", "DOGE": "0", "BCH": "0", "ETH": "0"})),
    ("bch_chf_maximum_percents", req("BCH", "CHF", "999.99", "CHF"), rates(), config(spread="50", service="50")),
    ("btc_eur_testnet_enabled", req("BTC", "EUR", "50", "EUR", network="testnet"), rates(), config(spread="0.1234", service="2.5")),
    ("error_too_many_decimals", req("BTC", "EUR", "10.001", "EUR"), rates(), config()),
    ("error_crypto_too_many_decimals", req("BTC", "EUR", "0.000000001", "BTC"), rates(), config()),
    ("error_malformed_exponent", req("BTC", "EUR", "1e2", "EUR"), rates(), config()),
    ("error_negative_amount", req("BTC", "EUR", "-100", "EUR"), rates(), config()),
    ("error_zero_amount", req("BTC", "EUR", "0.00", "EUR"), rates(), config()),
    ("error_unknown_currency", req("XRP", "EUR", "100", "EUR"), rates(), config()),
    ("error_unsupported_pair", req("LTC", "EUR", "100", "EUR"), rates(), config()),
    ("error_rate_unavailable", req("BTC", "EUR", "100", "EUR"), rates("2026-06-01T11:54:59Z"), config()),
    ("error_rate_in_future", req("BTC", "EUR", "100", "EUR"), rates("2026-06-01T12:00:01Z"), config()),
    ("error_amount_below_fees", req("BTC", "EUR", "3.00", "EUR"), rates(), config()),
    ("error_below_minimum", req("BTC", "EUR", "9.99", "EUR"), rates(), config()),
    ("error_above_maximum", req("BTC", "EUR", "0.02", "BTC"), rates(), config()),
    ("error_network_not_enabled", req("BTC", "EUR", "100", "EUR", network="signet"), rates(), config()),
    ("error_amount_currency_mismatch", req("BTC", "EUR", "100", "USD"), rates(), config()),
]


def main():
    out = []
    for name, request, rts, cfg in CASES:
        try:
            expected = {"quote": estimate(request, rts, cfg, NOW)}
        except QuoteError as e:
            expected = {"error": str(e)}
        out.append({"name": name, "request": request, "rates": rts, "config": cfg, "now": NOW, "expected": expected})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
