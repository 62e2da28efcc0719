//! Per pair: median of the valid mids, outliers dropped, median again, quorum.

use rust_decimal::{Decimal, RoundingStrategy};

use super::check::{distance_percent, mid_price, Refusal, SourceQuote};
use super::policy::AggregationPolicy;
use crate::api::SourceReport;
use crate::rates::PRICE_DECIMALS;
use crate::time::Timestamp;

/// What the sources of one pair say in one refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairDecision {
    /// The median of the used quotes and the oldest of their times, when they make a quorum.
    pub price: Option<(Decimal, Timestamp)>,
    /// One report per quote, in the order given.
    pub reports: Vec<SourceReport>,
}

/// The median of `values` (the mean of the two middle ones for an even count,
/// half to even at [`PRICE_DECIMALS`]); `None` for no values.
pub fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let n = sorted.len();
    let middle = match n {
        0 => return None,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => sorted[n / 2 - 1].checked_add(sorted[n / 2])? / Decimal::TWO,
    };
    Some(middle.round_dp_with_strategy(PRICE_DECIMALS, RoundingStrategy::MidpointNearestEven))
}

/// Decides one pair from its quotes (all of the same pair).
pub fn decide(quotes: &[SourceQuote], policy: &AggregationPolicy, now: Timestamp) -> PairDecision {
    let checked: Vec<Result<Decimal, Refusal>> =
        quotes.iter().map(|q| mid_price(q, policy, now)).collect();
    let fresh = checked
        .iter()
        .filter(|c| !matches!(c, Err(r) if r.is_untimely()))
        .count();
    let valid: Vec<Decimal> = checked.iter().filter_map(|c| c.ok()).collect();

    let mut verdicts: Vec<Result<Decimal, Refusal>> = checked.clone();
    let mut price = None;
    if let Some(first) = median(&valid) {
        for v in verdicts.iter_mut() {
            if let Ok(mid) = v {
                if distance_percent(*mid, first).is_none_or(|d| d > policy.outlier_percent) {
                    *v = Err(Refusal::Outlier);
                }
            }
        }
        let used: Vec<Decimal> = verdicts.iter().filter_map(|v| v.ok()).collect();
        let quorum = used.len() >= policy.min_sources.max(1) as usize && used.len() * 2 > fresh;
        if quorum {
            let oldest = quotes
                .iter()
                .zip(&verdicts)
                .filter(|(_, v)| v.is_ok())
                .map(|(q, _)| q.observed_at)
                .min();
            price = median(&used).zip(oldest);
        } else {
            for v in verdicts.iter_mut().filter(|v| v.is_ok()) {
                *v = Err(Refusal::NoQuorum);
            }
        }
    }
    let reports = quotes
        .iter()
        .zip(&verdicts)
        .zip(&checked)
        .map(|((q, verdict), mid)| SourceReport {
            name: q.source.clone(),
            price: mid
                .as_ref()
                .copied()
                .ok()
                .or_else(|| Some(q.bid.checked_add(q.ask)? / Decimal::TWO)),
            observed_at: Some(q.observed_at),
            used: verdict.is_ok(),
            reason: verdict.err(),
        })
        .collect();
    PairDecision { price, reports }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::{Crypto, Fiat};
    use proptest::prelude::*;

    const NOW: &str = "2026-01-01T12:00:00Z";

    fn q(source: &str, mid: &str) -> SourceQuote {
        SourceQuote {
            source: source.into(),
            crypto: Crypto::Btc,
            fiat: Fiat::Eur,
            bid: mid.parse().unwrap(),
            ask: mid.parse().unwrap(),
            observed_at: NOW.parse().unwrap(),
        }
    }

    fn run(quotes: &[SourceQuote]) -> PairDecision {
        decide(quotes, &AggregationPolicy::default(), NOW.parse().unwrap())
    }

    fn price(d: &PairDecision) -> Option<String> {
        d.price.map(|(p, _)| p.normalize().to_string())
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let d = |s: &[&str]| {
            s.iter()
                .map(|x| x.parse().unwrap())
                .collect::<Vec<Decimal>>()
        };
        assert_eq!(median(&d(&["3", "1", "2"])).unwrap().to_string(), "2");
        assert_eq!(
            median(&d(&["1", "2", "4", "3"]))
                .unwrap()
                .normalize()
                .to_string(),
            "2.5"
        );
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn all_agree_gives_their_median() {
        let d = run(&[
            q("a", "60000"),
            q("b", "60010"),
            q("c", "60020"),
            q("d", "59990"),
        ]);
        assert_eq!(price(&d).as_deref(), Some("60005"));
        assert!(d.reports.iter().all(|r| r.used && r.reason.is_none()));
    }

    #[test]
    fn a_price_ten_times_off_is_dropped_as_outlier() {
        let d = run(&[q("a", "60000"), q("b", "60010"), q("c", "600000")]);
        assert_eq!(price(&d).as_deref(), Some("60005"));
        assert_eq!(d.reports[2].reason, Some(Refusal::Outlier));
        assert!(!d.reports[2].used);
    }

    #[test]
    fn zero_and_negative_do_not_count_but_stay_fresh() {
        let d = run(&[q("a", "60000"), q("b", "60010"), q("c", "0"), q("d", "-1")]);
        // Two used of four fresh is not more than half.
        assert_eq!(price(&d), None);
        assert_eq!(d.reports[0].reason, Some(Refusal::NoQuorum));
        assert_eq!(d.reports[2].reason, Some(Refusal::NotPositive));
        let d = run(&[
            q("a", "60000"),
            q("b", "60010"),
            q("c", "60020"),
            q("d", "0"),
        ]);
        assert_eq!(price(&d).as_deref(), Some("60010"));
    }

    #[test]
    fn one_source_is_no_quorum() {
        let d = run(&[q("a", "60000")]);
        assert_eq!(price(&d), None);
        assert_eq!(d.reports[0].reason, Some(Refusal::NoQuorum));
    }

    #[test]
    fn an_even_split_is_no_quorum() {
        let d = run(&[
            q("a", "60000"),
            q("b", "60001"),
            q("c", "6000"),
            q("d", "6001"),
        ]);
        assert_eq!(price(&d), None);
    }

    #[test]
    fn stale_quotes_do_not_count_among_the_fresh() {
        let mut old = q("c", "1");
        old.observed_at = "2026-01-01T11:00:00Z".parse().unwrap();
        let d = run(&[q("a", "60000"), q("b", "60010"), old]);
        assert_eq!(price(&d).as_deref(), Some("60005"));
        assert_eq!(d.reports[2].reason, Some(Refusal::TooOld));
    }

    #[test]
    fn the_oldest_used_time_is_the_pair_time() {
        let mut a = q("a", "60000");
        a.observed_at = "2026-01-01T11:59:00Z".parse().unwrap();
        let d = run(&[a, q("b", "60010")]);
        assert_eq!(d.price.unwrap().1, "2026-01-01T11:59:00Z".parse().unwrap());
    }

    fn mids() -> impl Strategy<Value = Vec<Decimal>> {
        prop::collection::vec(
            (1u64..10_000_000_000_000u64).prop_map(|m| Decimal::new(m as i64, 4)),
            1..9,
        )
    }

    proptest! {
        #[test]
        fn median_lies_within_the_inputs_and_ignores_order(mut v in mids()) {
            let m = median(&v).unwrap();
            let (lo, hi) = (*v.iter().min().unwrap(), *v.iter().max().unwrap());
            prop_assert!(lo <= m && m <= hi);
            v.reverse();
            prop_assert_eq!(median(&v).unwrap(), m);
        }

        #[test]
        fn one_wild_source_cannot_move_three_agreeing_ones(
            base in 1_000u64..100_000_000u64, wild in 0u64..10_000_000_000u64, order in 0usize..4,
        ) {
            let p = Decimal::new(base as i64, 2);
            let mut quotes = vec![
                q("a", &p.to_string()),
                q("b", &(p * Decimal::new(1001, 3)).to_string()),
                q("c", &(p * Decimal::new(999, 3)).to_string()),
            ];
            quotes.insert(order, q("w", &Decimal::new(wild as i64, 2).to_string()));
            let d = run(&quotes);
            let (got, _) = d.price.expect("three of four agree");
            prop_assert!(distance_percent(got, p).unwrap() <= Decimal::new(2, 1));
        }
    }
}
