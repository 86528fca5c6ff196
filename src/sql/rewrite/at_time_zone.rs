//! `x AT TIME ZONE zone` for the zones that are UTC (`'UTC'`, `'GMT'`,
//! `'Z'`, `'Etc/UTC'`, `'+00'`, …): pgrq's sessions run in UTC and store
//! timestamptz in UTC, so a timestamp gains the `+00` offset (becoming a
//! timestamptz) and a timestamptz or date loses it (becoming a timestamp
//! at that wall-clock time). Other zones, and values whose type does not
//! show in their form, are refused (0A000): converting between zones needs
//! the time zone database. Pure.

use sqlparser::ast::Expr;

use super::build::{literal_str, take};
use super::template::fill;
use crate::sql::{PgType, SqlError};

/// Zone names PostgreSQL reads as UTC (checked against PostgreSQL 15).
const UTC_NAMES: &[&str] = &[
    "utc", "gmt", "z", "zulu", "etc/utc", "etc/gmt", "utc0", "+00", "-00", "+00:00", "-00:00",
];

/// `value AT TIME ZONE zone`, where `value` has the type `ty` by its form.
pub(super) fn rewrite(expr: &mut Expr, ty: Option<PgType>) -> Result<(), SqlError> {
    let Expr::AtTimeZone {
        timestamp,
        time_zone,
    } = expr
    else {
        return Ok(());
    };
    let zone = literal_str(time_zone).map(|z| z.trim().to_ascii_lowercase());
    if !zone.as_deref().is_some_and(|z| UTC_NAMES.contains(&z)) {
        return Err(SqlError::unsupported(format!(
            "AT TIME ZONE {time_zone} (only UTC: pgrq has no time zone database)"
        )));
    }
    let template = match ty {
        Some(PgType::Timestamp) => {
            "(CASE WHEN pgrq_arg1 IN ('infinity', '-infinity') THEN pgrq_arg1 \
             ELSE pgrq_arg1 || '+00' END)"
        }
        Some(PgType::Timestamptz) => {
            "(CASE WHEN length(pgrq_arg1) > 19 AND substr(pgrq_arg1, length(pgrq_arg1) - 2) = '+00' \
             THEN substr(pgrq_arg1, 1, length(pgrq_arg1) - 3) ELSE pgrq_arg1 END)"
        }
        Some(PgType::Date) => {
            "(CASE WHEN pgrq_arg1 IN ('infinity', '-infinity') THEN pgrq_arg1 \
             ELSE pgrq_arg1 || ' 00:00:00' END)"
        }
        _ => {
            return Err(SqlError::unsupported(
                "AT TIME ZONE of a value that is not a date, timestamp or timestamptz by its form",
            ));
        }
    };
    *expr = fill(template, &[take(timestamp)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn utc_only() {
        let out = sqlite("SELECT timestamp '2024-06-01 12:00' AT TIME ZONE 'UTC'");
        assert!(out.contains("|| '+00'"), "{out}");
        let out = sqlite("SELECT now() AT TIME ZONE 'Etc/UTC'");
        assert!(out.contains("length("), "{out}");
        assert_unsupported(
            "SELECT timestamp '2024-06-01 12:00' AT TIME ZONE 'Asia/Tokyo'",
            "AT TIME ZONE",
        );
        assert_unsupported("SELECT x AT TIME ZONE 'UTC' FROM t", "AT TIME ZONE");
    }
}
