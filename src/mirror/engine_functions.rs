//! Stand-ins for the functions the engine's SQLite has and the mirror's bundled SQLite
//! may lack (math functions, percentile aggregates: rqlited is built with
//! `sqlite_math_functions` and `sqlite_percentile`), so that the mirror accepts the
//! translations that call them when it describes a statement. The mirror holds no data:
//! these are never evaluated on real rows, and answer NULL.

use rusqlite::Connection;
use rusqlite::functions::{Aggregate, Context, FunctionFlags};

/// Scalar functions pgrq's translations call on the engine.
const SCALARS: &[&str] = &[
    "sqrt", "exp", "ln", "log10", "pow", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
];

/// Aggregates of two arguments (value, fraction).
const AGGREGATES: &[&str] = &["percentile_cont", "percentile_disc"];

struct Null;

impl Aggregate<(), Option<f64>> for Null {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<()> {
        Ok(())
    }

    fn step(&self, _: &mut Context<'_>, _: &mut ()) -> rusqlite::Result<()> {
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, _: Option<()>) -> rusqlite::Result<Option<f64>> {
        Ok(None)
    }
}

/// Registers the stand-ins whose names `conn` does not know yet.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for name in SCALARS {
        if !exists(conn, name) {
            conn.create_scalar_function(*name, -1, flags, |_| Ok(None::<f64>))?;
        }
    }
    for name in AGGREGATES {
        if !exists(conn, name) {
            conn.create_aggregate_function(*name, 2, flags, Null)?;
        }
    }
    Ok(())
}

fn exists(conn: &Connection, name: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM pragma_function_list WHERE name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .is_ok_and(|n| n > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn translations_calling_engine_functions_prepare() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        super::register(&conn).unwrap();
        conn.prepare("SELECT sqrt(2), pow(2, 0.5), percentile_cont(1, 0.5)")
            .unwrap();
    }
}
