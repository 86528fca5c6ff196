//! PostgreSQL's text output for values received in binary format (what tokio-postgres asks
//! for in the extended protocol), so both protocols are compared against the same expected
//! text. Covers the built-in types the corpus prints; any other type is reported as an
//! error naming it (never guessed). Session TimeZone is assumed to be UTC.

use tokio_postgres::types::{FromSql, Kind, Type};

/// The raw bytes of one column value, whatever its type.
pub struct Raw(pub Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Raw, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

type R = Result<String, String>;

/// The text form of `raw`, a binary value of type `ty`.
pub fn text(ty: &Type, raw: &[u8]) -> R {
    if let Kind::Array(elem) = ty.kind() {
        return array(elem, raw);
    }
    if let Kind::Enum(_) = ty.kind() {
        return utf8(raw);
    }
    match *ty {
        Type::BOOL => Ok(if raw.first() == Some(&1) { "t" } else { "f" }.into()),
        Type::INT2 => Ok(i16::from_be_bytes(fixed(raw)?).to_string()),
        Type::INT4 => Ok(i32::from_be_bytes(fixed(raw)?).to_string()),
        Type::INT8 => Ok(i64::from_be_bytes(fixed(raw)?).to_string()),
        Type::OID => Ok(u32::from_be_bytes(fixed(raw)?).to_string()),
        Type::FLOAT4 => Ok(float(f32::from_be_bytes(fixed(raw)?) as f64, true)),
        Type::FLOAT8 => Ok(float(f64::from_be_bytes(fixed(raw)?), false)),
        Type::NUMERIC => numeric(raw),
        Type::TEXT
        | Type::VARCHAR
        | Type::BPCHAR
        | Type::NAME
        | Type::UNKNOWN
        | Type::JSON
        | Type::XML => utf8(raw),
        Type::CHAR => Ok(String::from_utf8_lossy(raw).into_owned()),
        Type::JSONB => match raw.split_first() {
            Some((1, rest)) => utf8(rest),
            _ => Err("jsonb: unknown binary version".into()),
        },
        Type::BYTEA => Ok(format!("\\x{}", hex(raw))),
        Type::UUID => uuid(raw),
        Type::DATE => Ok(date(i32::from_be_bytes(fixed(raw)?))),
        Type::TIME => Ok(clock(i64::from_be_bytes(fixed(raw)?))),
        Type::TIMESTAMP => Ok(timestamp(i64::from_be_bytes(fixed(raw)?), "")),
        Type::TIMESTAMPTZ => Ok(timestamp(i64::from_be_bytes(fixed(raw)?), "+00")),
        Type::INTERVAL => interval(raw),
        Type::REGTYPE => regtype(u32::from_be_bytes(fixed(raw)?)),
        _ => Err(format!(
            "runner: no text form for binary type {}",
            ty.name()
        )),
    }
}

fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], String> {
    raw.try_into()
        .map_err(|_| format!("expected {N} bytes, got {}", raw.len()))
}

fn utf8(raw: &[u8]) -> R {
    String::from_utf8(raw.to_vec()).map_err(|e| e.to_string())
}

fn hex(raw: &[u8]) -> String {
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

fn uuid(raw: &[u8]) -> R {
    let h = hex(&fixed::<16>(raw)?);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// float4out/float8out with extra_float_digits = 1: shortest exact digits, scientific
/// notation below 1e-4 and from 1e15 (1e6 for float4).
pub fn float(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    let limit = if single { 6 } else { 15 };
    if exp < -4 || exp >= limit {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

fn numeric(raw: &[u8]) -> R {
    let word = |i: usize| -> Result<u16, String> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "numeric: short value".to_string())
    };
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i16 as i64;
    let sign = word(2)?;
    let dscale = word(3)? as usize;
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let digits: Vec<u16> = (0..ndigits)
        .map(|i| word(4 + i))
        .collect::<Result<_, _>>()?;
    let digit = |pos: i64| -> u16 {
        if pos < 0 {
            0
        } else {
            digits.get(pos as usize).copied().unwrap_or(0)
        }
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                out.push_str(&digit(i).to_string());
            } else {
                out.push_str(&format!("{:04}", digit(i)));
            }
        }
    }
    if dscale > 0 {
        let mut frac = String::new();
        let mut pos = weight + 1;
        while frac.len() < dscale {
            frac.push_str(&format!("{:04}", digit(pos)));
            pos += 1;
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    Ok(out)
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;

fn ymd(days_since_2000: i64) -> (String, bool) {
    let (y, m, d) = civil(days_since_2000 + PG_EPOCH_DAYS);
    let bc = y <= 0;
    let year = if bc { 1 - y } else { y };
    (format!("{year:04}-{m:02}-{d:02}"), bc)
}

fn date(days: i32) -> String {
    match days {
        i32::MAX => "infinity".into(),
        i32::MIN => "-infinity".into(),
        d => {
            let (s, bc) = ymd(d.into());
            if bc { format!("{s} BC") } else { s }
        }
    }
}

/// HH:MM:SS[.ffffff] with trailing zeros of the fraction removed.
fn clock(micros: i64) -> String {
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let mut s = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

fn timestamp(micros: i64, zone: &str) -> String {
    match micros {
        i64::MAX => "infinity".into(),
        i64::MIN => "-infinity".into(),
        m => {
            let day = 86_400_000_000;
            let (s, bc) = ymd(m.div_euclid(day));
            let t = clock(m.rem_euclid(day));
            format!("{s} {t}{zone}{}", if bc { " BC" } else { "" })
        }
    }
}

/// IntervalStyle = postgres.
fn interval(raw: &[u8]) -> R {
    if raw.len() != 16 {
        return Err("interval: expected 16 bytes".into());
    }
    let micros = i64::from_be_bytes(fixed(&raw[..8])?);
    let days = i32::from_be_bytes(fixed(&raw[8..12])?);
    let months = i32::from_be_bytes(fixed(&raw[12..])?);
    let mut out = String::new();
    let mut before_negative = false;
    let mut empty = true;
    let parts = [
        (i64::from(months / 12), "year"),
        (i64::from(months % 12), "mon"),
        (i64::from(days), "day"),
    ];
    for (value, unit) in parts {
        if value == 0 {
            continue;
        }
        let plus = if before_negative && value > 0 {
            "+"
        } else {
            ""
        };
        let space = if empty { "" } else { " " };
        let plural = if value != 1 { "s" } else { "" };
        out.push_str(&format!("{space}{plus}{value} {unit}{plural}"));
        before_negative = value < 0;
        empty = false;
    }
    if micros != 0 || empty {
        let sign = if micros < 0 {
            "-"
        } else if before_negative {
            "+"
        } else {
            ""
        };
        let space = if empty { "" } else { " " };
        out.push_str(&format!("{space}{sign}{}", clock(micros.abs())));
    }
    Ok(out)
}

/// regtype output (format_type) for the built-in types the corpus asks pg_typeof about.
fn regtype(oid: u32) -> R {
    let name = match oid {
        16 => "boolean",
        17 => "bytea",
        20 => "bigint",
        21 => "smallint",
        23 => "integer",
        25 => "text",
        114 => "json",
        700 => "real",
        701 => "double precision",
        705 => "unknown",
        1042 => "character",
        1043 => "character varying",
        1082 => "date",
        1083 => "time without time zone",
        1114 => "timestamp without time zone",
        1184 => "timestamp with time zone",
        1186 => "interval",
        1700 => "numeric",
        2950 => "uuid",
        3802 => "jsonb",
        1007 => "integer[]",
        1009 => "text[]",
        _ => return Err(format!("runner: no name for regtype oid {oid}")),
    };
    Ok(name.into())
}

fn array(elem: &Type, raw: &[u8]) -> R {
    let int = |at: usize| -> Result<i32, String> {
        raw.get(at..at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "array: short value".to_string())
    };
    let ndim = int(0)? as usize;
    if ndim == 0 {
        return Ok("{}".into());
    }
    let mut dims = Vec::with_capacity(ndim);
    let mut decoration = String::new();
    for d in 0..ndim {
        let len = int(12 + d * 8)? as usize;
        let lower = int(16 + d * 8)?;
        if lower != 1 {
            decoration.push_str(&format!("[{lower}:{}]", lower + len as i32 - 1));
        }
        dims.push(len);
    }
    let mut at = 12 + ndim * 8;
    let total: usize = dims.iter().product();
    let mut items = Vec::with_capacity(total);
    for _ in 0..total {
        let len = int(at)?;
        at += 4;
        if len < 0 {
            items.push("NULL".to_string());
            continue;
        }
        let bytes = raw
            .get(at..at + len as usize)
            .ok_or_else(|| "array: short element".to_string())?;
        at += len as usize;
        items.push(quote_element(&text(elem, bytes)?));
    }
    let mut iter = items.into_iter();
    let body = nest(&dims, &mut iter);
    Ok(if decoration.is_empty() {
        body
    } else {
        format!("{decoration}={body}")
    })
}

fn nest(dims: &[usize], items: &mut impl Iterator<Item = String>) -> String {
    let inner: Vec<String> = match dims {
        [] => return String::new(),
        [n] => items.take(*n).collect(),
        [n, rest @ ..] => (0..*n).map(|_| nest(rest, items)).collect(),
    };
    format!("{{{}}}", inner.join(","))
}

fn quote_element(s: &str) -> String {
    let special = s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
    if !special {
        return s.to_string();
    }
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(float(1e15, false), "1e+15");
        assert_eq!(float(123456789012345.0, false), "123456789012345");
        assert_eq!(float(0.0001, false), "0.0001");
        assert_eq!(float(0.00001, false), "1e-05");
        assert_eq!(float(1234567.0, true), "1.234567e+06");
        assert_eq!(float(123456.0, true), "123456");
        assert_eq!(float(0.1 + 0.2, false), "0.30000000000000004");
        assert_eq!(float(100.0, false), "100");
        assert_eq!(float(-2.5, false), "-2.5");
    }

    #[test]
    fn dates_and_intervals() {
        assert_eq!(date(0), "2000-01-01");
        assert_eq!(date(-1), "1999-12-31");
        assert_eq!(timestamp(1_500_000, "+00"), "2000-01-01 00:00:01.5+00");
        let iv = |us: i64, d: i32, m: i32| {
            let mut b = us.to_be_bytes().to_vec();
            b.extend(d.to_be_bytes());
            b.extend(m.to_be_bytes());
            interval(&b).unwrap()
        };
        assert_eq!(iv(0, 0, 0), "00:00:00");
        assert_eq!(iv(0, -1, 0), "-1 days");
        assert_eq!(iv(-3_600_000_000, 1, 0), "1 day -01:00:00");
        assert_eq!(iv(14_706_500_000, 3, 14), "1 year 2 mons 3 days 04:05:06.5");
    }
}
