//! `age(a, b)` and `age(a)` (= `age(CURRENT_DATE, a)`) on dates and
//! timestamps: PostgreSQL's symbolic difference (`timestamp_age`): the
//! fields subtracted one by one, negative fields borrowed from the next
//! larger one (a day borrows the length of the month of the later value's
//! … as PostgreSQL does: of `a`'s month when `a < b`, else of `b`'s),
//! printed as PostgreSQL prints an interval (`4 years 2 mons 17 days`).
//! Computed by SQLite from the stored text, so columns work as constants
//! do. The call is recognised before its arguments are rewritten and left
//! as a marker (`pgrq_age(a, b)`) that becomes SQLite text afterwards. Pure.

use sqlparser::ast::Expr;

use super::build::plain_args;
use super::call;
use super::datetime::{FRAC6, NORM};
use super::template::fill;
use crate::sql::SqlError;

const AGE: &str = "pgrq_age";

/// `age(…)` as the marker call, before the arguments are rewritten;
/// `Ok(None)` for other expressions.
pub(super) fn pre_expr(expr: &Expr) -> Result<Option<Expr>, SqlError> {
    let Expr::Function(f) = expr else {
        return Ok(None);
    };
    let Some(name) = f.name.0.last().and_then(|p| p.as_ident()) else {
        return Ok(None);
    };
    if f.name.0.len() > 1 || !name.value.eq_ignore_ascii_case("age") {
        return Ok(None);
    }
    let args = plain_args(f).unwrap_or_default();
    Ok(Some(match args.as_slice() {
        [a, b] => call(AGE, vec![a.clone(), b.clone()]),
        // The statement's CURRENT_DATE, which the rewriter then reads.
        [a] => call(AGE, vec![fill("CURRENT_DATE", &[])?, a.clone()]),
        _ => return Err(SqlError::unsupported("age() with these arguments")),
    }))
}

/// The field `pattern` (strftime) of the text `t`, an integer.
fn part(pattern: &str, t: &str) -> String {
    format!(
        "CAST(strftime('{pattern}', {}) AS INTEGER)",
        NORM.replace("pgrq_arg1", t)
    )
}

/// Days in the month of the text `t`.
fn month_days(t: &str) -> String {
    format!(
        "CAST(strftime('%d', {}, 'start of month', '+1 month', '-1 day') AS INTEGER)",
        NORM.replace("pgrq_arg1", t)
    )
}

fn micros(t: &str) -> String {
    format!(
        "(unixepoch({}) * 1000000 + CAST({} AS INTEGER))",
        NORM.replace("pgrq_arg1", t),
        FRAC6.replace("pgrq_arg1", t)
    )
}

/// An interval of `months`, `days`, `micros` (SQL integer columns) printed
/// as PostgreSQL prints it (IntervalStyle postgres).
pub(super) fn interval_text(months: &str, days: &str, micros: &str) -> String {
    let unit = |n: &str, one: &str, many: &str| {
        format!(
            "CASE WHEN {n} <> 0 THEN ' ' || {n} || CASE WHEN {n} = 1 THEN ' {one}' \
             ELSE ' {many}' END ELSE '' END"
        )
    };
    let years = format!("({months} / 12)");
    let mons = format!("({months} % 12)");
    let m = format!("abs({micros})");
    format!(
        "ltrim({years_part} || {mons_part} || {days_part} || \
         CASE WHEN {micros} <> 0 OR ({months} = 0 AND {days} = 0) THEN ' ' || \
         CASE WHEN {micros} < 0 THEN '-' WHEN {years} < 0 OR {mons} < 0 OR {days} < 0 \
         THEN '+' ELSE '' END || \
         printf('%02d:%02d:%02d', {m} / 3600000000, {m} / 60000000 % 60, {m} / 1000000 % 60) || \
         CASE WHEN {m} % 1000000 <> 0 THEN '.' || rtrim(printf('%06d', {m} % 1000000), '0') \
         ELSE '' END ELSE '' END, ' ')",
        years_part = unit(&years, "year", "years"),
        mons_part = unit(&mons, "mon", "mons"),
        days_part = unit(days, "day", "days"),
    )
}

/// The marker's SQLite text, once its arguments are rewritten; `Ok(None)`
/// for other names.
pub(super) fn function(name: &str, args: &mut [Expr]) -> Result<Option<Expr>, SqlError> {
    let [a, b] = args else {
        return Ok(None);
    };
    if name != AGE {
        return Ok(None);
    }
    let fields = |t: &str, n: u8| {
        format!(
            "{} AS y{n}, {} AS mo{n}, {} AS d{n}, {} AS h{n}, {} AS mi{n}, {} AS s{n}, \
             CAST({} AS INTEGER) AS f{n}, {} AS dim{n}, {} AS at{n}",
            part("%Y", t),
            part("%m", t),
            part("%d", t),
            part("%H", t),
            part("%M", t),
            part("%S", t),
            FRAC6.replace("pgrq_arg1", t),
            month_days(t),
            micros(t)
        )
    };
    // One derived table per step, innermost first.
    let raw = format!(
        "SELECT {}, {} FROM (SELECT pgrq_arg1 AS a, pgrq_arg2 AS b)",
        fields("a", 1),
        fields("b", 2)
    );
    let signed = format!(
        "SELECT CASE WHEN at1 < at2 THEN -1 ELSE 1 END AS sg, \
         CASE WHEN at1 < at2 THEN dim1 ELSE dim2 END AS dim, \
         (y1 - y2) AS dy, (mo1 - mo2) AS dmo, (d1 - d2) AS dd, (h1 - h2) AS dh, \
         (mi1 - mi2) AS dmi, (s1 - s2) AS ds, (f1 - f2) AS df, at1 FROM ({raw})"
    );
    // Fields flipped to the positive side, then borrowed upwards.
    let flipped = "SELECT sg, dim, at1, sg * dy AS dy, sg * dmo AS dmo, sg * dd AS dd, \
                   sg * dh AS dh, sg * dmi AS dmi, sg * ds AS ds, sg * df AS df";
    let l1 = format!(
        "SELECT sg, dim, at1, dy, dmo, dd, dh, dmi, \
         CASE WHEN df < 0 THEN df + 1000000 ELSE df END AS df, \
         ds - (df < 0) AS ds FROM ({flipped} FROM ({signed}))"
    );
    let l2 = format!(
        "SELECT sg, dim, at1, dy, dmo, dd, dh, df, \
         CASE WHEN ds < 0 THEN ds + 60 ELSE ds END AS ds, dmi - (ds < 0) AS dmi FROM ({l1})"
    );
    let l3 = format!(
        "SELECT sg, dim, at1, dy, dmo, dd, df, ds, \
         CASE WHEN dmi < 0 THEN dmi + 60 ELSE dmi END AS dmi, dh - (dmi < 0) AS dh FROM ({l2})"
    );
    let l4 = format!(
        "SELECT sg, dim, at1, dy, dmo, df, ds, dmi, \
         CASE WHEN dh < 0 THEN dh + 24 ELSE dh END AS dh, dd - (dh < 0) AS dd FROM ({l3})"
    );
    let l5 = format!(
        "SELECT sg, at1, dy, df, ds, dmi, dh, \
         CASE WHEN dd < 0 THEN (-dd + dim - 1) / dim ELSE 0 END AS k, dd, dim, dmo FROM ({l4})"
    );
    let l6 =
        format!("SELECT sg, dy, df, ds, dmi, dh, dd + k * dim AS dd, dmo - k AS dmo FROM ({l5})");
    // The years borrowed into months leave the total months as they are.
    let total = format!(
        "SELECT sg * (dy * 12 + dmo) AS months, sg * dd AS days, \
         sg * (((dh * 60 + dmi) * 60 + ds) * 1000000 + df) AS micros FROM ({l6})"
    );
    // A NULL argument gives NULL fields, so NULL months.
    let text = format!(
        "(SELECT CASE WHEN months IS NULL THEN NULL ELSE {} END FROM ({total}))",
        interval_text("months", "days", "micros")
    );
    fill(&text, &[a.clone(), b.clone()]).map(Some)
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn age_is_computed_from_the_fields() {
        let out = sqlite("SELECT age(timestamp '2024-05-17', timestamp '2020-02-29')");
        assert!(
            out.contains("'start of month', '+1 month', '-1 day'"),
            "{out}"
        );
        assert!(out.contains("AS \"age\""), "{out}");
        let out = sqlite("SELECT age(d) FROM t");
        assert!(out.contains("'2026-11-22'"), "{out}");
        assert_unsupported("SELECT age(1, 2, 3)", "age()");
    }
}
