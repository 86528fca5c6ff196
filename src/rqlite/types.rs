//! Values, statements, read levels and results, plus the JSON request body.

use std::fmt;
use std::str::FromStr;

use serde_json::Value as Json;

use super::RqliteError;

/// One SQLite value, as sent as a parameter or decoded from a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// Sent as JSON `true`/`false` (SQLite stores 1/0); rqlite returns it for
    /// columns declared `boolean`.
    Bool(bool),
}

/// One SQL statement with positional (`?`) parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Stmt {
    /// A statement without parameters.
    pub fn new(sql: impl Into<String>) -> Self {
        Stmt {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// A statement with positional parameters.
    pub fn with_params(sql: impl Into<String>, params: Vec<Value>) -> Self {
        Stmt {
            sql: sql.into(),
            params,
        }
    }
}

/// rqlite read consistency level (`level=` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Local read on whichever node answers; may be stale.
    None,
    /// rqlite's default: the leader reads locally (tiny staleness window
    /// around leader changes).
    #[default]
    Weak,
    /// Raft read-index read on the leader; linearizable.
    Linearizable,
    /// The read goes through the Raft log (slow; rqlite advises against it).
    Strong,
}

impl Level {
    /// The lower-case name rqlite uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Weak => "weak",
            Level::Linearizable => "linearizable",
            Level::Strong => "strong",
        }
    }

    /// The query-string fragment, e.g. `level=weak`.
    pub fn as_query(self) -> String {
        format!("level={}", self.as_str())
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = RqliteError;

    /// Case-insensitive, surrounding whitespace ignored (for a session GUC).
    /// rqlite itself would treat an unknown level as `weak`; we refuse it so
    /// that a typo is not silently a weaker guarantee than intended.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Level::None),
            "weak" => Ok(Level::Weak),
            "linearizable" => Ok(Level::Linearizable),
            "strong" => Ok(Level::Strong),
            _ => Err(RqliteError::UnknownLevel(s.to_string())),
        }
    }
}

/// Rows returned by a query or by a statement with `RETURNING`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    /// Lower-cased declared types (`""` when rqlite reported none). For
    /// expression columns rqlite derives it from the first row's value.
    pub types: Vec<String>,
    pub values: Vec<Vec<Value>>,
}

/// Success of one statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StmtOk {
    /// rqlite omits this when 0, and does not report it at all for results
    /// that carry rows (queries, `RETURNING`): use `rows.values.len()` there.
    pub rows_affected: u64,
    /// `None` when rqlite omitted it (it omits 0).
    pub last_insert_id: Option<i64>,
    /// `Some` for queries and `RETURNING` results (possibly with no rows).
    pub rows: Option<Rows>,
}

/// Outcome of one statement: `Err` carries SQLite's error text verbatim.
pub type StmtResult = Result<StmtOk, String>;

/// Turns a batch of statement results into all-successes, or the first
/// statement error as [`RqliteError::Statement`] (message verbatim).
pub fn into_ok(results: Vec<StmtResult>) -> Result<Vec<StmtOk>, RqliteError> {
    results
        .into_iter()
        .enumerate()
        .map(|(index, r)| r.map_err(|message| RqliteError::Statement { index, message }))
        .collect()
}

/// Builds the JSON request body: every statement in positional array form
/// `["SQL", p1, ...]`, even without parameters, so forms are never mixed.
pub(crate) fn encode_body(stmts: &[Stmt]) -> Result<Vec<u8>, RqliteError> {
    let mut out = Vec::with_capacity(stmts.len());
    for (si, stmt) in stmts.iter().enumerate() {
        let mut item = Vec::with_capacity(stmt.params.len() + 1);
        item.push(Json::String(stmt.sql.clone()));
        for (pi, p) in stmt.params.iter().enumerate() {
            let j = encode_param(p).map_err(|reason| RqliteError::InvalidParam {
                stmt: si,
                param: pi + 1,
                reason,
            })?;
            item.push(j);
        }
        out.push(Json::Array(item));
    }
    serde_json::to_vec(&Json::Array(out)).map_err(|e| RqliteError::InvalidParam {
        stmt: 0,
        param: 0,
        reason: format!("could not serialise the request: {e}"),
    })
}

fn encode_param(v: &Value) -> Result<Json, String> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Integer(i) => Json::from(*i),
        Value::Real(f) => match serde_json::Number::from_f64(*f) {
            // serde_json prints 1.0 as "1.0", which rqlite parses as float64.
            Some(n) => Json::Number(n),
            None => {
                return Err(format!(
                    "{f} cannot be sent to rqlite (JSON has no NaN/Infinity)"
                ));
            }
        },
        Value::Text(s) => {
            if looks_like_hex_blob(s) {
                return Err(format!(
                    "text {s:?} looks like a SQLite blob literal; rqlite would store it \
                     as a BLOB instead of text, so it is refused"
                ));
            }
            Json::String(s.clone())
        }
        Value::Blob(b) => Json::Array(b.iter().map(|&x| Json::from(x)).collect()),
        Value::Bool(b) => Json::Bool(*b),
    })
}

/// rqlite binds any string parameter that parses as `x'hex'` (after trimming
/// whitespace, even length, valid hex digits) as a BLOB (`db.ParseHex`).
pub(crate) fn looks_like_hex_blob(s: &str) -> bool {
    let t = s.trim();
    let b = t.as_bytes();
    if b.len() < 3 || !(b[0] == b'x' || b[0] == b'X') {
        return false;
    }
    let rest = &b[1..];
    if rest.len() < 2 || rest[0] != b'\'' || rest[rest.len() - 1] != b'\'' {
        return false;
    }
    let hex = &rest[1..rest.len() - 1];
    hex.len().is_multiple_of(2) && hex.iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(stmts: &[Stmt]) -> String {
        String::from_utf8(encode_body(stmts).unwrap()).unwrap()
    }

    #[test]
    fn statements_are_always_positional_arrays() {
        let s = body(&[
            Stmt::new("CREATE TABLE t (a)"),
            Stmt::with_params(
                "INSERT INTO t VALUES (?, ?)",
                vec![Value::Integer(1), Value::Null],
            ),
        ]);
        assert_eq!(
            s,
            r#"[["CREATE TABLE t (a)"],["INSERT INTO t VALUES (?, ?)",1,null]]"#
        );
    }

    #[test]
    fn params_keep_their_json_types() {
        let s = body(&[Stmt::with_params(
            "x",
            vec![
                Value::Integer(i64::MAX),
                Value::Integer(i64::MIN),
                Value::Real(1.0),
                Value::Real(-2.5),
                Value::Text("fiona".into()),
                Value::Blob(vec![0, 1, 255]),
                Value::Blob(vec![]),
                Value::Bool(true),
                Value::Bool(false),
            ],
        )]);
        assert_eq!(
            s,
            r#"[["x",9223372036854775807,-9223372036854775808,1.0,-2.5,"fiona",[0,1,255],[],true,false]]"#
        );
    }

    #[test]
    fn non_finite_reals_are_refused() {
        let err = encode_body(&[Stmt::with_params(
            "x",
            vec![Value::Null, Value::Real(f64::NAN)],
        )])
        .unwrap_err();
        match err {
            RqliteError::InvalidParam { stmt, param, .. } => assert_eq!((stmt, param), (0, 2)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn hex_lookalike_text_is_refused() {
        assert!(looks_like_hex_blob("x'41'"));
        assert!(looks_like_hex_blob(" X'53514C697465' "));
        assert!(looks_like_hex_blob("x''"));
        assert!(!looks_like_hex_blob("x'4'"));
        assert!(!looks_like_hex_blob("x'zz'"));
        assert!(!looks_like_hex_blob("xylophone"));
        assert!(!looks_like_hex_blob("'41'"));
        let err = encode_body(&[Stmt::with_params("x", vec![Value::Text("x'00'".into())])]);
        assert!(matches!(
            err,
            Err(RqliteError::InvalidParam { param: 1, .. })
        ));
    }

    #[test]
    fn level_parsing_and_query() {
        assert_eq!(
            "Linearizable".parse::<Level>().unwrap(),
            Level::Linearizable
        );
        assert_eq!(" none ".parse::<Level>().unwrap(), Level::None);
        assert_eq!("STRONG".parse::<Level>().unwrap(), Level::Strong);
        assert_eq!(Level::default(), Level::Weak);
        assert_eq!(Level::Weak.as_query(), "level=weak");
        assert!(matches!(
            "auto".parse::<Level>(),
            Err(RqliteError::UnknownLevel(_))
        ));
    }

    #[test]
    fn into_ok_reports_first_statement_error_verbatim() {
        let results = vec![Ok(StmtOk::default()), Err("no such table: foo".to_string())];
        match into_ok(results) {
            Err(RqliteError::Statement { index, message }) => {
                assert_eq!(index, 1);
                assert_eq!(message, "no such table: foo");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
