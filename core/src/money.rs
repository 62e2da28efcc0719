//! Exact amounts: strict parsing from strings, fixed-precision formatting and
//! the two rounding directions the pricing rules use.
//!
//! Every amount is a [`Decimal`] carried at exactly its currency's precision
//! (`Crypto::decimals()`, `Fiat::minor_units()`). Amounts are strings on the
//! wire; JSON numbers are refused because a binary float cannot carry them.
//!
//! Size limit: an amount or price has at most [`MAX_INTEGER_DIGITS`] digits
//! before the point (below ten billion units). With 18 decimals an ETH amount
//! then has at most 28 digits, which fits rust_decimal's 96-bit mantissa
//! (79 228 162 514 264 337 593 543 950 335, i.e. about 79.2 billion ETH at
//! 18 decimals); products are computed in 192 bits (see [`mul_rounded`]) so
//! no intermediate is rounded behind our back.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

/// At most this many digits before the decimal point (amounts below 10^10).
pub const MAX_INTEGER_DIGITS: usize = 10;
/// Most decimals a decimal string of the wire keeps (ETH has 18); more must be zeros.
pub const MAX_WIRE_DECIMALS: u32 = 18;

/// Longest amount string we look at; anything longer is malformed.
const MAX_AMOUNT_CHARS: usize = 64;

/// An amount string that is not an acceptable amount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AmountError {
    /// Not of the form `digits[.digits]` (signs, exponents, spaces, empty...).
    #[serde(rename = "malformed_amount")]
    Malformed { input: String },
    /// Zero or negative where a positive amount is required.
    #[serde(rename = "amount_not_positive")]
    NotPositive { input: String },
    /// More significant decimals than the currency has.
    TooManyDecimals { input: String, max_decimals: u32 },
    /// Ten billion units or more.
    #[serde(rename = "amount_too_large")]
    TooLarge {
        input: String,
        max_integer_digits: usize,
    },
}

crate::error::always!(Invalid: AmountError);

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Malformed { input } => write!(
                f,
                "malformed amount {input:?} (expected a decimal string such as \"100.00\")"
            ),
            AmountError::NotPositive { input } => {
                write!(f, "amount {input:?} must be greater than zero")
            }
            AmountError::TooManyDecimals {
                input,
                max_decimals,
            } => write!(
                f,
                "amount {input:?} has more than {max_decimals} decimal places"
            ),
            AmountError::TooLarge {
                input,
                max_integer_digits,
            } => write!(
                f,
                "amount {input:?} has more than {max_integer_digits} digits before the decimal point"
            ),
        }
    }
}

impl std::error::Error for AmountError {}

/// Parses a non-negative decimal string: `digits[.digits]`, nothing else (no
/// sign, exponent, whitespace, `_` or leading `.`). A leading `-` on an
/// otherwise valid number gives `NotPositive`, so the caller sees the real
/// problem. Trailing zeros beyond `max_decimals` are accepted ("1.000000000"
/// is exactly one BTC); the result is rescaled to exactly `max_decimals`.
pub fn parse_amount(input: &str, max_decimals: u32) -> Result<Decimal, AmountError> {
    let malformed = || AmountError::Malformed {
        input: truncate(input),
    };
    if input.len() > MAX_AMOUNT_CHARS {
        return Err(malformed());
    }
    let (negative, body) = match input.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return Err(malformed());
    }
    let frac = frac_part.unwrap_or("").trim_end_matches('0');
    let int_significant = int_part.trim_start_matches('0');
    if negative {
        return Err(AmountError::NotPositive {
            input: truncate(input),
        });
    }
    if frac.len() > max_decimals as usize {
        return Err(AmountError::TooManyDecimals {
            input: input.to_owned(),
            max_decimals,
        });
    }
    if int_significant.len() > MAX_INTEGER_DIGITS {
        return Err(AmountError::TooLarge {
            input: input.to_owned(),
            max_integer_digits: MAX_INTEGER_DIGITS,
        });
    }
    // At most 10 + 28 significant digits were checked above; build the
    // mantissa from the significant digits only so nothing can overflow.
    let digits = format!("{int_significant}{frac}");
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| malformed())?
    };
    let too_large = || AmountError::TooLarge {
        input: input.to_owned(),
        max_integer_digits: MAX_INTEGER_DIGITS,
    };
    let mut value =
        Decimal::try_from_i128_with_scale(mantissa, frac.len() as u32).map_err(|_| too_large())?;
    value.rescale(max_decimals);
    if value.scale() != max_decimals {
        return Err(too_large());
    }
    Ok(value)
}

/// Like [`parse_amount`] but zero is refused too.
pub fn parse_positive_amount(input: &str, max_decimals: u32) -> Result<Decimal, AmountError> {
    let value = parse_amount(input, max_decimals)?;
    if value.is_zero() {
        return Err(AmountError::NotPositive {
            input: input.to_owned(),
        });
    }
    Ok(value)
}

/// Error inputs are echoed back; keep them short.
fn truncate(input: &str) -> String {
    input.chars().take(MAX_AMOUNT_CHARS).collect()
}

/// Formats with exactly `decimals` places ("0.00250000", "100.00", "1500").
/// Rounds toward zero if the value had more places, which callers avoid by
/// rounding explicitly first.
pub fn format_amount(value: Decimal, decimals: u32) -> String {
    let mut v = value.round_dp_with_strategy(decimals, RoundingStrategy::ToZero);
    v.rescale(decimals);
    v.to_string()
}

/// Rescales to exactly `decimals` places; `None` if the value has more
/// significant places (it would have to be rounded) or does not fit.
pub fn at_precision(value: Decimal, decimals: u32) -> Option<Decimal> {
    if value.normalize().scale() > decimals {
        return None;
    }
    let mut v = value;
    v.rescale(decimals);
    (v.scale() == decimals).then_some(v)
}

/// Which way a product is rounded to the target precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Toward zero: the customer receives at most what they paid for.
    Down,
    /// Away from zero: the customer pays at least what they receive.
    Up,
}

/// `a × b` rounded in direction `rounding` to exactly `decimals` places, for
/// non-negative operands. The full product (up to 192 bits) is formed before
/// rounding, so the result is the exact product rounded once; rust_decimal's
/// own `*` would silently round a product wider than 96 bits (e.g. an 18-place
/// ETH amount times a price). `None` if an operand is negative or the result
/// does not fit a Decimal.
pub fn mul_rounded(a: Decimal, b: Decimal, decimals: u32, rounding: Rounding) -> Option<Decimal> {
    if a.is_sign_negative() && !a.is_zero() || b.is_sign_negative() && !b.is_zero() {
        return None;
    }
    let limbs = |m: i128| {
        let m = m.unsigned_abs();
        [m as u32, (m >> 32) as u32, (m >> 64) as u32]
    };
    let (x, y) = (limbs(a.mantissa()), limbs(b.mantissa()));
    // Schoolbook product in base 2^32; each step fits u64 exactly.
    let mut product = [0u64; 6];
    for (i, &xi) in x.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &yj) in y.iter().enumerate() {
            let t = u64::from(xi) * u64::from(yj) + product[i + j] + carry;
            product[i + j] = t & 0xffff_ffff;
            carry = t >> 32;
        }
        product[i + 3] += carry;
    }
    let scale = a.scale() + b.scale();
    let mut inexact = false;
    for _ in decimals..scale {
        let mut remainder = 0u64;
        for limb in product.iter_mut().rev() {
            let current = (remainder << 32) | *limb;
            *limb = current / 10;
            remainder = current % 10;
        }
        inexact |= remainder != 0;
    }
    if product[3..].iter().any(|&l| l != 0) {
        return None;
    }
    let mut quotient =
        u128::from(product[0]) | u128::from(product[1]) << 32 | u128::from(product[2]) << 64;
    if inexact && rounding == Rounding::Up {
        quotient += 1;
    }
    let mut value =
        Decimal::try_from_i128_with_scale(i128::try_from(quotient).ok()?, scale.min(decimals))
            .ok()?;
    value.rescale(decimals);
    (value.scale() == decimals).then_some(value)
}

/// `percent` (e.g. 1.5 for 1.5 %) as a fraction (0.015), exactly.
pub fn percent_to_fraction(percent: Decimal) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(percent.mantissa(), percent.scale() + 2).ok()
}

/// Serde for Decimal fields of the wire types: a JSON string in the strict
/// `digits[.digits]` grammar; JSON numbers are refused (a float may already
/// have lost the exact value before we see it).
pub mod decimal_string {
    use rust_decimal::Decimal;
    use serde::de::{self, Visitor};

    use super::MAX_WIRE_DECIMALS;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_str(DecimalString)
    }

    struct DecimalString;

    impl Visitor<'_> for DecimalString {
        type Value = Decimal;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a decimal amount as a string, such as \"100.00\"")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            // Keep the scale the sender wrote ("1.50" stays "1.50") so values
            // round-trip through storage unchanged; the domain checks the
            // currency's own precision afterwards with a precise error.
            // At most MAX_WIRE_DECIMALS places: with 10 integer digits that is 28 digits,
            // which a Decimal always holds (a longer tail must be zeros, dropped here).
            let places = v
                .split_once('.')
                .map_or(0, |(_, f)| f.len())
                .min(MAX_WIRE_DECIMALS as usize) as u32;
            super::parse_amount(v, places).map_err(E::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_and_rescales_to_currency_precision() {
        assert_eq!(parse_amount("0.0025", 8).unwrap().to_string(), "0.00250000");
        assert_eq!(parse_amount("100", 2).unwrap().to_string(), "100.00");
        assert_eq!(parse_amount("1500", 0).unwrap().to_string(), "1500");
        assert_eq!(
            parse_amount("1.000000000000000001", 18)
                .unwrap()
                .to_string(),
            "1.000000000000000001"
        );
    }

    #[test]
    fn accepts_trailing_zeros_beyond_precision() {
        assert_eq!(
            parse_amount("1.000000000", 8).unwrap().to_string(),
            "1.00000000"
        );
    }

    #[test]
    fn rejects_too_many_decimals() {
        let e = parse_amount("1.001", 2).unwrap_err();
        assert_eq!(e.code(), "too_many_decimals");
        assert_eq!(
            parse_amount("1.5", 0).unwrap_err().code(),
            "too_many_decimals"
        );
    }

    #[test]
    fn rejects_malformed_strings() {
        for s in [
            "", ".", "1.", ".5", "1e5", "1E5", "+1", " 1", "1 ", "1,00", "0x10", "1_000", "NaN",
            "inf", "1.2.3", "--1", "٣",
        ] {
            assert_eq!(
                parse_amount(s, 8).unwrap_err().code(),
                "malformed_amount",
                "{s:?}"
            );
        }
    }

    #[test]
    fn rejects_negative_and_zero_where_positive_required() {
        assert_eq!(
            parse_amount("-1", 2).unwrap_err().code(),
            "amount_not_positive"
        );
        assert_eq!(
            parse_positive_amount("0.00", 2).unwrap_err().code(),
            "amount_not_positive"
        );
        assert!(parse_amount("0", 2).unwrap().is_zero());
    }

    #[test]
    fn rejects_ten_billion_and_more() {
        assert_eq!(
            parse_amount("10000000000", 2).unwrap_err().code(),
            "amount_too_large"
        );
        let max_eth = "9999999999.999999999999999999";
        assert_eq!(parse_amount(max_eth, 18).unwrap().to_string(), max_eth);
        assert_eq!(
            parse_amount("00000000000001", 2).unwrap().to_string(),
            "1.00"
        );
    }

    #[test]
    fn formats_with_exact_precision() {
        assert_eq!(format_amount(d("0.0025"), 8), "0.00250000");
        assert_eq!(format_amount(d("100"), 2), "100.00");
        assert_eq!(format_amount(d("1500"), 0), "1500");
    }

    #[test]
    fn mul_rounded_rounds_once_in_the_named_direction() {
        assert_eq!(
            mul_rounded(d("0.00123457"), d("50000.00"), 2, Rounding::Down).unwrap(),
            d("61.72")
        );
        assert_eq!(
            mul_rounded(d("0.00123457"), d("50000.00"), 2, Rounding::Up).unwrap(),
            d("61.73")
        );
        // Exact products are not moved by Up.
        assert_eq!(
            mul_rounded(d("0.002"), d("50000"), 2, Rounding::Up)
                .unwrap()
                .to_string(),
            "100.00"
        );
    }

    #[test]
    fn mul_rounded_is_exact_beyond_96_bits() {
        // 9999999999.999999999999999999 ETH × 2999.99999999: the product has
        // 48 significant digits; rust_decimal's `*` would round it.
        let eth = d("9999999999.999999999999999999");
        let price = d("2999.99999999");
        let down = mul_rounded(eth, price, 2, Rounding::Down).unwrap();
        let up = mul_rounded(eth, price, 2, Rounding::Up).unwrap();
        assert_eq!(down.to_string(), "29999999999899.99");
        assert_eq!(up.to_string(), "29999999999900.00");
        // A tiny fraction beyond the cent must still round up.
        let one_wei = d("0.000000000000000001");
        assert_eq!(
            mul_rounded(one_wei, d("1"), 2, Rounding::Up)
                .unwrap()
                .to_string(),
            "0.01"
        );
    }

    #[test]
    fn mul_rounded_refuses_negative_operands() {
        assert_eq!(mul_rounded(d("-1"), d("2"), 2, Rounding::Up), None);
    }

    #[test]
    fn serde_refuses_json_numbers_and_keeps_scale() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct W {
            #[serde(with = "decimal_string")]
            v: Decimal,
        }
        assert!(serde_json::from_str::<W>(r#"{"v":1.5}"#).is_err());
        assert!(serde_json::from_str::<W>(r#"{"v":1}"#).is_err());
        assert!(serde_json::from_str::<W>(r#"{"v":"1e5"}"#).is_err());
        let w: W = serde_json::from_str(r#"{"v":"1.50"}"#).unwrap();
        assert_eq!(serde_json::to_string(&w).unwrap(), r#"{"v":"1.50"}"#);
    }

    #[test]
    fn serde_takes_the_widest_wire_decimals() {
        #[derive(serde::Deserialize)]
        struct W {
            #[serde(with = "decimal_string")]
            v: Decimal,
        }
        // 10 integer digits and 18 decimals, then zeros beyond what a Decimal could scale to.
        for (text, value) in [
            (
                "9999999999.999999999999999999",
                "9999999999.999999999999999999",
            ),
            (
                "0059.842419551351408500000000000000000000",
                "59.8424195513514085",
            ),
        ] {
            let w: W = serde_json::from_str(&format!(r#"{{"v":"{text}"}}"#)).unwrap();
            assert_eq!(w.v.normalize(), d(value).normalize(), "{text}");
        }
        assert!(serde_json::from_str::<W>(r#"{"v":"0.1234567890123456789"}"#).is_err());
    }

    #[test]
    fn percent_becomes_fraction() {
        assert_eq!(percent_to_fraction(d("1.5")).unwrap(), d("0.015"));
    }
}
