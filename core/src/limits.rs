//! Per-order and per-customer limits.
//!
//! Limits are per fiat currency (the config's `fiat` map); an order counts
//! against the limits of its own fiat only, by what the customer pays
//! (`fiat_amount`). Windows are UTC calendar periods: a day runs from 00:00:00
//! UTC, a month from 00:00:00 UTC on its 1st. Calendar windows are what a
//! customer can predict ("my limit resets at midnight UTC"), and they are one
//! `at >= ?` in SQL. Entries at or after the window start count, including
//! any stamped after `now` (clock skew never frees limit).
//!
//! The worker enforces the same rule atomically in D1 with a guarded insert
//! (D1 has no transactions), using [`limit_window`]:
//! ```sql
//! INSERT INTO orders (...) SELECT ... WHERE
//!   (SELECT COALESCE(SUM(amount), 0) FROM spent WHERE customer = ?1 AND fiat = ?2 AND at >= ?day_start)
//!     + ?amount <= ?daily_limit
//!   AND (... AND at >= ?month_start) + ?amount <= ?monthly_limit
//! ```
//! (amounts stored as TEXT must be summed as integers of minor units, see
//! [`to_minor_units`], because SQLite sums TEXT as floating point).

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::{ClientConfig, FiatSettings};
use crate::currency::Fiat;
use crate::money::decimal_string;
use crate::time::Timestamp;

/// One earlier order of the customer that counts against the limits (the
/// worker passes every non-failed, non-expired order since the month start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpentEntry {
    pub at: Timestamp,
    pub fiat: Fiat,
    #[serde(with = "decimal_string")]
    pub amount: Decimal,
}

/// Which limit an order breaks and by how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LimitError {
    CurrencyNotEnabled {
        currency: Fiat,
    },
    BelowMinimum {
        #[serde(with = "decimal_string")]
        minimum: Decimal,
        #[serde(with = "decimal_string")]
        requested: Decimal,
        currency: Fiat,
    },
    AboveMaximum {
        #[serde(with = "decimal_string")]
        maximum: Decimal,
        #[serde(with = "decimal_string")]
        requested: Decimal,
        currency: Fiat,
    },
    DailyLimitExceeded {
        #[serde(with = "decimal_string")]
        limit: Decimal,
        #[serde(with = "decimal_string")]
        used: Decimal,
        #[serde(with = "decimal_string")]
        requested: Decimal,
        #[serde(with = "decimal_string")]
        excess: Decimal,
        currency: Fiat,
    },
    MonthlyLimitExceeded {
        #[serde(with = "decimal_string")]
        limit: Decimal,
        #[serde(with = "decimal_string")]
        used: Decimal,
        #[serde(with = "decimal_string")]
        requested: Decimal,
        #[serde(with = "decimal_string")]
        excess: Decimal,
        currency: Fiat,
    },
}

crate::error::always!(Invalid: LimitError);

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::CurrencyNotEnabled { currency } => {
                write!(f, "currency {currency} is not enabled for this client")
            }
            LimitError::BelowMinimum { minimum, requested, currency } => {
                write!(f, "order of {requested} {currency} is below the minimum of {minimum} {currency}")
            }
            LimitError::AboveMaximum { maximum, requested, currency } => {
                write!(f, "order of {requested} {currency} is above the maximum of {maximum} {currency}")
            }
            LimitError::DailyLimitExceeded { limit, used, requested, excess, currency } => write!(
                f,
                "daily limit of {limit} {currency} exceeded by {excess} {currency} ({used} used today, {requested} requested)"
            ),
            LimitError::MonthlyLimitExceeded { limit, used, requested, excess, currency } => write!(
                f,
                "monthly limit of {limit} {currency} exceeded by {excess} {currency} ({used} used this month, {requested} requested)"
            ),
        }
    }
}

impl std::error::Error for LimitError {}

/// Start of the UTC day and of the UTC month containing `now`.
pub fn window_starts(now: Timestamp) -> (Timestamp, Timestamp) {
    (now.day_start(), now.month_start())
}

/// Everything the worker needs to enforce the limits of one fiat in SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitWindow {
    pub currency: Fiat,
    pub day_start: Timestamp,
    pub month_start: Timestamp,
    #[serde(with = "decimal_string")]
    pub min_order: Decimal,
    #[serde(with = "decimal_string")]
    pub max_order: Decimal,
    #[serde(with = "decimal_string")]
    pub daily_limit: Decimal,
    #[serde(with = "decimal_string")]
    pub monthly_limit: Decimal,
}

pub fn limit_window(
    config: &ClientConfig,
    fiat: Fiat,
    now: Timestamp,
) -> Result<LimitWindow, LimitError> {
    let s = settings(config, fiat)?;
    let (day_start, month_start) = window_starts(now);
    Ok(LimitWindow {
        currency: fiat,
        day_start,
        month_start,
        min_order: s.min_order,
        max_order: s.max_order,
        daily_limit: s.daily_limit,
        monthly_limit: s.monthly_limit,
    })
}

/// An amount as an integer count of the fiat's minor units (cents, yen), for
/// exact sums in SQL; `None` if it has finer decimals or does not fit i64.
pub fn to_minor_units(amount: Decimal, fiat: Fiat) -> Option<i64> {
    let scaled = amount
        .checked_mul(Decimal::from(10i64.pow(fiat.minor_units())))?
        .normalize();
    if scaled.scale() != 0 {
        return None;
    }
    i64::try_from(scaled.mantissa()).ok()
}

fn settings(config: &ClientConfig, fiat: Fiat) -> Result<&FiatSettings, LimitError> {
    config
        .fiat_settings(fiat)
        .ok_or(LimitError::CurrencyNotEnabled { currency: fiat })
}

/// Per-order minimum and maximum.
pub fn check_order_size(
    config: &ClientConfig,
    fiat: Fiat,
    amount: Decimal,
) -> Result<(), LimitError> {
    let s = settings(config, fiat)?;
    if amount < s.min_order {
        return Err(LimitError::BelowMinimum {
            minimum: s.min_order,
            requested: amount,
            currency: fiat,
        });
    }
    if amount > s.max_order {
        return Err(LimitError::AboveMaximum {
            maximum: s.max_order,
            requested: amount,
            currency: fiat,
        });
    }
    Ok(())
}

/// What a customer already spent in one fiat, counted toward the limits: since the
/// start of the UTC day and since the start of the UTC month (which includes today).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spent {
    pub today: Decimal,
    pub this_month: Decimal,
}

impl Spent {
    /// From sums in minor units of `fiat` (what the worker's SQL adds up exactly).
    pub fn from_minor_units(today: i64, this_month: i64, fiat: Fiat) -> Spent {
        Spent {
            today: Decimal::new(today, fiat.minor_units()),
            this_month: Decimal::new(this_month, fiat.minor_units()),
        }
    }
}

/// Whether an order paying `amount` of `fiat` at `now` stays within the
/// order size and the customer's daily and monthly limits, given the
/// customer's earlier orders. Checked in that order; the first broken limit
/// is reported.
pub fn check_limits(
    config: &ClientConfig,
    history: &[SpentEntry],
    fiat: Fiat,
    amount: Decimal,
    now: Timestamp,
) -> Result<(), LimitError> {
    let (day_start, month_start) = window_starts(now);
    let used_since = |start: Timestamp| -> Decimal {
        history
            .iter()
            .filter(|e| e.fiat == fiat && e.at >= start)
            // Saturating: an absurd history must block the order, not panic.
            .fold(Decimal::ZERO, |sum, e| {
                sum.saturating_add(e.amount.max(Decimal::ZERO))
            })
    };
    let spent = Spent {
        today: used_since(day_start),
        this_month: used_since(month_start),
    };
    check_spent(config, fiat, amount, spent)
}

/// [`check_limits`] from the totals already spent in the day and month windows.
pub fn check_spent(
    config: &ClientConfig,
    fiat: Fiat,
    amount: Decimal,
    spent: Spent,
) -> Result<(), LimitError> {
    check_order_size(config, fiat, amount)?;
    let s = settings(config, fiat)?;
    let used = spent.today.max(Decimal::ZERO);
    if used.saturating_add(amount) > s.daily_limit {
        return Err(LimitError::DailyLimitExceeded {
            limit: s.daily_limit,
            used,
            requested: amount,
            excess: used.saturating_add(amount) - s.daily_limit,
            currency: fiat,
        });
    }
    let used = spent.this_month.max(Decimal::ZERO);
    if used.saturating_add(amount) > s.monthly_limit {
        return Err(LimitError::MonthlyLimitExceeded {
            limit: s.monthly_limit,
            used,
            requested: amount,
            excess: used.saturating_add(amount) - s.monthly_limit,
            currency: fiat,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample;
    use crate::error::DomainError;

    // sample(): EUR min 10, max 1000, daily 2000, monthly 10000.

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn spent(when: &str, amount: &str) -> SpentEntry {
        SpentEntry {
            at: at(when),
            fiat: Fiat::Eur,
            amount: d(amount),
        }
    }

    const NOW: &str = "2026-03-15T10:00:00Z";

    #[test]
    fn windows_are_utc_calendar_day_and_month() {
        let (day, month) = window_starts(at("2026-03-15T23:59:59.999Z"));
        assert_eq!(day, at("2026-03-15T00:00:00Z"));
        assert_eq!(month, at("2026-03-01T00:00:00Z"));
        let (day, month) = window_starts(at("2026-01-01T00:00:00Z"));
        assert_eq!(
            (day, month),
            (at("2026-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn order_within_all_limits_passes() {
        let history = [
            spent("2026-03-15T09:00:00Z", "999.99"),
            spent("2026-03-14T09:00:00Z", "1000"),
        ];
        assert_eq!(
            check_limits(&sample(), &history, Fiat::Eur, d("1000.00"), at(NOW)),
            Ok(())
        );
    }

    #[test]
    fn daily_limit_reports_used_requested_and_excess() {
        let history = [
            spent("2026-03-15T00:00:00Z", "600.00"),
            spent("2026-03-15T09:00:00Z", "900.00"),
        ];
        let err = check_limits(&sample(), &history, Fiat::Eur, d("500.01"), at(NOW)).unwrap_err();
        assert_eq!(
            err,
            LimitError::DailyLimitExceeded {
                limit: d("2000.00"),
                used: d("1500.00"),
                requested: d("500.01"),
                excess: d("0.01"),
                currency: Fiat::Eur
            }
        );
        assert_eq!(err.code(), "daily_limit_exceeded");
        let body = serde_json::to_value(&err).unwrap();
        assert_eq!(body["excess"], "0.01");
    }

    #[test]
    fn yesterday_does_not_count_for_the_day_but_for_the_month() {
        let mut history: Vec<_> = (1..=14)
            .map(|day| spent(&format!("2026-03-{day:02}T12:00:00Z"), "700.00"))
            .collect();
        // 14 × 700 = 9800 this month, nothing today.
        assert_eq!(
            check_limits(&sample(), &history, Fiat::Eur, d("200.00"), at(NOW)),
            Ok(())
        );
        let err = check_limits(&sample(), &history, Fiat::Eur, d("200.01"), at(NOW)).unwrap_err();
        assert_eq!(err.code(), "monthly_limit_exceeded");
        // Last month does not count.
        history.push(spent("2026-02-28T23:59:59Z", "5000"));
        assert_eq!(
            check_limits(&sample(), &history, Fiat::Eur, d("200.00"), at(NOW)),
            Ok(())
        );
    }

    #[test]
    fn absurd_history_blocks_instead_of_overflowing() {
        let history = [
            spent(NOW, "79228162514264337593543950335"),
            spent(NOW, "79228162514264337593543950335"),
        ];
        let err = check_limits(&sample(), &history, Fiat::Eur, d("10"), at(NOW)).unwrap_err();
        assert_eq!(err.code(), "daily_limit_exceeded");
    }

    #[test]
    fn other_fiat_does_not_count() {
        let mut entry = spent("2026-03-15T09:00:00Z", "1999.00");
        entry.fiat = Fiat::Jpy;
        assert_eq!(
            check_limits(&sample(), &[entry], Fiat::Eur, d("1000"), at(NOW)),
            Ok(())
        );
    }

    #[test]
    fn order_size_and_currency_are_checked() {
        let code = |fiat, amount| {
            check_limits(&sample(), &[], fiat, d(amount), at(NOW))
                .unwrap_err()
                .code()
        };
        assert_eq!(code(Fiat::Eur, "9.99"), "below_minimum");
        assert_eq!(code(Fiat::Eur, "1000.01"), "above_maximum");
        assert_eq!(code(Fiat::Usd, "100"), "currency_not_enabled");
    }

    #[test]
    fn limit_window_gives_the_sql_parameters() {
        let w = limit_window(&sample(), Fiat::Eur, at(NOW)).unwrap();
        let j = serde_json::to_value(&w).unwrap();
        assert_eq!(j["day_start"], "2026-03-15T00:00:00Z");
        assert_eq!(j["month_start"], "2026-03-01T00:00:00Z");
        assert_eq!(j["daily_limit"], "2000.00");
    }

    #[test]
    fn minor_units_are_exact_integers() {
        assert_eq!(to_minor_units(d("1234.56"), Fiat::Eur), Some(123456));
        assert_eq!(to_minor_units(d("1500"), Fiat::Jpy), Some(1500));
        assert_eq!(to_minor_units(d("1.005"), Fiat::Eur), None);
    }
}
