//! The ECB's euro foreign exchange reference rates (`eurofxref-daily.xml`): units of each
//! currency per 1 EUR, for one day. Read by scanning for the `time` and the
//! `currency`/`rate` attributes (no XML library for three attributes).

use std::collections::BTreeMap;

use cryptoexchange_core::aggregate::fx::FxRate;
use cryptoexchange_core::aggregate::FxReference;
use cryptoexchange_core::currency::Fiat;
use cryptoexchange_core::time::Timestamp;

use super::{decimal, excerpt};

pub fn url(base: &str) -> String {
    format!("{base}/stats/eurofxref/eurofxref-daily.xml")
}

/// The value of `name='...'` (or `"..."`) after `from`, and where it ends.
fn attribute<'a>(text: &'a str, name: &str, from: usize) -> Option<(&'a str, usize)> {
    let start = from + text.get(from..)?.find(&format!("{name}="))? + name.len() + 1;
    let quote = text.get(start..start + 1)?;
    let end = start + 1 + text.get(start + 1..)?.find(quote)?;
    Some((&text[start + 1..end], end))
}

/// The reference rates, observed at 15:00 UTC of their day (published around 16:00
/// CET), never after `now`.
pub fn parse(body: &str, now: Timestamp) -> Result<FxReference, String> {
    let (day, mut at) =
        attribute(body, "time", 0).ok_or_else(|| format!("no time: {}", excerpt(body)))?;
    let observed_at = Timestamp::parse_rfc3339(&format!("{day}T15:00:00Z"))
        .map_err(|e| format!("time {day:?}: {e}"))?
        .min(now);
    let mut rates = BTreeMap::new();
    while let Some((currency, end)) = attribute(body, "currency", at) {
        let (rate, end) = attribute(body, "rate", end).ok_or("currency without rate")?;
        if let Ok(fiat) = currency.parse::<Fiat>() {
            rates.insert(fiat, FxRate(decimal(rate)?));
        }
        at = end;
    }
    if rates.is_empty() {
        return Err("no rates".into());
    }
    Ok(FxReference {
        source: "ecb".into(),
        base: Fiat::Eur,
        observed_at,
        rates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates_sources::tests::{fixture, now};

    #[test]
    fn reads_the_day_and_our_fiats() {
        let fx = parse(&fixture("ecb_eurofxref_daily.xml"), now()).unwrap();
        assert_eq!(fx.observed_at.to_string(), "2026-11-27T15:00:00Z");
        let rate = |f: Fiat| fx.rates.get(&f).map(|r| r.0.to_string());
        assert_eq!(rate(Fiat::Usd).as_deref(), Some("1.0850"));
        assert_eq!(rate(Fiat::Chf).as_deref(), Some("0.9400"));
        assert_eq!(rate(Fiat::Jpy).as_deref(), Some("162.50"));
        assert_eq!(rate(Fiat::Gbp).as_deref(), Some("0.85500"));
        // BGN, CZK, SEK are not our fiats.
        assert_eq!(fx.rates.len(), 4);
    }

    #[test]
    fn garbage_is_a_failure() {
        assert!(parse("<html>maintenance</html>", now()).is_err());
        assert!(parse("<Cube time='2026-11-27'></Cube>", now()).is_err());
    }
}
