//! Sell quotes: the customer sends crypto and receives fiat. The mirror of
//! [`crate::quote`]: the same parts, rounded the other way round where the customer
//! receives money, so the service never pays out more than the exact value.
//!
//! With `C` the crypto the customer sends, `mid` the mid price,
//! `price = mid × (1 − spread% / 100)`, `⌊x⌋` rounding down and `⌈x⌉` up to the
//! fiat's minor unit:
//!
//! - `proceeds      = ⌊C × price⌋`               what the crypto fetches
//! - `crypto_value  = ⌊C × mid⌋`                 what it is worth at mid
//! - `spread fee    = crypto_value − proceeds`
//! - `service fee   = ⌈proceeds × service%⌉ + service_fee_fixed`
//! - `network fee   = ⌈network_fee × mid⌉`       (the sweep of the deposit)
//! - `fiat_amount   = crypto_value − (spread + service + network)`  paid out, exact
//!
//! A sell quote is a function of `C` alone. When the customer gives the fiat to
//! receive `F`, `C` is the smallest amount whose payout is at least `F`: receiving the
//! quoted fiat never takes less crypto than quoted. Order size and the spending limits
//! are measured on `crypto_value`, the fiat value of what is sold.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::api::{
    Fees, NetworkFee, QuoteBreakdown, RatesResponse, SellQuoteBreakdown, SellQuoteRequest,
    ServiceFee, Side, SpreadFee,
};
use crate::config::ClientConfig;
use crate::currency::{Crypto, Fiat, Network};
use crate::money::{mul_rounded, percent_to_fraction, Rounding};
use crate::quote::QuoteError;
use crate::rates::{fresh_rate, Pair, Rate};
use crate::time::Timestamp;
use crate::trade::{check_trade, OrderAmount, Trade, TradeError, TradeRequest};

use super::SellError;

/// Guards the search loops (each moves a few units past the division's estimate).
const MAX_SEARCH_STEPS: u32 = 64;

/// The sell quote for the body of `POST /v1/quotes` with `side: "sell"`, from the JSON
/// of `GET /v1/rates` and `GET /v1/config`: what the npm package's `estimate` computes.
pub fn estimate_sell(
    request: &SellQuoteRequest,
    rates: &RatesResponse,
    config: &ClientConfig,
    now: Timestamp,
) -> Result<SellQuoteBreakdown, SellError> {
    let config = config.clone().validate().map_err(QuoteError::from)?;
    let trade = check_sell_trade(
        &TradeRequest {
            crypto: &request.crypto,
            network: &request.network,
            fiat: &request.fiat,
            amount: &request.amount,
            amount_currency: &request.amount_currency,
        },
        &config,
    )?;
    let rate = fresh_rate(
        rates,
        Pair {
            crypto: trade.crypto,
            fiat: trade.fiat,
        },
        now,
        config.max_rate_age_seconds,
    )
    .map_err(QuoteError::from)?;
    price_sell(&rate, &config, trade.network, trade.amount)
}

/// [`check_trade`], and the crypto must be one whose deposits can be watched.
pub fn check_sell_trade(
    request: &TradeRequest<'_>,
    config: &ClientConfig,
) -> Result<Trade, SellError> {
    let trade = check_trade(request, config).map_err(QuoteError::from)?;
    if !super::policy::sellable(trade.crypto) {
        return Err(SellError::SellNotSupported {
            crypto: trade.crypto,
        });
    }
    Ok(trade)
}

/// The sell quote for a validated amount at a fresh rate. `config` must be validated.
pub fn price_sell(
    rate: &Rate,
    config: &ClientConfig,
    network: Network,
    amount: OrderAmount,
) -> Result<SellQuoteBreakdown, SellError> {
    let Pair { crypto, fiat } = rate.pair;
    let not_enabled = |c: &str| {
        QuoteError::Trade(TradeError::CurrencyNotEnabled {
            currency: c.to_owned(),
        })
    };
    let fiat_settings = config
        .fiat_settings(fiat)
        .ok_or_else(|| not_enabled(fiat.ticker()))?;
    let crypto_settings = config
        .crypto_settings(crypto)
        .ok_or_else(|| not_enabled(crypto.ticker()))?;
    let terms = SellTerms {
        mid: rate.mid_price,
        spread_percent: config.spread_percent,
        service_percent: config.service_fee_percent,
        service_fixed: fiat_settings.service_fee_fixed,
        network_fee_crypto: crypto_settings.network_fee,
        fiat_places: fiat.minor_units(),
        crypto_places: crypto.decimals(),
        crypto,
        network,
        fiat,
    };
    let (crypto_amount, requested, amount_currency) = match amount {
        OrderAmount::Crypto(c) => (c, c, crypto.ticker()),
        OrderAmount::Fiat(f) => (terms.crypto_for_payout(f)?, f, fiat.ticker()),
    };
    let mut quote = terms.breakdown(crypto_amount)?;
    if quote.crypto_value < fiat_settings.min_order {
        return Err(QuoteError::BelowMinimum {
            amount: quote.crypto_value,
            minimum: fiat_settings.min_order,
            currency: fiat,
        }
        .into());
    }
    if quote.crypto_value > fiat_settings.max_order {
        return Err(QuoteError::AboveMaximum {
            amount: quote.crypto_value,
            maximum: fiat_settings.max_order,
            currency: fiat,
        }
        .into());
    }
    quote.amount = requested;
    quote.amount_currency = amount_currency.to_owned();
    Ok(SellQuoteBreakdown {
        side: Side::Sell,
        quote: QuoteBreakdown {
            rate_observed_at: rate.observed_at,
            rate_source: rate.source.clone(),
            ..quote
        },
    })
}

/// The payout for `crypto_amount` at the locked terms of an earlier sell quote (its mid
/// price, percents and fees): how an order in tolerance is paid on what arrived.
pub fn reprice_at_locked_rate(
    locked: &QuoteBreakdown,
    crypto_amount: Decimal,
) -> Result<QuoteBreakdown, SellError> {
    let terms = SellTerms {
        mid: locked.mid_price,
        spread_percent: locked.fees.spread.percent,
        service_percent: locked.fees.service.percent,
        service_fixed: locked.fees.service.fixed,
        network_fee_crypto: locked.fees.network.crypto,
        fiat_places: locked.fiat.minor_units(),
        crypto_places: locked.crypto.decimals(),
        crypto: locked.crypto,
        network: locked.network,
        fiat: locked.fiat,
    };
    let mut crypto_amount = crypto_amount;
    crypto_amount.rescale(terms.crypto_places);
    let priced = terms.breakdown(crypto_amount)?;
    Ok(QuoteBreakdown {
        rate_observed_at: locked.rate_observed_at,
        rate_source: locked.rate_source.clone(),
        ..priced
    })
}

/// Everything of a sell quote fixed before the amount is known.
struct SellTerms {
    mid: Decimal,
    spread_percent: Decimal,
    service_percent: Decimal,
    service_fixed: Decimal,
    network_fee_crypto: Decimal,
    fiat_places: u32,
    crypto_places: u32,
    crypto: Crypto,
    network: Network,
    fiat: Fiat,
}

/// The fiat side of a sell quote for one crypto amount.
struct SellParts {
    proceeds: Decimal,
    crypto_value: Decimal,
    spread: Decimal,
    service: Decimal,
    network: Decimal,
    fees_total: Decimal,
    /// May be zero or negative: the caller refuses it.
    fiat_amount: Decimal,
}

impl SellTerms {
    fn price(&self) -> Option<Decimal> {
        let spread = percent_to_fraction(self.spread_percent)?;
        // mid has at most 8 places and (1 − spread) at most 6: exact.
        self.mid.checked_mul(Decimal::ONE - spread)
    }

    fn service_fraction(&self) -> Option<Decimal> {
        percent_to_fraction(self.service_percent)
    }

    fn network_fee_fiat(&self) -> Option<Decimal> {
        mul_rounded(
            self.network_fee_crypto,
            self.mid,
            self.fiat_places,
            Rounding::Up,
        )
    }

    /// The fiat paid out for `proceeds`: proceeds − ⌈proceeds × service%⌉ − fixed − network.
    fn payout_of_proceeds(&self, proceeds: Decimal) -> Option<Decimal> {
        let service = mul_rounded(
            proceeds,
            self.service_fraction()?,
            self.fiat_places,
            Rounding::Up,
        )?
        .checked_add(self.service_fixed)?;
        proceeds
            .checked_sub(service)?
            .checked_sub(self.network_fee_fiat()?)
    }

    fn parts(&self, crypto_amount: Decimal) -> Option<SellParts> {
        let proceeds = mul_rounded(
            crypto_amount,
            self.price()?,
            self.fiat_places,
            Rounding::Down,
        )?;
        let crypto_value = mul_rounded(crypto_amount, self.mid, self.fiat_places, Rounding::Down)?;
        let spread = crypto_value.checked_sub(proceeds)?;
        let service = mul_rounded(
            proceeds,
            self.service_fraction()?,
            self.fiat_places,
            Rounding::Up,
        )?
        .checked_add(self.service_fixed)?;
        let network = self.network_fee_fiat()?;
        let fees_total = spread.checked_add(service)?.checked_add(network)?;
        let fiat_amount = crypto_value.checked_sub(fees_total)?;
        Some(SellParts {
            proceeds,
            crypto_value,
            spread,
            service,
            network,
            fees_total,
            fiat_amount,
        })
    }

    fn fixed_fees(&self) -> Decimal {
        self.service_fixed + self.network_fee_fiat().unwrap_or(Decimal::ZERO)
    }

    /// The quote of `crypto_amount` (currencies and echo fields filled by the caller).
    fn breakdown(&self, crypto_amount: Decimal) -> Result<QuoteBreakdown, SellError> {
        let p = self
            .parts(crypto_amount)
            .ok_or(QuoteError::AmountTooLarge)?;
        if p.fiat_amount <= Decimal::ZERO {
            return Err(QuoteError::AmountBelowFees {
                amount: p.proceeds,
                fixed_fees: self.fixed_fees(),
                currency: self.fiat,
            }
            .into());
        }
        let price = self.price().ok_or(QuoteError::AmountTooLarge)?;
        Ok(QuoteBreakdown {
            crypto: self.crypto,
            network: self.network,
            fiat: self.fiat,
            amount: crypto_amount,
            amount_currency: self.crypto.ticker().to_owned(),
            mid_price: display_price(self.mid, self.fiat_places),
            price: display_price(price, self.fiat_places),
            crypto_amount,
            fiat_amount: p.fiat_amount,
            crypto_value: p.crypto_value,
            fees: Fees {
                service: ServiceFee {
                    percent: self.service_percent,
                    fixed: self.service_fixed,
                    fiat: p.service,
                },
                spread: SpreadFee {
                    percent: self.spread_percent,
                    fiat: p.spread,
                },
                network: NetworkFee {
                    crypto: self.network_fee_crypto,
                    fiat: p.network,
                },
                total: p.fees_total,
            },
            rate_observed_at: Timestamp::default(),
            rate_source: String::new(),
        })
    }

    /// The smallest crypto amount whose payout is at least `wanted`.
    fn crypto_for_payout(&self, wanted: Decimal) -> Result<Decimal, SellError> {
        let too_large = || SellError::from(QuoteError::AmountTooLarge);
        let minor = Decimal::new(1, self.fiat_places);
        let base = Decimal::new(1, self.crypto_places);
        // The smallest proceeds (a multiple of the minor unit) paying out `wanted`.
        let needed = wanted
            .checked_add(self.fixed_fees())
            .ok_or_else(too_large)?;
        let keep = Decimal::ONE - self.service_fraction().ok_or_else(too_large)?;
        let estimate = needed
            .checked_div(keep)
            .ok_or_else(too_large)?
            .round_dp_with_strategy(self.fiat_places, RoundingStrategy::AwayFromZero);
        let pays = |proceeds: Decimal| {
            self.payout_of_proceeds(proceeds)
                .is_some_and(|p| p >= wanted)
        };
        let proceeds = search_smallest(estimate, minor, pays).ok_or_else(too_large)?;
        // The smallest crypto amount fetching those proceeds.
        let price = self.price().ok_or_else(too_large)?;
        let fetches = |c: Decimal| {
            mul_rounded(c, price, self.fiat_places, Rounding::Down).is_some_and(|v| v >= proceeds)
        };
        let estimate = proceeds
            .checked_div(price)
            .ok_or_else(too_large)?
            .round_dp_with_strategy(self.crypto_places, RoundingStrategy::AwayFromZero);
        let mut crypto = search_smallest(estimate, base, fetches).ok_or_else(too_large)?;
        crypto.rescale(self.crypto_places);
        Ok(crypto)
    }
}

/// The smallest `x = estimate + k × step` (x > 0) with `fits(x)`, for a monotone `fits`.
/// `None` if the estimate is more than MAX_SEARCH_STEPS off.
fn search_smallest(
    estimate: Decimal,
    step: Decimal,
    fits: impl Fn(Decimal) -> bool,
) -> Option<Decimal> {
    let mut x = estimate.max(step);
    for _ in 0..MAX_SEARCH_STEPS {
        if fits(x) {
            break;
        }
        x = x.checked_add(step)?;
    }
    if !fits(x) {
        return None;
    }
    for _ in 0..MAX_SEARCH_STEPS {
        let lower = x - step;
        if lower < step || !fits(lower) {
            return Some(x);
        }
        x = lower;
    }
    None
}

/// A price shown with its significant decimals, but at least the fiat's.
fn display_price(p: Decimal, fiat_places: u32) -> Decimal {
    let mut p = p.normalize();
    if p.scale() < fiat_places {
        p.rescale(fiat_places);
    }
    p
}
