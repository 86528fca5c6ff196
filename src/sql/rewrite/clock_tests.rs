//! Tests for the clock literals (`clock.rs`).

use super::*;

const DAY: i64 = MICROS_PER_DAY;

use crate::sql::calendar::{civil_from_days, days_from_civil};

fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, us: i64) -> i64 {
    days_from_civil(y, mo, d) * DAY + ((h * 60 + mi) * 60 + s) * MICROS_PER_SECOND + us
}

/// 2026-11-22 03:17:34.426123 UTC, the time the unit tests' context holds.
const SAMPLE: i64 = 1_795_317_454_426_123;

#[test]
fn the_epoch() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(literal(Clock::Timestamptz, 0), "1970-01-01 00:00:00+00");
    assert_eq!(literal(Clock::Timestamp, 0), "1970-01-01 00:00:00");
    assert_eq!(literal(Clock::Date, 0), "1970-01-01");
    assert_eq!(literal(Clock::Timetz, 0), "00:00:00+00");
    assert_eq!(literal(Clock::Time, 0), "00:00:00");
}

#[test]
fn year_2000() {
    let micros = 946_684_800_000_000;
    assert_eq!(at(2000, 1, 1, 0, 0, 0, 0), micros);
    assert_eq!(civil_from_days(10_957), (2000, 1, 1));
    assert_eq!(
        literal(Clock::Timestamptz, micros),
        "2000-01-01 00:00:00+00"
    );
    assert_eq!(
        literal(Clock::Timestamptz, micros - 1),
        "1999-12-31 23:59:59.999999+00"
    );
}

#[test]
fn leap_days() {
    let micros = at(2024, 2, 29, 23, 59, 59, 999_999);
    assert_eq!(micros, 1_709_251_199_999_999);
    assert_eq!(literal(Clock::Date, micros), "2024-02-29");
    assert_eq!(
        literal(Clock::Timestamp, micros),
        "2024-02-29 23:59:59.999999"
    );
    assert_eq!(literal(Clock::Date, micros + 1), "2024-03-01");
    assert_eq!(
        literal(Clock::Date, at(2000, 2, 29, 12, 0, 0, 0)),
        "2000-02-29"
    );
    // 1900 and 2100 are not leap years.
    assert_eq!(
        literal(Clock::Date, at(1900, 3, 1, 0, 0, 0, 0) - DAY),
        "1900-02-28"
    );
    assert_eq!(
        literal(Clock::Date, at(2100, 3, 1, 0, 0, 0, 0) - DAY),
        "2100-02-28"
    );
}

#[test]
fn a_time_with_microseconds() {
    assert_eq!(at(2026, 11, 22, 3, 17, 34, 426_123), SAMPLE);
    assert_eq!(
        literal(Clock::Timestamptz, SAMPLE),
        "2026-11-22 03:17:34.426123+00"
    );
    assert_eq!(
        literal(Clock::Timestamp, SAMPLE),
        "2026-11-22 03:17:34.426123"
    );
    assert_eq!(literal(Clock::Date, SAMPLE), "2026-11-22");
    assert_eq!(literal(Clock::Timetz, SAMPLE), "03:17:34.426123+00");
    assert_eq!(literal(Clock::Time, SAMPLE), "03:17:34.426123");
}

#[test]
fn fraction_trailing_zeros_are_trimmed() {
    let second = at(2026, 11, 22, 3, 17, 34, 0);
    let cases = [
        (0, "2026-11-22 03:17:34+00"),
        (500_000, "2026-11-22 03:17:34.5+00"),
        (420_000, "2026-11-22 03:17:34.42+00"),
        (426_100, "2026-11-22 03:17:34.4261+00"),
        (1, "2026-11-22 03:17:34.000001+00"),
        (10, "2026-11-22 03:17:34.00001+00"),
    ];
    for (us, want) in cases {
        assert_eq!(literal(Clock::Timestamptz, second + us), want, "{us}");
    }
}

#[test]
fn before_1970() {
    assert_eq!(
        literal(Clock::Timestamptz, -1),
        "1969-12-31 23:59:59.999999+00"
    );
    assert_eq!(literal(Clock::Timestamp, -500_000), "1969-12-31 23:59:59.5");
    assert_eq!(literal(Clock::Date, -DAY), "1969-12-31");
    assert_eq!(literal(Clock::Date, -DAY - 1), "1969-12-30");
    let micros = at(1900, 1, 1, 12, 30, 0, 250_000);
    assert!(micros < 0);
    assert_eq!(literal(Clock::Timestamp, micros), "1900-01-01 12:30:00.25");
    assert_eq!(
        literal(Clock::Timestamptz, -62_135_596_800_000_000),
        "0001-01-01 00:00:00+00"
    );
    // The day before 1 AD is 1 BC, as PostgreSQL prints it.
    assert_eq!(
        literal(Clock::Timestamptz, -62_135_596_800_000_000 - 1),
        "0001-12-31 23:59:59.999999+00 BC"
    );
    assert_eq!(
        literal(Clock::Date, at(-43, 3, 15, 0, 0, 0, 0)),
        "0044-03-15 BC"
    );
}

#[test]
fn civil_round_trips() {
    let mut days = -800_000;
    while days < 800_000 {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        days += 37;
    }
}

#[test]
fn extreme_instants_do_not_panic() {
    for micros in [i64::MIN, i64::MIN + 1, i64::MAX] {
        for clock in [
            Clock::Timestamptz,
            Clock::Timestamp,
            Clock::Date,
            Clock::Timetz,
            Clock::Time,
        ] {
            assert!(!literal(clock, micros).is_empty());
        }
        assert!(!sqlite_time_value(micros).is_empty());
        let _ = round_micros(micros, 0);
    }
}

#[test]
fn precision_rounds_half_away_from_zero() {
    assert_eq!(round_micros(SAMPLE, 6), SAMPLE);
    assert_eq!(round_micros(SAMPLE, 9), SAMPLE);
    assert_eq!(
        literal(Clock::Timestamptz, round_micros(SAMPLE, 3)),
        "2026-11-22 03:17:34.426+00"
    );
    assert_eq!(
        literal(Clock::Timestamptz, round_micros(SAMPLE, 2)),
        "2026-11-22 03:17:34.43+00"
    );
    assert_eq!(
        literal(Clock::Timestamptz, round_micros(SAMPLE, 0)),
        "2026-11-22 03:17:34+00"
    );
    // Rounding carries into the next day.
    let last = at(2024, 2, 29, 23, 59, 59, 999_500);
    assert_eq!(
        literal(Clock::Timestamptz, round_micros(last, 3)),
        "2024-03-01 00:00:00+00"
    );
    assert_eq!(round_micros(-1_500_000, 0), -2_000_000);
    assert_eq!(round_micros(-1_499_999, 0), -1_000_000);
    assert_eq!(round_micros(1_500_000, 0), 2_000_000);
}

#[test]
fn sqlite_forms() {
    assert_eq!(sqlite_datetime(SAMPLE), "2026-11-22 03:17:34");
    assert_eq!(sqlite_time_of_day(SAMPLE), "03:17:34");
    assert_eq!(sqlite_time_value(SAMPLE), "2026-11-22 03:17:34.426123");
    assert_eq!(sqlite_time_value(0), "1970-01-01 00:00:00");
    // Seconds are truncated, as SQLite does.
    assert_eq!(
        sqlite_datetime(at(2026, 11, 22, 3, 17, 34, 999_999)),
        "2026-11-22 03:17:34"
    );
    assert_eq!(
        sqlite_datetime(at(-43, 3, 15, 0, 0, 0, 0)),
        "-0043-03-15 00:00:00"
    );
}

#[test]
fn translations_that_embed_the_time_say_so() {
    use crate::sql::test_support::{schema_from, tr, tr_with};
    assert!(tr("SELECT now()").uses_clock);
    assert!(tr("SELECT CURRENT_TIME(0)").uses_clock);
    assert!(tr("INSERT INTO t (a) VALUES (CURRENT_DATE)").uses_clock);
    assert!(!tr("SELECT 1").uses_clock);
    assert!(!tr("SELECT a FROM t WHERE b = $1").uses_clock);
    // A stored definition keeps reading the clock when used: nothing is embedded.
    assert!(!tr("CREATE TABLE t (a timestamptz DEFAULT now())").uses_clock);
    let schema = schema_from(&[
        "CREATE TABLE e (id serial PRIMARY KEY, at timestamptz DEFAULT now(), v text)",
    ]);
    assert!(tr_with("INSERT INTO e (v) VALUES ('x')", &schema).uses_clock);
    assert!(!tr_with("INSERT INTO e (v, at) VALUES ('x', '2020-01-01')", &schema).uses_clock);
}
