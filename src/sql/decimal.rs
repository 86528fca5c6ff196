//! Exact decimal numbers with PostgreSQL's `numeric` rules: a value and its display scale
//! (digits after the point, `1.50` has 2), `+ -` keep the larger scale, `*` the sum of
//! the scales, `/` the scale PostgreSQL's `select_div_scale` picks (at least 16
//! significant digits, never fewer digits than either operand shows), rounding half away
//! from zero, and text output as PostgreSQL prints it. Used where pgrq computes a numeric
//! itself instead of SQLite's REALs: constant expressions folded at translation and
//! `avg()` finished from an exact sum and count. Pure, no I/O.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, Sign};

/// PostgreSQL's `NUMERIC_MIN_SIG_DIGITS`: a quotient has at least this many significant
/// digits.
const MIN_SIG_DIGITS: i64 = 16;
/// PostgreSQL's `NUMERIC_MAX_DISPLAY_SCALE`.
pub const MAX_DISPLAY_SCALE: u32 = 1000;
/// Decimal digits per digit of PostgreSQL's base-10000 representation (`DEC_DIGITS`).
const DEC_DIGITS: i64 = 4;

/// `mant / 10^scale`, shown with `scale` digits after the point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    mant: BigInt,
    scale: u32,
}

fn pow10(n: u32) -> BigInt {
    BigInt::from(10u32).pow(n)
}

/// `n / d` rounded half away from zero (`d` > 0).
fn div_round(n: &BigInt, d: &BigInt) -> BigInt {
    let q = n / d;
    let r = n - &q * d;
    let twice: BigInt = r.magnitude().clone().into();
    if twice * 2 >= *d {
        match n.sign() {
            Sign::Minus => q - 1,
            _ => q + 1,
        }
    } else {
        q
    }
}

impl Decimal {
    pub fn from_i64(i: i64) -> Decimal {
        Decimal {
            mant: BigInt::from(i),
            scale: 0,
        }
    }

    /// PostgreSQL's numeric input: optional sign, digits with an optional point, an
    /// optional exponent, surrounding spaces. `None` for anything else (NaN, Infinity,
    /// garbage) and for exponents beyond the display scale limit.
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let (negative, t) = match t.as_bytes().first()? {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, exponent) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
            None => (t, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
            || exponent.abs() > i64::from(MAX_DISPLAY_SCALE)
        {
            return None;
        }
        let digits = format!("{int}{frac}");
        let mut mant: BigInt = digits.parse().ok()?;
        if negative {
            mant = -mant;
        }
        let scale = frac.len() as i64 - exponent;
        if scale >= 0 {
            Some(Decimal {
                mant,
                scale: u32::try_from(scale).ok()?,
            })
        } else {
            Some(Decimal {
                mant: mant * pow10(u32::try_from(-scale).ok()?),
                scale: 0,
            })
        }
    }

    /// The decimal a REAL stands for: its shortest representation that reads back as the
    /// same double (what SQLite was given when the value was a decimal literal of at most
    /// 15 significant digits). `None` for NaN and infinities.
    pub fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        // Display prints the shortest round-trip digits, never an exponent.
        Decimal::parse(&format!("{f}"))
    }

    pub fn scale(&self) -> u32 {
        self.scale
    }

    pub fn is_zero(&self) -> bool {
        self.mant.sign() == Sign::NoSign
    }

    /// The mantissa at scale `s` ≥ `self.scale`.
    fn mant_at(&self, s: u32) -> BigInt {
        &self.mant * pow10(s - self.scale)
    }

    pub fn add(&self, other: &Decimal) -> Decimal {
        let s = self.scale.max(other.scale);
        Decimal {
            mant: self.mant_at(s) + other.mant_at(s),
            scale: s,
        }
    }

    pub fn sub(&self, other: &Decimal) -> Decimal {
        self.add(&other.neg())
    }

    pub fn neg(&self) -> Decimal {
        Decimal {
            mant: -self.mant.clone(),
            scale: self.scale,
        }
    }

    pub fn abs(&self) -> Decimal {
        Decimal {
            mant: self.mant.magnitude().clone().into(),
            scale: self.scale,
        }
    }

    pub fn mul(&self, other: &Decimal) -> Decimal {
        Decimal {
            mant: &self.mant * &other.mant,
            scale: self.scale + other.scale,
        }
    }

    /// `self / other` at the scale PostgreSQL gives the quotient, rounded half away from
    /// zero; `None` when `other` is zero.
    pub fn div(&self, other: &Decimal) -> Option<Decimal> {
        if other.is_zero() {
            return None;
        }
        let rscale = div_scale(self, other);
        Some(self.div_at(other, rscale))
    }

    /// `self / other` rounded to `rscale` digits (`other` non-zero).
    fn div_at(&self, other: &Decimal, rscale: u32) -> Decimal {
        // self.mant / 10^s1 / (other.mant / 10^s2) · 10^rscale
        let shift = i64::from(rscale) + i64::from(other.scale) - i64::from(self.scale);
        let (mut n, mut d) = (self.mant.clone(), other.mant.clone());
        if shift >= 0 {
            n *= pow10(shift as u32);
        } else {
            d *= pow10((-shift) as u32);
        }
        if d.sign() == Sign::Minus {
            n = -n;
            d = -d;
        }
        Decimal {
            mant: div_round(&n, &d),
            scale: rscale,
        }
    }

    /// PostgreSQL's `round(x, n)`: rounded half away from zero at `n` digits after the
    /// point (before it when negative), shown with `max(n, 0)` digits.
    pub fn round(&self, n: i64) -> Decimal {
        let n = n.clamp(-i64::from(MAX_DISPLAY_SCALE), i64::from(MAX_DISPLAY_SCALE));
        if n >= i64::from(self.scale) {
            let s = n as u32;
            return Decimal {
                mant: self.mant_at(s),
                scale: s,
            };
        }
        let drop = (i64::from(self.scale) - n) as u32;
        let rounded = div_round(&self.mant, &pow10(drop));
        if n >= 0 {
            Decimal {
                mant: rounded,
                scale: n as u32,
            }
        } else {
            Decimal {
                mant: rounded * pow10((-n) as u32),
                scale: 0,
            }
        }
    }

    /// PostgreSQL's `trunc(x, n)`: digits beyond `n` dropped (toward zero).
    pub fn trunc(&self, n: i64) -> Decimal {
        let n = n.clamp(-i64::from(MAX_DISPLAY_SCALE), i64::from(MAX_DISPLAY_SCALE));
        if n >= i64::from(self.scale) {
            return self.round(n);
        }
        let drop = (i64::from(self.scale) - n) as u32;
        let cut = &self.mant / pow10(drop);
        if n >= 0 {
            Decimal {
                mant: cut,
                scale: n as u32,
            }
        } else {
            Decimal {
                mant: cut * pow10((-n) as u32),
                scale: 0,
            }
        }
    }

    /// The value as `numeric(precision, scale)` holds it: rounded to `scale`, or `None`
    /// when its integer part needs more than `precision - scale` digits (PostgreSQL's
    /// 22003 "numeric field overflow").
    pub fn to_typmod(&self, precision: u32, scale: u32) -> Option<Decimal> {
        let r = self.round(i64::from(scale));
        let int_digits = r.integer_digits();
        (int_digits + scale <= precision).then_some(r)
    }

    /// Digits before the point, leading zeros not counted (0 for |x| < 1).
    fn integer_digits(&self) -> u32 {
        let int = self.mant.magnitude() / pow10(self.scale).magnitude();
        if int.bits() == 0 {
            0
        } else {
            int.to_string().len() as u32
        }
    }

    /// Significant digits of the value as shown (leading zeros not counted, trailing
    /// zeros of the scale counted): what a double must carry to print it exactly.
    pub fn significant_digits(&self) -> u32 {
        if self.is_zero() {
            return 0;
        }
        self.mant.magnitude().to_string().len() as u32
    }

    /// Significant digits without the trailing zeros (`1e20` has 1, `0.10` has 1,
    /// `12.345` has 5): what a double must carry to hold the value exactly.
    pub fn essential_digits(&self) -> u32 {
        let digits = self.mant.magnitude().to_string();
        digits.trim_end_matches('0').len() as u32
    }

    /// The base-10000 weight and first digit of a non-zero value (`None` for zero), as
    /// PostgreSQL's digit array has them.
    fn weight_and_first_digit(&self) -> Option<(i64, u32)> {
        if self.is_zero() {
            return None;
        }
        let digits = self.mant.magnitude().to_string();
        // Power of ten of the leading digit.
        let e10 = digits.len() as i64 - 1 - i64::from(self.scale);
        let weight = e10.div_euclid(DEC_DIGITS);
        let take = (e10 - weight * DEC_DIGITS + 1) as usize;
        let lead: String = digits
            .chars()
            .chain(std::iter::repeat('0'))
            .take(take)
            .collect();
        Some((weight, lead.parse().ok()?))
    }
}

/// An exact `avg` from its `sum/count` text (the sum's integer digits at `scale`, see
/// `infer::avg`): the quotient as PostgreSQL's numeric `avg` prints it. `None` when the
/// text is not such a pair or the count is zero.
pub fn avg_text(pair: &str, scale: u32) -> Option<String> {
    let (sum, count) = pair.split_once('/')?;
    let sum: BigInt = sum.trim().parse().ok()?;
    let count = Decimal::parse(count)?;
    let sum = Decimal { mant: sum, scale };
    Some(sum.div(&count)?.to_string())
}

/// PostgreSQL's choice of a quotient's scale: enough for 16 significant digits given
/// the estimated weight of the quotient, at least each operand's scale, at most 1000.
fn div_scale(a: &Decimal, b: &Decimal) -> u32 {
    let (w1, d1) = a.weight_and_first_digit().unwrap_or((0, 0));
    let (w2, d2) = b.weight_and_first_digit().unwrap_or((0, 0));
    let mut qweight = w1 - w2;
    if d1 <= d2 {
        qweight -= 1;
    }
    let rscale = (MIN_SIG_DIGITS - qweight * DEC_DIGITS)
        .max(i64::from(a.scale))
        .max(i64::from(b.scale))
        .max(0)
        .min(i64::from(MAX_DISPLAY_SCALE));
    rscale as u32
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let s = self.scale.max(other.scale);
        self.mant_at(s).cmp(&other.mant_at(s))
    }
}

/// PostgreSQL's numeric output: all `scale` digits after the point, no exponent.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mant.magnitude().to_string();
        let s = self.scale as usize;
        let padded = if digits.len() <= s {
            format!("{}{digits}", "0".repeat(s + 1 - digits.len()))
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - s);
        if self.mant.sign() == Sign::Minus {
            f.write_str("-")?;
        }
        if frac.is_empty() {
            write!(f, "{int}")
        } else {
            write!(f, "{int}.{frac}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    fn div(a: &str, b: &str) -> String {
        d(a).div(&d(b)).unwrap().to_string()
    }

    #[test]
    fn input_and_output_keep_the_scale() {
        assert_eq!(d("1.50").to_string(), "1.50");
        assert_eq!(d(" -0.00000001 ").to_string(), "-0.00000001");
        assert_eq!(d("007.").to_string(), "7");
        assert_eq!(d(".5").to_string(), "0.5");
        assert_eq!(d("1.0e-3").to_string(), "0.0010");
        assert_eq!(d("1e3").to_string(), "1000");
        assert_eq!(d("-0.0").to_string(), "0.0");
        for bad in ["", ".", "NaN", "1e", "1.2.3", "--1", "Infinity", "1e5000"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sums_and_products_follow_postgres_scales() {
        assert_eq!(d("1.5").add(&d("2.25")).to_string(), "3.75");
        assert_eq!(d("0.10").add(&d("0.2")).to_string(), "0.30");
        assert_eq!(d("1").sub(&d("1.000")).to_string(), "0.000");
        assert_eq!(d("0.10").mul(&d("3")).to_string(), "0.30");
        assert_eq!(
            d("1.000000000000000000001").mul(&d("3")).to_string(),
            "3.000000000000000000003"
        );
        assert_eq!(
            d("99999999999999999999")
                .add(&Decimal::from_i64(1))
                .to_string(),
            "100000000000000000000"
        );
    }

    #[test]
    fn quotients_get_postgres_division_scale() {
        assert_eq!(div("7.0", "2"), "3.5000000000000000");
        assert_eq!(div("1", "3.0"), "0.33333333333333333333");
        assert_eq!(div("10", "3"), "3.3333333333333333");
        assert_eq!(div("2", "3"), "0.66666666666666666667");
        assert_eq!(div("1.0", "7"), "0.14285714285714285714");
        assert_eq!(div("290", "3"), "96.6666666666666667");
        assert_eq!(div("27", "5"), "5.4000000000000000");
        assert_eq!(div("-7", "2"), "-3.5000000000000000");
        assert_eq!(div("7", "-2"), "-3.5000000000000000");
        assert_eq!(div("0", "5"), "0.00000000000000000000");
        assert_eq!(div("100000", "3"), "33333.333333333333");
        assert_eq!(div("1.23456789012345678901", "1"), "1.23456789012345678901");
        assert!(d("1").div(&d("0.00")).is_none());
    }

    #[test]
    fn rounding_is_half_away_from_zero_on_the_decimal() {
        assert_eq!(d("2.675").round(2).to_string(), "2.68");
        assert_eq!(d("-2.5").round(0).to_string(), "-3");
        assert_eq!(d("1234.5").round(-2).to_string(), "1200");
        assert_eq!(d("1.5").round(3).to_string(), "1.500");
        assert_eq!(d("-0.001").round(2).to_string(), "0.00");
        assert_eq!(d("2.679").trunc(2).to_string(), "2.67");
        assert_eq!(d("-2.679").trunc(0).to_string(), "-2");
    }

    #[test]
    fn averages_divide_the_exact_sum() {
        assert_eq!(
            super::avg_text("27/5", 0).as_deref(),
            Some("5.4000000000000000")
        );
        assert_eq!(
            super::avg_text("1125/6", 2).as_deref(),
            Some("1.8750000000000000")
        );
        assert_eq!(
            super::avg_text("-7/3", 0).as_deref(),
            Some("-2.3333333333333333")
        );
        assert_eq!(super::avg_text("7/0", 0), None);
        assert_eq!(super::avg_text("7.5/2", 0), None);
    }

    #[test]
    fn typmods_round_and_overflow() {
        assert_eq!(d("12.345").to_typmod(5, 1).unwrap().to_string(), "12.3");
        assert_eq!(d("1.005").to_typmod(5, 2).unwrap().to_string(), "1.01");
        assert_eq!(d("999.995").to_typmod(5, 2), None);
        assert_eq!(d("1000").to_typmod(2, 0), None);
        assert_eq!(d("99.4").to_typmod(2, 0).unwrap().to_string(), "99");
        assert_eq!(d("0.5").to_typmod(1, 1).unwrap().to_string(), "0.5");
    }

    #[test]
    fn reals_stand_for_their_shortest_decimal() {
        assert_eq!(
            Decimal::from_f64(1.005).unwrap().round(2).to_string(),
            "1.01"
        );
        assert_eq!(
            Decimal::from_f64(0.1 * 3.0).unwrap().round(2).to_string(),
            "0.30"
        );
        assert_eq!(
            Decimal::from_f64(1e21).unwrap().to_string(),
            "1000000000000000000000"
        );
        assert!(Decimal::from_f64(f64::NAN).is_none());
        assert_eq!(d("12.50").significant_digits(), 4);
        assert_eq!(d("1e20").essential_digits(), 1);
        assert_eq!(d("12345678901234567890.0123456789").essential_digits(), 30);
    }
}
