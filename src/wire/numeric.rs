//! PostgreSQL's binary `numeric` format, written from a decimal text: header
//! (ndigits, weight, sign, dscale as big-endian 16-bit words) then base-10000 digits.
//!
//! It owns only this conversion; which value is a numeric and how it is printed as text
//! is decided by the caller (`encode.rs`). It must not round: every digit of the text
//! is sent, and the text's count of fraction digits becomes the display scale.

const POSITIVE: u16 = 0x0000;
const NEGATIVE: u16 = 0x4000;
const NAN: u16 = 0xC000;
const PLUS_INFINITY: u16 = 0xD000;
const MINUS_INFINITY: u16 = 0xF000;

/// The binary form of a decimal text such as `-12.50`, `1e+100`, `NaN` or `Infinity`;
/// `None` when the text is not a number.
pub fn encode(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => return Some(header(0, 0, NAN, 0)),
        "infinity" | "+infinity" | "inf" => return Some(header(0, 0, PLUS_INFINITY, 0)),
        "-infinity" | "-inf" => return Some(header(0, 0, MINUS_INFINITY, 0)),
        _ => {}
    }
    let (negative, unsigned) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], unsigned[i + 1..].parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // All digits, and where the decimal point falls among them once the exponent is applied.
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut point = i64::from(exponent) + int_part.len() as i64;
    let frac_len = i64::try_from(digits.len()).ok()? - point;
    let dscale = u16::try_from(frac_len.max(0)).ok()?;
    if point.abs() > 131_072 {
        return None;
    }
    let mut digits = digits;
    if point < 0 {
        // 1.5e-5: zeros between the point and the first digit.
        let zeros = usize::try_from(-point).ok()?;
        digits.splice(0..0, std::iter::repeat_n(0u8, zeros));
        point = 0;
    }

    // Pad so the point sits on a base-10000 boundary: left to a multiple of 4 integer
    // digits, right to a multiple of 4 fraction digits.
    let lead = (4 - point.rem_euclid(4)) % 4;
    let mut padded: Vec<u8> = std::iter::repeat_n(0u8, lead as usize)
        .chain(digits.iter().copied())
        .collect();
    let int_digits = point + lead;
    while (padded.len() as i64) < int_digits || (padded.len() as i64 - int_digits) % 4 != 0 {
        padded.push(0);
    }
    let groups: Vec<i16> = padded
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + i16::from(*d)))
        .collect();
    let mut weight = int_digits / 4 - 1;
    let first = groups.iter().position(|g| *g != 0);
    let Some(first) = first else {
        return Some(header(0, 0, POSITIVE, dscale));
    };
    let last = groups.iter().rposition(|g| *g != 0).unwrap_or(first);
    weight -= first as i64;
    let kept = &groups[first..=last];
    let weight = i16::try_from(weight).ok()?;
    let ndigits = u16::try_from(kept.len()).ok()?;
    let sign = if negative { NEGATIVE } else { POSITIVE };
    let mut out = header(ndigits, weight, sign, dscale);
    for g in kept {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Some(out)
}

fn header(ndigits: u16, weight: i16, sign: u16, dscale: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 2 * usize::from(ndigits));
    out.extend_from_slice(&ndigits.to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(b: &[u8]) -> Vec<i32> {
        b.chunks(2)
            .map(|c| i32::from(i16::from_be_bytes([c[0], c[1]])))
            .collect()
    }

    #[test]
    fn integers_fractions_and_scale() {
        // ndigits, weight, sign, dscale, digits…
        assert_eq!(words(&encode("1.50").unwrap()), [2, 0, 0, 2, 1, 5000]);
        assert_eq!(
            words(&encode("-12345.6").unwrap()),
            [3, 1, 0x4000, 1, 1, 2345, 6000]
        );
        assert_eq!(words(&encode("0.0001").unwrap()), [1, -1, 0, 4, 1]);
        assert_eq!(words(&encode("10000").unwrap()), [1, 1, 0, 0, 1]);
        assert_eq!(words(&encode("0").unwrap()), [0, 0, 0, 0]);
        assert_eq!(words(&encode("0.00").unwrap()), [0, 0, 0, 2]);
        assert_eq!(
            words(&encode("0.30000000000000004").unwrap()),
            [5, -1, 0, 17, 3000, 0, 0, 0, 4000]
        );
    }

    #[test]
    fn exponents_and_specials() {
        assert_eq!(words(&encode("1e+100").unwrap()), [1, 25, 0, 0, 1]);
        assert_eq!(words(&encode("1.5e-5").unwrap()), [1, -2, 0, 6, 1500]);
        assert_eq!(
            words(&encode("NaN").unwrap()),
            [0, 0, 0xC000u16 as i16 as i32, 0]
        );
        assert_eq!(
            words(&encode("-Infinity").unwrap()),
            [0, 0, 0xF000u16 as i16 as i32, 0]
        );
        assert!(encode("abc").is_none());
        assert!(encode("").is_none());
        assert!(encode("1.2.3").is_none());
    }
}
