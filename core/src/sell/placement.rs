//! Placing a sell order: one decision from the request and every fact read for it,
//! the mirror of [`crate::placement::plan_order`]. The guard is the buy side's
//! [`LimitGuard`]: a sell row is written by the same guarded insert into the same
//! table, so buys and sells count together, atomically, against the same limits.

use rust_decimal::Decimal;

use crate::api::{
    PlaceSellOrderRequest, RatesResponse, SellOrderResponse, SellQuoteBreakdown, SellQuoteResponse,
    SellStatusChange, Side,
};
use crate::config::ClientConfig;
use crate::currency::{Crypto, Network};
use crate::placement::{LimitGuard, PlacementError, MAX_ID_CHARS};
use crate::quote::QuoteError;
use crate::rates::{fresh_rate, Pair};
use crate::time::Timestamp;
use crate::trade::{OrderAmount, TradeRequest};

use super::pricing::{check_sell_trade, price_sell};
use super::{SellError, SellPolicy, SellStatus};

/// An Idempotency-Key already used for a sell: for which request, and its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellPriorUse {
    pub fingerprint: String,
    pub order: SellOrderResponse,
}

/// What prices a sell order: the sell quote it names (None when the client has no such
/// quote), or the rate table.
#[derive(Debug, Clone, Copy)]
pub enum SellPricing<'a> {
    Quote(Option<&'a SellQuoteResponse>),
    Rates(&'a RatesResponse),
}

/// Everything [`plan_sell_order`] decides from.
#[derive(Debug, Clone)]
pub struct SellPlacementFacts<'a> {
    pub config: &'a ClientConfig,
    pub policy: &'a SellPolicy,
    pub now: Timestamp,
    pub new_order_id: &'a str,
    pub fingerprint: &'a str,
    pub prior: Option<&'a SellPriorUse>,
    pub pricing: SellPricing<'a>,
    /// Spent (buys and sells) in the request's fiat since each window start.
    pub spent_today_minor: i64,
    pub spent_this_month_minor: i64,
    pub livemode: bool,
}

/// What to do with a sell placement request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SellPlan {
    Replay(Box<SellOrderResponse>),
    Place(Box<NewSellOrder>),
}

/// A new sell order; the host fills in the deposit address ([`NewSellOrder::deposit`])
/// once the plan holds, so that a refused request never uses up a derivation index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSellOrder {
    pub order: SellOrderResponse,
    /// `crypto_value` in minor units: what the order counts toward the limits.
    pub fiat_total_minor: i64,
    pub guard: LimitGuard,
}

impl NewSellOrder {
    pub fn deposit(&mut self, address: String, derivation_path: String) {
        self.order.deposit_address = address;
        self.order.deposit_derivation_path = derivation_path;
    }
}

fn check_id(field: &'static str, id: &str) -> Result<(), SellError> {
    let ok = !id.is_empty() && id.len() <= MAX_ID_CHARS && id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(PlacementError::InvalidId { field }.into())
    }
}

/// The refund address, normalized, for the order's crypto and network.
pub fn check_refund_address(
    crypto: Crypto,
    network: Network,
    address: &str,
) -> Result<String, SellError> {
    crate::address::validate_address(crypto, address, Some(network))
        .map(|v| v.normalized)
        .map_err(|error| SellError::InvalidRefundAddress {
            address: address
                .chars()
                .take(crate::address::MAX_ADDRESS_LEN)
                .collect(),
            error,
        })
}

/// The sell quote an order takes from the quote it names: honoured before its expiry,
/// for the very trade it priced.
fn honour_sell_quote(
    quote: &SellQuoteResponse,
    crypto: Crypto,
    network: Network,
    fiat: crate::currency::Fiat,
    amount: OrderAmount,
    now: Timestamp,
) -> Result<SellQuoteBreakdown, SellError> {
    if now >= quote.expires_at {
        return Err(PlacementError::QuoteExpired {
            quote_id: quote.id.clone(),
        }
        .into());
    }
    let q = &quote.quote.quote;
    let (value, currency) = match amount {
        OrderAmount::Fiat(a) => (a, fiat.ticker()),
        OrderAmount::Crypto(a) => (a, crypto.ticker()),
    };
    let same = quote.quote.side == Side::Sell
        && q.crypto == crypto
        && q.network == network
        && q.fiat == fiat
        && q.amount_currency == currency
        && q.amount == value;
    if !same {
        return Err(PlacementError::QuoteMismatch {
            quote_id: quote.id.clone(),
        }
        .into());
    }
    Ok(quote.quote.clone())
}

/// The decision on a sell placement request.
pub fn plan_sell_order(
    request: &PlaceSellOrderRequest,
    facts: &SellPlacementFacts<'_>,
) -> Result<SellPlan, SellError> {
    if let Some(prior) = facts.prior {
        return if prior.fingerprint == facts.fingerprint {
            Ok(SellPlan::Replay(Box::new(prior.order.clone())))
        } else {
            Err(PlacementError::IdempotencyKeyReused.into())
        };
    }
    let config = facts.config;
    check_id("customer_id", &request.customer_id)?;
    if let Some(q) = &request.quote_id {
        check_id("quote_id", q)?;
    }
    let trade = check_sell_trade(
        &TradeRequest {
            crypto: &request.crypto,
            network: &request.network,
            fiat: &request.fiat,
            amount: &request.amount,
            amount_currency: &request.amount_currency,
        },
        config,
    )?;
    let refund_address =
        check_refund_address(trade.crypto, trade.network, &request.refund_address)?;
    let pair = Pair {
        crypto: trade.crypto,
        fiat: trade.fiat,
    };
    let pricing = match (facts.pricing, &request.quote_id) {
        (SellPricing::Quote(Some(q)), Some(_)) => honour_sell_quote(
            q,
            trade.crypto,
            trade.network,
            trade.fiat,
            trade.amount,
            facts.now,
        )?,
        (_, Some(quote_id)) => {
            return Err(PlacementError::QuoteNotFound {
                quote_id: quote_id.clone(),
            }
            .into())
        }
        (SellPricing::Rates(rates), None) => {
            let rate = fresh_rate(rates, pair, facts.now, config.max_rate_age_seconds)
                .map_err(QuoteError::from)?;
            price_sell(&rate, config, trade.network, trade.amount)?
        }
        (SellPricing::Quote(_), None) => {
            return Err(QuoteError::Rate(crate::rates::RateError::UnsupportedPair { pair }).into())
        }
    };
    // The buys' limit check and guard: one set of limits for both sides.
    let (guard, fiat_total_minor) = LimitGuard::check(
        config,
        trade.fiat,
        pricing.quote.crypto_value,
        facts.spent_today_minor,
        facts.spent_this_month_minor,
        facts.now,
    )?;
    let deadline = facts
        .now
        .checked_add_seconds(i64::from(facts.policy.deadline_seconds))
        .ok_or(QuoteError::AmountTooLarge)?;
    let order = SellOrderResponse {
        id: facts.new_order_id.to_owned(),
        customer_id: request.customer_id.clone(),
        status: SellStatus::AwaitingDeposit,
        exception: None,
        deposit_address: String::new(),
        deposit_derivation_path: String::new(),
        expected_crypto_amount: pricing.quote.crypto_amount,
        deadline,
        refund_address,
        quote_id: request.quote_id.clone(),
        required_confirmations: facts.policy.depth(trade.crypto),
        pricing,
        received_crypto_amount: zero_at(trade.crypto.decimals()),
        confirmations: 0,
        deposits: Vec::new(),
        payout_fiat_amount: None,
        payout_reference: None,
        payout_failure: None,
        excess_refund_crypto_amount: None,
        excess_refund_tx_id: None,
        refund_tx_id: None,
        status_history: vec![SellStatusChange {
            status: SellStatus::AwaitingDeposit,
            at: facts.now,
        }],
        livemode: facts.livemode,
        created_at: facts.now,
        updated_at: facts.now,
    };
    Ok(SellPlan::Place(Box::new(NewSellOrder {
        order,
        fiat_total_minor,
        guard,
    })))
}

fn zero_at(decimals: u32) -> Decimal {
    let mut z = Decimal::ZERO;
    z.rescale(decimals);
    z
}
