//! Bind parameters off the wire: text or binary bytes of a PostgreSQL type → the value
//! pgrq binds in SQLite. Binary formats follow PostgreSQL's send/recv functions; dates and
//! timestamps become PostgreSQL's text form (what pgrq stores).

use super::datetime::civil;
use crate::error::{PgError, codes};
use crate::session::Value;
use crate::sql::{PgType, floats};

/// Decodes parameter `i` of type `t`; `None` bytes are NULL.
pub fn decode(i: usize, t: PgType, binary: bool, bytes: Option<&[u8]>) -> Result<Value, PgError> {
    let Some(b) = bytes else {
        return Ok(Value::Null);
    };
    let bad = |why: &str| {
        PgError::new(
            codes::INVALID_TEXT_REPRESENTATION,
            format!(
                "invalid input for parameter ${} of type {}: {why}",
                i + 1,
                t.name()
            ),
        )
    };
    let v = if binary {
        decode_binary(t, b).map_err(|e| bad(&e))?
    } else {
        let s = std::str::from_utf8(b).map_err(|_| bad("not valid UTF-8"))?;
        decode_text(t, s).map_err(|e| bad(&e))?
    };
    // rqlite's JSON cannot carry NaN or ±Infinity: they travel as the text SQLite turns
    // into the stored form (`sql::floats`).
    Ok(match v {
        Value::Real(f) => match floats::param_text(f) {
            Some(text) => Value::Text(text.to_string()),
            None => Value::Real(f),
        },
        v => v,
    })
}

fn decode_text(t: PgType, s: &str) -> Result<Value, String> {
    Ok(match t {
        PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Oid => Value::Int(
            s.trim()
                .parse()
                .map_err(|_| format!("\"{s}\" is not an integer"))?,
        ),
        PgType::Float4 | PgType::Float8 => {
            Value::Real(floats::checked_input(s, t).map_err(|e| e.to_string())?)
        }
        PgType::Bool => Value::Int(i64::from(parse_bool(s)?)),
        PgType::Bytea => Value::Blob(parse_bytea(s)?),
        _ => Value::Text(s.to_string()),
    })
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Ok(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Ok(false),
        _ => Err(format!("\"{s}\" is not a boolean")),
    }
}

/// `\x0aff` (hex) or the escape format (`\\`, `\ooo`, printable bytes).
fn parse_bytea(s: &str) -> Result<Vec<u8>, String> {
    if let Some(hex) = s.strip_prefix("\\x") {
        if hex.len() % 2 != 0 {
            return Err("odd number of hex digits".into());
        }
        return (0..hex.len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| "invalid hex digit".to_string())
            })
            .collect();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (b[i + 1] - b'0') as u16 * 64
                + (b[i + 2] - b'0') as u16 * 8
                + (b[i + 3] - b'0') as u16;
            out.push(u8::try_from(v).map_err(|_| "octal escape out of range".to_string())?);
            i += 4;
        } else {
            return Err("invalid escape sequence".into());
        }
    }
    Ok(out)
}

fn be<const N: usize>(b: &[u8]) -> Result<[u8; N], String> {
    b.try_into()
        .map_err(|_| format!("expected {N} bytes, got {}", b.len()))
}

fn decode_binary(t: PgType, b: &[u8]) -> Result<Value, String> {
    Ok(match t {
        PgType::Int2 => Value::Int(i16::from_be_bytes(be(b)?).into()),
        PgType::Int4 => Value::Int(i32::from_be_bytes(be(b)?).into()),
        PgType::Oid => Value::Int(u32::from_be_bytes(be(b)?).into()),
        PgType::Int8 => Value::Int(i64::from_be_bytes(be(b)?)),
        PgType::Float4 => Value::Real(f32::from_be_bytes(be(b)?).into()),
        PgType::Float8 => Value::Real(f64::from_be_bytes(be(b)?)),
        PgType::Bool => Value::Int(i64::from(be::<1>(b)?[0] != 0)),
        PgType::Char => Value::Text(utf8(b)?),
        PgType::Bytea => Value::Blob(b.to_vec()),
        PgType::Uuid => Value::Text(uuid_text(&be::<16>(b)?)),
        PgType::Date => Value::Text(date_text(i32::from_be_bytes(be(b)?))?),
        PgType::Timestamp => Value::Text(timestamp_text(i64::from_be_bytes(be(b)?), false)?),
        PgType::Timestamptz => Value::Text(timestamp_text(i64::from_be_bytes(be(b)?), true)?),
        PgType::Numeric => Value::Text(numeric_text(b)?),
        PgType::Jsonb => match b.split_first() {
            Some((1, rest)) => Value::Text(utf8(rest)?),
            _ => return Err("unknown jsonb binary version".into()),
        },
        PgType::Text
        | PgType::Varchar
        | PgType::Bpchar
        | PgType::Name
        | PgType::Json
        | PgType::Unknown => Value::Text(utf8(b)?),
        t @ (PgType::BoolArray
        | PgType::CharArray
        | PgType::NameArray
        | PgType::Int2Array
        | PgType::Int4Array
        | PgType::TextArray
        | PgType::Int8Array
        | PgType::OidArray) => Value::Text(decode_array(t, b)?),
        other => {
            return Err(format!(
                "binary input for {} is not supported yet",
                other.name()
            ));
        }
    })
}

/// A one-dimensional array in PostgreSQL's binary form (dimensions, null flag, element
/// OID, then each dimension's length and lower bound, then each element as a length, -1
/// for NULL, and its bytes), as PostgreSQL's array text (`{1,NULL,"a b"}`), which is how
/// pgrq carries arrays.
fn decode_array(t: PgType, b: &[u8]) -> Result<String, String> {
    let element = t.element().ok_or("not an array type")?;
    let mut at = 0usize;
    fn int(b: &[u8], at: &mut usize) -> Result<i32, String> {
        let v = i32::from_be_bytes(be(b.get(*at..*at + 4).ok_or("array data too short")?)?);
        *at += 4;
        Ok(v)
    }
    let dims = int(b, &mut at)?;
    let _has_nulls = int(b, &mut at)?;
    let _element_oid = int(b, &mut at)?;
    let len = match dims {
        0 => return Ok("{}".into()),
        1 => {
            let n = int(b, &mut at)?;
            let _lower_bound = int(b, &mut at)?;
            usize::try_from(n).map_err(|_| "negative array length".to_string())?
        }
        _ => return Err("multi-dimensional arrays are not supported".into()),
    };
    let mut items = Vec::with_capacity(len);
    for _ in 0..len {
        let n = int(b, &mut at)?;
        if n < 0 {
            items.push("NULL".to_string());
            continue;
        }
        let n = usize::try_from(n).map_err(|_| "bad element length".to_string())?;
        let bytes = b.get(at..at + n).ok_or("array data too short")?;
        at += n;
        items.push(match decode_binary(element, bytes)? {
            Value::Int(i) if element == PgType::Bool => (if i != 0 { "t" } else { "f" }).into(),
            Value::Int(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Text(s) => array_element_text(&s),
            other => return Err(format!("unexpected array element {other:?}")),
        });
    }
    if at != b.len() {
        return Err("trailing bytes after the array".into());
    }
    Ok(format!("{{{}}}", items.join(",")))
}

/// An element of PostgreSQL's array text, double-quoted where PostgreSQL quotes it.
fn array_element_text(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.eq_ignore_ascii_case("NULL")
        && !s
            .chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
    if plain {
        return s.to_string();
    }
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn utf8(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "not valid UTF-8".to_string())
}

fn uuid_text(b: &[u8; 16]) -> String {
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

fn date_text(days: i32) -> Result<String, String> {
    if days == i32::MAX || days == i32::MIN {
        return Ok(if days > 0 { "infinity" } else { "-infinity" }.into());
    }
    let (y, m, d) = civil(days.into());
    if y <= 0 {
        return Err("dates before year 1 are not supported".into());
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

fn timestamp_text(micros: i64, tz: bool) -> Result<String, String> {
    if micros == i64::MAX || micros == i64::MIN {
        return Ok(if micros > 0 { "infinity" } else { "-infinity" }.into());
    }
    let days = micros.div_euclid(86_400_000_000);
    let rem = micros.rem_euclid(86_400_000_000);
    let (y, m, d) = civil(days);
    if y <= 0 {
        return Err("timestamps before year 1 are not supported".into());
    }
    let secs = rem / 1_000_000;
    let frac = rem % 1_000_000;
    let mut s = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    if tz {
        s.push_str("+00");
    }
    Ok(s)
}

/// PostgreSQL's binary numeric (ndigits, weight, sign, dscale, base-10000 digits) → text.
fn numeric_text(b: &[u8]) -> Result<String, String> {
    if b.len() < 8 {
        return Err("numeric too short".into());
    }
    let word = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let ndigits = usize::from(word(0));
    let weight = i32::from(word(2) as i16);
    let sign = word(4);
    let dscale = usize::from(word(6));
    if b.len() != 8 + 2 * ndigits {
        return Err("numeric length mismatch".into());
    }
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        0x0000 | 0x4000 => {}
        _ => return Err("invalid numeric sign".into()),
    }
    let digits: Vec<u16> = (0..ndigits).map(|i| word(8 + 2 * i)).collect();
    let mut int_part = String::new();
    for k in 0..=weight.max(-1) {
        let d = digits.get(k as usize).copied().unwrap_or(0);
        if int_part.is_empty() {
            int_part = d.to_string();
        } else {
            int_part.push_str(&format!("{d:04}"));
        }
    }
    if int_part.is_empty() {
        int_part.push('0');
    }
    let mut frac = String::new();
    let mut k = weight + 1;
    while frac.len() < dscale {
        let d = if k < 0 {
            0
        } else {
            digits.get(k as usize).copied().unwrap_or(0)
        };
        frac.push_str(&format!("{d:04}"));
        k += 1;
    }
    frac.truncate(dscale);
    let mut s = if sign == 0x4000 {
        "-".to_string()
    } else {
        String::new()
    };
    s.push_str(&int_part);
    if dscale > 0 {
        s.push('.');
        s.push_str(&frac);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(t: PgType, b: &[u8]) -> Value {
        decode(0, t, true, Some(b)).unwrap()
    }

    fn text(t: PgType, s: &str) -> Value {
        decode(0, t, false, Some(s.as_bytes())).unwrap()
    }

    #[test]
    fn integers_floats_bools() {
        assert_eq!(bin(PgType::Int2, &(-2i16).to_be_bytes()), Value::Int(-2));
        assert_eq!(bin(PgType::Int4, &7i32.to_be_bytes()), Value::Int(7));
        assert_eq!(
            bin(PgType::Int8, &i64::MIN.to_be_bytes()),
            Value::Int(i64::MIN)
        );
        assert_eq!(bin(PgType::Float8, &1.5f64.to_be_bytes()), Value::Real(1.5));
        assert_eq!(bin(PgType::Bool, &[1]), Value::Int(1));
        assert_eq!(
            text(PgType::Int8, "9007199254740993"),
            Value::Int(9007199254740993)
        );
        assert_eq!(text(PgType::Bool, "off"), Value::Int(0));
        // Special floats travel as the text SQLite stores (NaN) or reads as ±Inf.
        for (special, sent) in [("NaN", "NaN"), ("-Infinity", "-9e999"), (" inf", "9e999")] {
            let v = decode(2, PgType::Float8, false, Some(special.as_bytes())).unwrap();
            assert_eq!(v, Value::Text(sent.into()), "{special}");
        }
        let nan = f64::NAN.to_be_bytes();
        assert_eq!(bin(PgType::Float8, &nan), Value::Text("NaN".into()));
        let inf = f32::NEG_INFINITY.to_be_bytes();
        assert_eq!(bin(PgType::Float4, &inf), Value::Text("-9e999".into()));
        let e = decode(0, PgType::Float8, false, Some(b"1e400")).unwrap_err();
        assert!(e.message.contains("out of range"), "{}", e.message);
        assert_eq!(decode(0, PgType::Int4, false, None).unwrap(), Value::Null);
    }

    /// PostgreSQL's binary array: dims, null flag, element oid, (length, lower bound),
    /// then each element as its length (-1: NULL) and bytes.
    fn array(oid: u32, elems: &[Option<&[u8]>]) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [1i32, 1, oid as i32, elems.len() as i32, 1] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        for e in elems {
            match e {
                None => b.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(x) => {
                    b.extend_from_slice(&(x.len() as i32).to_be_bytes());
                    b.extend_from_slice(x);
                }
            }
        }
        b
    }

    #[test]
    fn binary_arrays_become_array_text() {
        let oids = array(
            26,
            &[Some(&23u32.to_be_bytes()), Some(&1007u32.to_be_bytes())],
        );
        assert_eq!(
            bin(PgType::OidArray, &oids),
            Value::Text("{23,1007}".into())
        );
        let texts = array(25, &[Some(b"a b"), None, Some(b"x"), Some(b"")]);
        assert_eq!(
            bin(PgType::TextArray, &texts),
            Value::Text("{\"a b\",NULL,x,\"\"}".into())
        );
        let bools = array(16, &[Some(&[1]), Some(&[0])]);
        assert_eq!(bin(PgType::BoolArray, &bools), Value::Text("{t,f}".into()));
        let empty = [0i32, 0, 23]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect::<Vec<_>>();
        assert_eq!(bin(PgType::Int4Array, &empty), Value::Text("{}".into()));
        let mut short = array(23, &[Some(&7i32.to_be_bytes())]);
        short.pop();
        assert!(decode(0, PgType::Int4Array, true, Some(&short)).is_err());
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = decode(2, PgType::Int4, false, Some(b"abc")).unwrap_err();
        assert_eq!(e.code, "22P02");
        assert!(e.message.contains("$3"), "{}", e.message);
        let e = decode(0, PgType::Int8, true, Some(&[1, 2])).unwrap_err();
        assert!(e.message.contains("expected 8 bytes"), "{}", e.message);
    }

    #[test]
    fn bytea_formats() {
        assert_eq!(text(PgType::Bytea, "\\x00ff"), Value::Blob(vec![0, 255]));
        assert_eq!(
            text(PgType::Bytea, "a\\\\b\\000"),
            Value::Blob(vec![b'a', b'\\', b'b', 0])
        );
        assert_eq!(bin(PgType::Bytea, &[0, 1]), Value::Blob(vec![0, 1]));
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(
            bin(PgType::Date, &0i32.to_be_bytes()),
            Value::Text("2000-01-01".into())
        );
        assert_eq!(
            bin(PgType::Date, &9821i32.to_be_bytes()),
            Value::Text("2026-11-21".into())
        );
        assert_eq!(
            bin(PgType::Date, &(-1i32).to_be_bytes()),
            Value::Text("1999-12-31".into())
        );
        // 2026-11-21 22:31:25.777368 UTC
        let us: i64 = 9821 * 86_400_000_000 + (22 * 3600 + 31 * 60 + 25) * 1_000_000 + 777_368;
        assert_eq!(
            bin(PgType::Timestamptz, &us.to_be_bytes()),
            Value::Text("2026-11-21 22:31:25.777368+00".into())
        );
        let whole: i64 = 9821 * 86_400_000_000;
        assert_eq!(
            bin(PgType::Timestamp, &whole.to_be_bytes()),
            Value::Text("2026-11-21 00:00:00".into())
        );
        assert_eq!(
            bin(PgType::Date, &i32::MAX.to_be_bytes()),
            Value::Text("infinity".into())
        );
    }

    #[test]
    fn uuid_and_jsonb() {
        let u = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 1, 2, 3, 4, 5, 6, 7,
        ];
        assert_eq!(
            bin(PgType::Uuid, &u),
            Value::Text("12345678-9abc-def0-0001-020304050607".into())
        );
        assert_eq!(
            bin(PgType::Jsonb, b"\x01{\"a\":1}"),
            Value::Text("{\"a\":1}".into())
        );
    }

    #[test]
    fn numerics() {
        // 1.50: ndigits 2, weight 0, sign +, dscale 2, digits [1, 5000]
        let b = [0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x13, 0x88];
        assert_eq!(bin(PgType::Numeric, &b), Value::Text("1.50".into()));
        // -12345.6: ndigits 3, weight 1, sign -, dscale 1, digits [1, 2345, 6000]
        let b = [0, 3, 0, 1, 0x40, 0, 0, 1, 0, 1, 0x09, 0x29, 0x17, 0x70];
        assert_eq!(bin(PgType::Numeric, &b), Value::Text("-12345.6".into()));
        // 0.0001: ndigits 1, weight -1, dscale 4, digits [1]
        let b = [0, 1, 0xff, 0xff, 0, 0, 0, 4, 0, 1];
        assert_eq!(bin(PgType::Numeric, &b), Value::Text("0.0001".into()));
        // 0 with scale 2: ndigits 0
        let b = [0, 0, 0, 0, 0, 0, 0, 2];
        assert_eq!(bin(PgType::Numeric, &b), Value::Text("0.00".into()));
    }
}
