//! Dates and times on PostgreSQL's text forms (`2026-01-02`,
//! `2026-01-02 03:04:05.123456[+00]`, which pgrq stores): `± INTERVAL`
//! constants become SQLite date modifiers (fractions of a second and the
//! `+00` suffix carried over), interval constants print as PostgreSQL prints
//! them, `date_trunc`, `EXTRACT` and `date_part` read the fields with
//! strftime. Interval values that are not constants (columns, `ts - ts`,
//! age()) are refused by name. pgrq's sessions run in UTC.

use sqlparser::ast::{BinaryOperator as B, DateTimeField, Expr};

use super::build::{literal_str, take};
use super::column_types::ColumnTypes;
use super::interval::Interval;
use super::interval_fields;
use super::interval_math;
use super::string;
use super::template::fill;
use crate::sql::{PgType, SqlError};

/// `A` readable by SQLite: PostgreSQL's `+00` offset becomes `+00:00`.
/// (No negative substr start: this text is visited by the rewriter.)
pub(super) const NORM: &str = "(CASE WHEN length(pgrq_arg1) > 19 \
     AND substr(pgrq_arg1, length(pgrq_arg1) - 2, 1) IN ('+', '-') \
     THEN pgrq_arg1 || ':00' ELSE pgrq_arg1 END)";

/// The offset a timestamptz result carries (dates count as timestamptz,
/// as in PostgreSQL's date_trunc).
const SUFFIX: &str = "(CASE WHEN length(pgrq_arg1) = 10 OR (length(pgrq_arg1) > 19 \
     AND (substr(pgrq_arg1, length(pgrq_arg1) - 2, 1) IN ('+', '-') \
     OR substr(pgrq_arg1, length(pgrq_arg1) - 5, 1) IN ('+', '-'))) THEN '+00' ELSE '' END)";

/// The six microsecond digits of `A` ('000000' without a fraction).
pub(super) const FRAC6: &str = "substr(CASE WHEN substr(pgrq_arg1, 20, 1) <> '.' THEN '' \
     WHEN instr(substr(pgrq_arg1, 21, 6), '+') > 0 \
     THEN substr(pgrq_arg1, 21, instr(substr(pgrq_arg1, 21, 6), '+') - 1) \
     WHEN instr(substr(pgrq_arg1, 21, 6), '-') > 0 \
     THEN substr(pgrq_arg1, 21, instr(substr(pgrq_arg1, 21, 6), '-') - 1) \
     ELSE substr(pgrq_arg1, 21, 6) END || '000000', 1, 6)";

/// EXTRACT / date_part of an interval (see `interval_fields`).
fn interval_field(expr: &Expr, columns: &ColumnTypes) -> Result<Option<Expr>, SqlError> {
    let (unit, x, numeric) = match expr {
        Expr::Extract { field, expr: x, .. } => {
            let unit = match field {
                DateTimeField::Custom(ident) => ident.value.to_ascii_lowercase(),
                other => other.to_string().to_ascii_lowercase(),
            };
            (unit, x.as_ref(), true)
        }
        Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("date_part") => {
            let Some(args) = super::build::plain_args(f) else {
                return Ok(None);
            };
            let [unit, x] = args.as_slice() else {
                return Ok(None);
            };
            let Some(unit) = literal_str(unit) else {
                return Ok(None);
            };
            return match interval_constant(x) {
                Some(iv) => {
                    interval_fields::field(&unit.trim().to_ascii_lowercase(), iv?, false).map(Some)
                }
                None if columns.of(x) == Some(crate::sql::PgType::Interval) => Err(
                    SqlError::unsupported("date_part() of an interval that is not a constant"),
                ),
                None => Ok(None),
            };
        }
        _ => return Ok(None),
    };
    match interval_constant(x) {
        Some(iv) => interval_fields::field(&unit, iv?, numeric).map(Some),
        None if columns.of(x) == Some(crate::sql::PgType::Interval) => Err(SqlError::unsupported(
            "EXTRACT of an interval that is not a constant",
        )),
        None => Ok(None),
    }
}

/// A constant interval expression's value (see `interval_math`); arithmetic
/// failures (division by zero) become translation errors here, where the
/// value is an operand.
fn interval_constant(e: &Expr) -> Option<Result<Interval, SqlError>> {
    interval_math::constant(e).map(plain)
}

fn plain(r: Result<Interval, interval_math::Fail>) -> Result<Interval, SqlError> {
    r.map_err(|f| match f {
        interval_math::Fail::Sql(e) => e,
        interval_math::Fail::Raise(_, message) => {
            SqlError::unsupported(format!("interval operand that fails ({message})"))
        }
    })
}

/// Before the children are visited: `x ± interval` and interval constants.
pub(super) fn pre_expr(expr: &mut Expr, columns: &ColumnTypes) -> Result<(), SqlError> {
    if let Some(out) = super::age::pre_expr(expr)? {
        *expr = out;
        return Ok(());
    }
    if let Expr::AtTimeZone { timestamp, .. } = expr {
        let ty = static_type(timestamp, columns);
        return super::at_time_zone::rewrite(expr, ty);
    }
    if let Some(out) = interval_field(expr, columns)? {
        *expr = out;
        return Ok(());
    }
    if let Some(out) = super::make_interval::fold(expr)? {
        *expr = out;
        return Ok(());
    }
    if let Some(out) = justify(expr)? {
        *expr = out;
        return Ok(());
    }
    if let Some(out) = interval_math::fold(expr) {
        *expr = out?;
        return Ok(());
    }
    match expr {
        Expr::UnaryOp { expr: x, .. } if columns.of(x) == Some(PgType::Interval) => Err(
            SqlError::unsupported("sign operator on an interval value computed at run time"),
        ),
        Expr::BinaryOp { left, op, right }
            if matches!(op, B::Plus | B::Minus | B::Multiply | B::Divide)
                && (columns.of(left) == Some(PgType::Interval)
                    || columns.of(right) == Some(PgType::Interval)) =>
        {
            Err(SqlError::unsupported(format!(
                "operator {op} on an interval value computed at run time (an interval column)"
            )))
        }
        Expr::BinaryOp { left, op, right } => {
            let (l, r) = (
                interval_math::constant(left),
                interval_math::constant(right),
            );
            // An operand that fails when computed (division by zero) fails the whole.
            for side in [&l, &r] {
                if let Some(Err(interval_math::Fail::Raise(code, message))) = side {
                    *expr = super::build::raise(code, message);
                    return Ok(());
                }
            }
            let (l, r) = (l.map(plain), r.map(plain));
            if l.is_none() && r.is_none() {
                if let Some(out) = date_arithmetic(left, op, right, columns)? {
                    *expr = out;
                }
                return Ok(());
            }
            let op = op.clone();
            let (base, iv, negate) = match (&op, l, r) {
                (B::Plus | B::Minus, None, Some(iv)) => (take(left), iv?, matches!(op, B::Minus)),
                (B::Plus, Some(iv), None) => (take(right), iv?, false),
                (op, ..) => {
                    return Err(SqlError::unsupported(format!(
                        "operator {op} on interval values (only timestamp ± constant interval)"
                    )));
                }
            };
            let iv = if negate { iv.negated() } else { iv };
            *expr = if static_type(&base, columns) == Some(PgType::Time) {
                super::time_math::time_plus(base, iv)
            } else {
                shift(base, iv)?
            };
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `justify_hours/days/interval(constant interval)`, folded; other arguments refused.
fn justify(expr: &Expr) -> Result<Option<Expr>, SqlError> {
    let Expr::Function(f) = expr else {
        return Ok(None);
    };
    let Some(name) = f.name.0.last().and_then(|p| p.as_ident()) else {
        return Ok(None);
    };
    let name = name.value.to_ascii_lowercase();
    if !matches!(
        name.as_str(),
        "justify_hours" | "justify_days" | "justify_interval"
    ) {
        return Ok(None);
    }
    let iv = match super::build::plain_args(f).as_deref() {
        Some([arg]) => interval_constant(arg),
        _ => None,
    };
    match iv {
        Some(iv) => Ok(Some(string(&iv?.justified(&name).to_postgres()))),
        None => Err(SqlError::unsupported(format!(
            "{name}() of a value that is not a constant interval"
        ))),
    }
}

/// The date/time type an expression has by its form alone (typed
/// literals, casts, clocks), before anything is rewritten.
fn static_type(e: &Expr, columns: &ColumnTypes) -> Option<PgType> {
    let t = match e {
        Expr::Nested(inner) => return static_type(inner, columns),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) if columns.of(e).is_some() => {
            columns.of(e)?
        }
        Expr::TypedString(ts) => PgType::from_sqlparser(&ts.data_type),
        Expr::Cast { data_type, .. } => PgType::from_sqlparser(data_type),
        Expr::Function(f) => {
            let name = f.name.0.last()?.as_ident()?.value.to_ascii_lowercase();
            match name.as_str() {
                "current_date" => PgType::Date,
                "now"
                | "current_timestamp"
                | "transaction_timestamp"
                | "statement_timestamp"
                | "clock_timestamp"
                | "date_trunc" => PgType::Timestamptz,
                "localtimestamp" => PgType::Timestamp,
                // Aggregates and window functions of one value keep its type.
                "min" | "max" | "first_value" | "last_value" | "lag" | "lead" => {
                    let sqlparser::ast::FunctionArguments::List(list) = &f.args else {
                        return None;
                    };
                    match list.args.first()? {
                        sqlparser::ast::FunctionArg::Unnamed(
                            sqlparser::ast::FunctionArgExpr::Expr(arg),
                        ) => return static_type(arg, columns),
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        Expr::Identifier(ident) if ident.quote_style.is_none() => {
            match ident.value.to_ascii_lowercase().as_str() {
                "current_date" => PgType::Date,
                "current_timestamp" => PgType::Timestamptz,
                "localtimestamp" => PgType::Timestamp,
                _ => return None,
            }
        }
        Expr::BinaryOp { left, right, .. }
            if interval_constant(left).is_some() || interval_constant(right).is_some() =>
        {
            PgType::Timestamp
        }
        Expr::BinaryOp {
            left,
            op: B::Minus,
            right,
        } if [left, right].iter().all(|e| {
            matches!(
                static_type(e, columns),
                Some(PgType::Timestamp | PgType::Timestamptz)
            )
        }) =>
        {
            PgType::Interval
        }
        _ => return None,
    };
    matches!(
        t,
        PgType::Date | PgType::Timestamp | PgType::Timestamptz | PgType::Time
    )
    .then_some(t)
}

/// `date ± integer`, `date - date` and `timestamp - timestamp` where the
/// operands' types show in their form; `Ok(None)` otherwise.
fn date_arithmetic(
    left: &mut Expr,
    op: &B,
    right: &mut Expr,
    columns: &ColumnTypes,
) -> Result<Option<Expr>, SqlError> {
    let (mut lt, mut rt) = (static_type(left, columns), static_type(right, columns));
    // A parameter opposite a timestamp is inferred to be one (see `infer`).
    let is_param = |e: &Expr| matches!(e, Expr::Value(v) if matches!(v.value, sqlparser::ast::Value::Placeholder(_)));
    let is_stamp = |t: Option<PgType>| matches!(t, Some(PgType::Timestamp | PgType::Timestamptz));
    if is_stamp(lt) && rt.is_none() && is_param(right) {
        rt = lt;
    } else if is_stamp(rt) && lt.is_none() && is_param(left) {
        lt = rt;
    }
    if lt.is_none() && rt.is_none() {
        return Ok(None);
    }
    let stamp = |t: Option<PgType>| matches!(t, Some(PgType::Timestamp | PgType::Timestamptz));
    let out = match (lt, op, rt) {
        (Some(PgType::Date), B::Plus | B::Minus, None) => {
            let sign = if matches!(op, B::Minus) { "-" } else { "" };
            fill(
                &format!("date(pgrq_arg1, printf('%+d days', {sign}pgrq_arg2))"),
                &[take(left), take(right)],
            )?
        }
        (None, B::Plus, Some(PgType::Date)) => fill(
            "date(pgrq_arg1, printf('%+d days', pgrq_arg2))",
            &[take(right), take(left)],
        )?,
        (Some(PgType::Date), B::Plus, Some(PgType::Time)) => {
            super::time_math::date_plus_time(take(left), take(right))
        }
        (Some(PgType::Time), B::Plus, Some(PgType::Date)) => {
            super::time_math::date_plus_time(take(right), take(left))
        }
        (Some(PgType::Date), B::Minus, Some(PgType::Date)) => fill(
            "CAST(julianday(pgrq_arg1) - julianday(pgrq_arg2) AS INTEGER)",
            &[take(left), take(right)],
        )?,
        (l, B::Minus, r) if stamp(l) && stamp(r) => {
            let micros = |a: &str| {
                format!(
                    "(unixepoch({}) * 1000000 + CAST({} AS INTEGER))",
                    NORM.replace("pgrq_arg1", a),
                    FRAC6.replace("pgrq_arg1", a)
                )
            };
            let diff = format!("({} - {})", micros("pgrq_arg1"), micros("pgrq_arg2"));
            fill(
                &INTERVAL_TEXT.replace("pgrq_micros", &diff),
                &[take(left), take(right)],
            )?
        }
        (Some(PgType::Date), cmp, r) | (r, cmp, Some(PgType::Date))
            if stamp(r) && is_comparison(cmp) =>
        {
            // A date compares with a timestamp as its midnight.
            let midnight = if r == Some(PgType::Timestamptz) {
                "(pgrq_arg1 || ' 00:00:00+00')"
            } else {
                "(pgrq_arg1 || ' 00:00:00')"
            };
            if lt == Some(PgType::Date) {
                *left = fill(midnight, &[take(left)])?;
            } else {
                *right = fill(midnight, &[take(right)])?;
            }
            return Ok(None);
        }
        (Some(PgType::Interval), ..) | (.., Some(PgType::Interval)) => {
            return Err(SqlError::unsupported(format!(
                "operator {op} on interval values computed at run time"
            )));
        }
        (Some(PgType::Time), op, _) | (_, op, Some(PgType::Time)) if *op != B::StringConcat => {
            return Err(SqlError::unsupported("arithmetic on time values"));
        }
        (l, B::Plus | B::Minus, r) if stamp(l) || stamp(r) || l.is_some() && r.is_some() => {
            return Err(SqlError::unsupported(format!(
                "operator {op} between {} and {}",
                l.map_or("a value", |t| t.name()),
                r.map_or("a value", |t| t.name())
            )));
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

fn is_comparison(op: &B) -> bool {
    matches!(op, B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq)
}

/// A number of microseconds printed as PostgreSQL prints the interval a
/// timestamp subtraction gives (`1 day 01:30:00`, `-60 days`, `-02:30:00`).
const INTERVAL_TEXT: &str = "(SELECT CASE WHEN m IS NULL THEN NULL ELSE \
     trim(CASE WHEN m / 86400000000 <> 0 THEN (m / 86400000000) || \
     CASE WHEN abs(m / 86400000000) = 1 THEN ' day' ELSE ' days' END ELSE '' END || \
     CASE WHEN m % 86400000000 <> 0 OR m = 0 THEN ' ' || \
     CASE WHEN m % 86400000000 < 0 THEN '-' ELSE '' END || \
     printf('%02d:%02d:%02d', abs(m % 86400000000) / 3600000000, \
     abs(m % 86400000000) / 60000000 % 60, abs(m % 86400000000) / 1000000 % 60) || \
     CASE WHEN abs(m) % 1000000 <> 0 THEN '.' || rtrim(printf('%06d', abs(m) % 1000000), '0') \
     ELSE '' END ELSE '' END) END FROM (SELECT pgrq_micros AS m))";

/// `ts + iv` keeping the fraction of a second and the offset of `ts`.
fn shift(base: Expr, iv: Interval) -> Result<Expr, SqlError> {
    let Some(mods) = iv.sqlite_modifiers() else {
        return Ok(super::time_math::stamp_plus_fine(base, iv));
    };
    let mut sql = format!("strftime('%Y-%m-%d %H:%M:%S', {NORM}");
    for m in mods {
        sql.push_str(&format!(", '{m}'"));
    }
    sql.push_str(") || substr(pgrq_arg1, 20)");
    fill(&format!("({sql})"), &[base])
}

/// `date_trunc`, `date_part` (float8) and friends; `Ok(None)` for other names.
pub(super) fn function(name: &str, args: &mut [Expr]) -> Result<Option<Expr>, SqlError> {
    match (name, args.len()) {
        ("date_trunc", 2) => {
            let unit = unit_arg(&args[0], name)?;
            Ok(Some(truncate(&unit, take(&mut args[1]))?))
        }
        ("date_part", 2) => {
            let unit = unit_arg(&args[0], name)?;
            Ok(Some(field(&unit, take(&mut args[1]), false)?))
        }
        ("to_char", _) => Ok(Some(super::to_char::to_char(args)?)),
        ("age", _) => Err(SqlError::unsupported("function age() (interval values)")),
        _ => match super::age::function(name, args)? {
            Some(out) => Ok(Some(out)),
            None => super::time_math::function(name, args),
        },
    }
}

/// `EXTRACT(field FROM x)` (numeric, with PostgreSQL's scale for seconds).
pub(super) fn extract(expr: &mut Expr) -> Result<(), SqlError> {
    let Expr::Extract {
        field: f, expr: x, ..
    } = expr
    else {
        return Ok(());
    };
    let unit = match f {
        DateTimeField::Custom(ident) => ident.value.to_ascii_lowercase(),
        other => other.to_string().to_ascii_lowercase(),
    };
    *expr = field(&unit, take(x), true)?;
    Ok(())
}

fn unit_arg(e: &Expr, name: &str) -> Result<String, SqlError> {
    literal_str(e)
        .map(|u| u.trim().to_ascii_lowercase())
        .ok_or_else(|| {
            SqlError::unsupported(format!("{name}() with a field that is not a constant"))
        })
}

fn truncate(unit: &str, ts: Expr) -> Result<Expr, SqlError> {
    let f = |pattern: &str| format!("strftime('{pattern}', {NORM})");
    let body = match unit {
        "microseconds" | "microsecond" => return Ok(ts),
        "milliseconds" | "millisecond" => f("%Y-%m-%d %H:%M:%f"),
        "second" | "seconds" => f("%Y-%m-%d %H:%M:%S"),
        "minute" | "minutes" => f("%Y-%m-%d %H:%M:00"),
        "hour" | "hours" => f("%Y-%m-%d %H:00:00"),
        "day" | "days" => f("%Y-%m-%d 00:00:00"),
        "week" | "weeks" => {
            format!("strftime('%Y-%m-%d 00:00:00', {NORM}, '-6 days', 'weekday 1')")
        }
        "month" | "months" => f("%Y-%m-01 00:00:00"),
        "quarter" => format!(
            "strftime('%Y-', {NORM}) || printf('%02d', \
             (CAST(strftime('%m', {NORM}) AS INTEGER) - 1) / 3 * 3 + 1) || '-01 00:00:00'"
        ),
        "year" | "years" => f("%Y-01-01 00:00:00"),
        other => return Err(SqlError::unsupported(format!("date_trunc('{other}', …)"))),
    };
    fill(&format!("({body} || {SUFFIX})"), &[ts])
}

/// One field of a date or timestamp; `numeric` for EXTRACT's output.
fn field(unit: &str, ts: Expr, numeric: bool) -> Result<Expr, SqlError> {
    let int = |pattern: &str| format!("CAST(strftime('{pattern}', {NORM}) AS INTEGER)");
    let seconds = int("%S");
    let body = match unit {
        "year" | "years" => int("%Y"),
        "month" | "months" => int("%m"),
        "day" | "days" => int("%d"),
        "hour" | "hours" => int("%H"),
        "minute" | "minutes" => int("%M"),
        "dow" => int("%w"),
        "isodow" => int("%u"),
        "doy" => int("%j"),
        "week" => int("%V"),
        "isoyear" => int("%G"),
        "quarter" => format!("(({} + 2) / 3)", int("%m")),
        "decade" => format!("({} / 10)", int("%Y")),
        "century" => format!("(({} + 99) / 100)", int("%Y")),
        "millennium" => format!("(({} + 999) / 1000)", int("%Y")),
        "timezone" | "timezone_hour" | "timezone_minute" => "0".to_string(),
        "microseconds" => format!("({seconds} * 1000000 + CAST({FRAC6} AS INTEGER))"),
        "milliseconds" if numeric => {
            format!("printf('%.3f', ({seconds} * 1000000 + CAST({FRAC6} AS INTEGER)) / 1000.0)")
        }
        "milliseconds" => format!("(({seconds} * 1000000 + CAST({FRAC6} AS INTEGER)) / 1000.0)"),
        "second" | "seconds" if numeric => format!("printf('%d.%s', {seconds}, {FRAC6})"),
        "second" | "seconds" => format!("({seconds} + CAST({FRAC6} AS INTEGER) / 1000000.0)"),
        "epoch" if numeric => format!(
            "(CASE WHEN length(pgrq_arg1) = 10 THEN unixepoch({NORM}) \
             ELSE unixepoch({NORM}) || '.' || {FRAC6} END)"
        ),
        "epoch" => format!("(unixepoch({NORM}) + CAST({FRAC6} AS INTEGER) / 1000000.0)"),
        other => {
            return Err(SqlError::unsupported(format!(
                "EXTRACT/date_part field {other}"
            )));
        }
    };
    fill(
        &format!("(CASE WHEN pgrq_arg1 IS NULL THEN NULL ELSE {body} END)"),
        &[ts],
    )
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn interval_constants_print_like_postgres() {
        assert_eq!(
            sqlite("SELECT INTERVAL '36 hours', '90 min'::interval"),
            "SELECT '36:00:00' AS \"interval\", '01:30:00' AS \"interval\""
        );
    }

    #[test]
    fn timestamp_plus_interval_uses_date_modifiers() {
        let out = sqlite("SELECT ts - INTERVAL '1 month 2 hours' FROM t");
        assert!(
            out.contains("'-1 months', 'floor', '-7200 seconds') || substr(ts, 20)"),
            "{out}"
        );
        let out = sqlite("SELECT * FROM t WHERE ts > now() - interval '7 days'");
        assert!(
            out.contains("strftime('%Y-%m-%d %H:%M:%S', (CASE WHEN length('2026-11-22"),
            "{out}"
        );
        assert_unsupported("SELECT a FROM t WHERE d < INTERVAL '1 day'", "interval");
    }

    #[test]
    fn date_arithmetic_by_form() {
        assert_eq!(
            sqlite("SELECT DATE '2024-02-28' + 1, CURRENT_DATE - 7"),
            "SELECT date(('2024-02-28'), printf('%+d days', 1)) AS \"?column?\", \
             date('2026-11-22', printf('%+d days', -7)) AS \"?column?\""
        );
        assert!(sqlite("SELECT d::date - DATE '2024-01-01' FROM t").contains("julianday"));
        assert!(sqlite("SELECT now() - ts::timestamptz FROM t").contains("' days'"));
        assert_unsupported("SELECT TIME '10:00' + 1", "time");
        let out = sqlite("SELECT ts + interval '1 day' / 0 FROM t");
        assert!(out.contains("pgrq:22012:division by zero"), "{out}");
    }

    #[test]
    fn date_columns_by_declared_type() {
        let schema = schema_from(&["CREATE TABLE o (id int, placed date, at timestamptz)"]);
        let out = sqlite_with("SELECT placed + 7, at - at FROM o", &schema);
        assert!(out.contains("date(placed, printf('%+d days', 7))"), "{out}");
        assert!(out.contains("' days'"), "{out}");
    }

    #[test]
    fn trunc_and_fields() {
        let out = sqlite(
            "SELECT date_trunc('month', ts), extract(year FROM ts), date_part('dow', ts) FROM t",
        );
        assert!(out.contains("strftime('%Y-%m-01 00:00:00'"), "{out}");
        assert!(out.contains("strftime('%Y', "), "{out}");
        assert!(out.contains("strftime('%w', "), "{out}");
        assert_unsupported("SELECT date_trunc(u, ts) FROM t", "not a constant");
        assert_unsupported(
            "SELECT date_trunc('century', ts) FROM t",
            "date_trunc('century'",
        );
    }
}
