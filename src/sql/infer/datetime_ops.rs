//! The result types of PostgreSQL's date/time operators (`date + interval`
//! is a timestamp, `timestamp - timestamp` an interval, …), for the rows
//! pgrq describes. Only types; the values are `rewrite`'s business.

use sqlparser::ast::BinaryOperator as B;

use crate::sql::PgType as T;

fn number(t: T) -> bool {
    matches!(
        t,
        T::Int2 | T::Int4 | T::Int8 | T::Numeric | T::Float4 | T::Float8
    )
}

fn is_int(t: T) -> bool {
    matches!(t, T::Int2 | T::Int4)
}

/// The type of `l op r` when one side is a date/time type; `None` when
/// PostgreSQL has no such operator or the operands are not date/times.
pub(super) fn binary(op: &B, l: T, r: T) -> Option<T> {
    use T::{Date, Interval, Time, Timestamp, Timestamptz};
    Some(match (l, op, r) {
        (Interval, B::Plus | B::Minus, Interval) => Interval,
        (Interval, B::Multiply | B::Divide, n) if number(n) => Interval,
        (n, B::Multiply, Interval) if number(n) => Interval,
        (Date, B::Plus | B::Minus, Interval) | (Interval, B::Plus, Date) => Timestamp,
        (Date, B::Plus, Time) | (Time, B::Plus, Date) => Timestamp,
        (Time, B::Plus | B::Minus, Interval) | (Interval, B::Plus, Time) => Time,
        (t @ (Timestamp | Timestamptz), B::Plus | B::Minus, Interval) => t,
        (Interval, B::Plus, t @ (Timestamp | Timestamptz)) => t,
        (Timestamp, B::Minus, Timestamp) | (Timestamptz, B::Minus, Timestamptz) => Interval,
        (Date, B::Minus, Date) => T::Int4,
        (Date, B::Plus | B::Minus, n) | (n, B::Plus, Date) if is_int(n) => Date,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_operator_types() {
        assert_eq!(binary(&B::Plus, T::Date, T::Interval), Some(T::Timestamp));
        assert_eq!(
            binary(&B::Multiply, T::Int4, T::Interval),
            Some(T::Interval)
        );
        assert_eq!(binary(&B::Minus, T::Time, T::Interval), Some(T::Time));
        assert_eq!(
            binary(&B::Minus, T::Timestamptz, T::Timestamptz),
            Some(T::Interval)
        );
        assert_eq!(binary(&B::Minus, T::Date, T::Date), Some(T::Int4));
        assert_eq!(binary(&B::Divide, T::Int4, T::Interval), None);
    }
}
