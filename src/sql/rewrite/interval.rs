//! Constant PostgreSQL intervals: reading the input forms (`'1 day 2
//! hours'`, `'01:30:00'`, `'1.5 days'`, `'3 weeks ago'`, `INTERVAL '2'
//! HOUR`), printing PostgreSQL's output form (`1 year 2 mons 3 days
//! 04:05:06`), and the SQLite date modifiers that add one. Pure values; the
//! expressions that use them are built in `datetime`.

use crate::sql::SqlError;

/// A PostgreSQL interval: months, days and microseconds, kept apart as
/// PostgreSQL keeps them (a month is not a fixed number of days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Interval {
    pub months: i64,
    pub days: i64,
    pub micros: i64,
}

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

fn bad(text: &str) -> SqlError {
    SqlError::syntax(format!(
        "invalid input syntax for type interval: \"{text}\""
    ))
}

impl Interval {
    /// Read PostgreSQL's interval input; `unit` is the `INTERVAL '2' HOUR`
    /// qualifier, applying to a bare number.
    pub(crate) fn parse(text: &str, unit: Option<&str>) -> Result<Interval, SqlError> {
        let mut iv = Interval::default();
        let lower = text.trim().to_ascii_lowercase();
        let mut tokens: Vec<&str> = lower.split_whitespace().collect();
        let ago = tokens.last() == Some(&"ago");
        if ago {
            tokens.pop();
        }
        if tokens.is_empty() {
            return Err(bad(text));
        }
        let mut i = 0;
        while i < tokens.len() {
            let tok = tokens[i];
            if tok.contains(':') {
                iv.micros += parse_clock(tok).ok_or_else(|| bad(text))?;
                i += 1;
                continue;
            }
            // A number glued to its unit (`2h`, `10min`) or followed by it.
            let split = tok
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(tok.len());
            let (num, glued) = tok.split_at(split);
            let n: f64 = num.parse().map_err(|_| bad(text))?;
            let unit_word = if !glued.is_empty() {
                glued
            } else if let Some(next) = tokens
                .get(i + 1)
                .filter(|t| t.starts_with(char::is_alphabetic))
            {
                i += 1;
                next
            } else {
                unit.unwrap_or("second")
            };
            iv.add(n, unit_word).ok_or_else(|| bad(text))?;
            i += 1;
        }
        Ok(if ago { iv.negated() } else { iv })
    }

    fn add(&mut self, n: f64, unit: &str) -> Option<()> {
        let u = unit.trim_end_matches(',');
        let (months, days, micros): (f64, f64, f64) = match u {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" => (0.0, 0.0, n),
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => (0.0, 0.0, n * 1e3),
            "second" | "seconds" | "s" | "sec" | "secs" => (0.0, 0.0, n * 1e6),
            "minute" | "minutes" | "m" | "min" | "mins" => (0.0, 0.0, n * 6e7),
            "hour" | "hours" | "h" | "hr" | "hrs" => (0.0, 0.0, n * 3.6e9),
            "day" | "days" | "d" => (0.0, n, 0.0),
            "week" | "weeks" | "w" => (0.0, n * 7.0, 0.0),
            "month" | "months" | "mon" | "mons" => (n, 0.0, 0.0),
            "year" | "years" | "y" | "yr" | "yrs" => (n * 12.0, 0.0, 0.0),
            "decade" | "decades" => (n * 120.0, 0.0, 0.0),
            "century" | "centuries" => (n * 1200.0, 0.0, 0.0),
            "millennium" | "millennia" => (n * 12000.0, 0.0, 0.0),
            _ => return None,
        };
        // Fractions spill into the smaller fields as PostgreSQL does
        // (a month is 30 days there).
        let whole_months = months.trunc();
        let days = days + (months - whole_months) * 30.0;
        let whole_days = days.trunc();
        let micros = micros + (days - whole_days) * MICROS_PER_DAY;
        self.months = self.months.checked_add(whole_months as i64)?;
        self.days = self.days.checked_add(whole_days as i64)?;
        self.micros = self.micros.checked_add(micros.round() as i64)?;
        Some(())
    }

    pub(crate) fn negated(self) -> Interval {
        Interval {
            months: -self.months,
            days: -self.days,
            micros: -self.micros,
        }
    }

    /// PostgreSQL's `justify_hours`, `justify_days` and `justify_interval`
    /// (`name` is one of them): 24 hours as a day, 30 days as a month, signs
    /// made consistent.
    pub(crate) fn justified(self, name: &str) -> Interval {
        const DAY: i64 = 86_400_000_000;
        let Interval {
            mut months,
            mut days,
            mut micros,
        } = self;
        let hours_to_days = |days: &mut i64, micros: &mut i64| {
            *days += *micros / DAY;
            *micros %= DAY;
            if *days > 0 && *micros < 0 {
                *micros += DAY;
                *days -= 1;
            } else if *days < 0 && *micros > 0 {
                *micros -= DAY;
                *days += 1;
            }
        };
        match name {
            "justify_hours" => hours_to_days(&mut days, &mut micros),
            "justify_days" => {
                months += days / 30;
                days %= 30;
                if months > 0 && days < 0 {
                    days += 30;
                    months -= 1;
                } else if months < 0 && days > 0 {
                    days -= 30;
                    months += 1;
                }
            }
            _ => {
                if (days > 0 && micros > 0) || (days < 0 && micros < 0) {
                    days += micros / DAY;
                    micros %= DAY;
                }
                months += days / 30;
                days %= 30;
                if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
                    days += 30;
                    months -= 1;
                } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
                    days -= 30;
                    months += 1;
                }
                hours_to_days(&mut days, &mut micros);
            }
        }
        Interval {
            months,
            days,
            micros,
        }
    }

    /// PostgreSQL's output (IntervalStyle `postgres`).
    pub(crate) fn to_postgres(self) -> String {
        let mut parts = Vec::new();
        let years = self.months / 12;
        let mons = self.months % 12;
        let unit =
            |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        if years != 0 {
            parts.push(unit(years, "year", "years"));
        }
        if mons != 0 {
            parts.push(unit(mons, "mon", "mons"));
        }
        if self.days != 0 {
            parts.push(unit(self.days, "day", "days"));
        }
        let negative_before = years < 0 || mons < 0 || self.days < 0;
        if self.micros != 0 || parts.is_empty() {
            let sign = if self.micros < 0 {
                "-"
            } else if negative_before {
                "+"
            } else {
                ""
            };
            let m = self.micros.unsigned_abs();
            let secs = m / 1_000_000;
            let frac = m % 1_000_000;
            let mut clock = format!(
                "{sign}{:02}:{:02}:{:02}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            );
            if frac != 0 {
                let f = format!("{frac:06}");
                clock.push('.');
                clock.push_str(f.trim_end_matches('0'));
            }
            parts.push(clock);
        }
        parts.join(" ")
    }

    /// SQLite date modifiers adding this interval (`None` when it has a
    /// fraction of a second, which SQLite's text dates cannot carry here).
    pub(crate) fn sqlite_modifiers(self) -> Option<Vec<String>> {
        if self.micros % 1_000_000 != 0 {
            return None;
        }
        let mut mods = Vec::new();
        if self.months != 0 {
            // `floor` clamps to the month's last day, as PostgreSQL does.
            mods.push(format!("{:+} months", self.months));
            mods.push("floor".to_string());
        }
        if self.days != 0 {
            mods.push(format!("{:+} days", self.days));
        }
        if self.micros != 0 {
            mods.push(format!("{:+} seconds", self.micros / 1_000_000));
        }
        Some(mods)
    }
}

/// `[-]HH:MM[:SS[.frac]]` in microseconds.
fn parse_clock(tok: &str) -> Option<i64> {
    let (sign, body) = match tok.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, tok.strip_prefix('+').unwrap_or(tok)),
    };
    let mut fields = body.split(':');
    let h: i64 = fields.next()?.parse().ok()?;
    let m: i64 = fields.next()?.parse().ok()?;
    let s: f64 = match fields.next() {
        Some(s) => s.parse().ok()?,
        None => 0.0,
    };
    if fields.next().is_some() {
        return None;
    }
    Some(sign * ((h * 3600 + m * 60) * 1_000_000 + (s * 1e6).round() as i64))
}

#[cfg(test)]
mod tests {
    use super::Interval;

    fn out(text: &str) -> String {
        Interval::parse(text, None).unwrap().to_postgres()
    }

    #[test]
    fn reads_and_prints_like_postgres() {
        assert_eq!(out("1 day"), "1 day");
        assert_eq!(out("2 days 3 hours"), "2 days 03:00:00");
        assert_eq!(
            out("1 year 2 months 3 days 04:05:06"),
            "1 year 2 mons 3 days 04:05:06"
        );
        assert_eq!(out("90 minutes"), "01:30:00");
        assert_eq!(out("1.5 days"), "1 day 12:00:00");
        assert_eq!(out("-1 day"), "-1 days");
        assert_eq!(out("-1 day 2 hours"), "-1 days +02:00:00");
        assert_eq!(out("3 weeks ago"), "-21 days");
        assert_eq!(out("0 seconds"), "00:00:00");
        assert_eq!(out("1.25 seconds"), "00:00:01.25");
        assert_eq!(out("14 months"), "1 year 2 mons");
        assert_eq!(
            Interval::parse("2", Some("hour")).unwrap().to_postgres(),
            "02:00:00"
        );
        assert!(Interval::parse("soon", None).is_err());
    }

    #[test]
    fn modifiers() {
        let iv = Interval::parse("1 month 2 days 1 hour", None).unwrap();
        assert_eq!(
            iv.negated().sqlite_modifiers().unwrap(),
            vec!["-1 months", "floor", "-2 days", "-3600 seconds"]
        );
        assert!(
            Interval::parse("0.5 seconds", None)
                .unwrap()
                .sqlite_modifiers()
                .is_none()
        );
    }

    #[test]
    fn justify_like_postgres() {
        let j = |name: &str, text: &str| {
            Interval::parse(text, None)
                .unwrap()
                .justified(name)
                .to_postgres()
        };
        assert_eq!(j("justify_hours", "27 hours"), "1 day 03:00:00");
        assert_eq!(j("justify_hours", "1 day -1 hour"), "23:00:00");
        assert_eq!(j("justify_days", "35 days"), "1 mon 5 days");
        assert_eq!(j("justify_days", "1 mon -1 day"), "29 days");
        assert_eq!(j("justify_interval", "1 mon -1 hour"), "29 days 23:00:00");
        assert_eq!(
            j("justify_interval", "-1 mon 50 hours"),
            "-27 days -22:00:00"
        );
    }
}
