//! The text of json (not jsonb) values that PostgreSQL's JSON functions
//! build, and the jsonb functions that return text or a rebuilt document.
//!
//! SQLite's JSON builders print compact text; PostgreSQL's json builders put
//! `", "` between elements (`json_build_array`, `json_agg`), `" : "` after keys
//! (`json_build_object`), `{ "k" : v, … }` (`json_object_agg`). Those
//! functions are built here as text: each element is the JSON text SQLite
//! gives the value (`json_array(v)` without its brackets), except json
//! values (a json column, a `::json` cast, a nested json builder), which
//! PostgreSQL embeds verbatim. Only values these functions produce are
//! re-spaced; stored json text is never touched. jsonb results stay
//! SQLite's (the wire encoder normalises jsonb).
//!
//! `jsonb_pretty` of a constant is computed here, exactly as PostgreSQL
//! prints it (keys sorted and deduplicated as jsonb stores them); of other
//! values it is refused. `jsonb_strip_nulls`/`json_strip_nulls` are SQLite's
//! merge patch onto `{}` (which drops null members recursively), refused
//! (0A000 at run time) when a null member sits inside an array, which a merge
//! patch does not enter.

use sqlparser::ast::{
    DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments,
};

use super::build::{literal_str, raise};
use super::column_types::ColumnTypes;
use super::template::fill;
use super::{call, string};
use crate::sql::{PgType, SqlError};

/// Marks a json argument PostgreSQL embeds verbatim (see [`pre_expr`]).
const VERBATIM: &str = "pgrq_json_verbatim";
/// jsonb equality, placed by `jsonb_ops` on PostgreSQL's tree.
pub(super) const JSONB_EQ: &str = "pgrq_jsonb_eq";

fn builds_json_text(name: &str) -> bool {
    matches!(
        name,
        "json_build_array" | "json_build_object" | "json_agg" | "json_object_agg"
    )
}

/// Before the children are rewritten: the json-typed arguments of the json
/// builders are marked to be embedded verbatim.
pub(super) fn pre_expr(e: &mut Expr, columns: &ColumnTypes) {
    let Expr::Function(f) = e else {
        return;
    };
    if !builds_json_text(&f.name.to_string().to_ascii_lowercase()) {
        return;
    }
    let FunctionArguments::List(list) = &mut f.args else {
        return;
    };
    for arg in &mut list.args {
        if let FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) = arg
            && is_json(x, columns)
        {
            *x = call(VERBATIM, vec![x.clone()]);
        }
    }
}

/// Whether PostgreSQL types `e` as json (not jsonb).
fn is_json(e: &Expr, columns: &ColumnTypes) -> bool {
    match e {
        Expr::Nested(inner) => is_json(inner, columns),
        Expr::Cast { data_type, .. } => is_json_type(data_type),
        Expr::TypedString(ts) => is_json_type(&ts.data_type),
        Expr::Function(f) => builds_json_text(&f.name.to_string().to_ascii_lowercase()),
        other => columns.of(other) == Some(PgType::Json),
    }
}

fn is_json_type(dt: &DataType) -> bool {
    matches!(dt, DataType::JSON)
        || matches!(dt, DataType::Custom(n, _) if n.to_string().eq_ignore_ascii_case("json"))
}

/// The JSON text of one (rewritten) argument.
fn element(e: &Expr) -> Result<Expr, SqlError> {
    if let Some(inner) = verbatim_inner(e) {
        return fill("coalesce(pgrq_arg1, 'null')", std::slice::from_ref(inner));
    }
    fill(
        "substr(json_array(pgrq_arg1), 2, length(json_array(pgrq_arg1)) - 2)",
        std::slice::from_ref(e),
    )
}

fn verbatim_inner(e: &Expr) -> Option<&Expr> {
    let Expr::Function(f) = e else {
        return None;
    };
    if !f.name.to_string().eq_ignore_ascii_case(VERBATIM) {
        return None;
    }
    match &f.args {
        FunctionArguments::List(l) => match l.args.as_slice() {
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(x))] => Some(x),
            _ => None,
        },
        _ => None,
    }
}

/// An object key's JSON text (PostgreSQL: keys are text, never NULL).
fn key(e: &Expr) -> Result<Expr, SqlError> {
    fill(
        "CASE WHEN pgrq_arg1 IS NULL THEN pgrq_arg2 ELSE json_quote(CAST(pgrq_arg1 AS TEXT)) END",
        &[
            e.clone(),
            raise("22004", "null value not allowed for object key"),
        ],
    )
}

/// `a || b || …` over SQL text pieces.
fn concat(pieces: Vec<Expr>) -> Result<Expr, SqlError> {
    let slots: Vec<String> = (1..=pieces.len()).map(|i| format!("pgrq_arg{i}")).collect();
    fill(&format!("({})", slots.join(" || ")), &pieces)
}

/// Functions of this family; `Ok(None)` for other names.
pub(super) fn function(name: &str, args: &mut Vec<Expr>) -> Result<Option<Expr>, SqlError> {
    let out = match (name, args.len()) {
        (VERBATIM, 1) => call(VERBATIM, std::mem::take(args)),
        (JSONB_EQ, 2) => super::json_compare::equal(args[0].clone(), args[1].clone())?,
        ("json_build_array", 0) => string("[]"),
        ("json_build_array", _) => {
            let mut pieces = vec![string("[")];
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    pieces.push(string(", "));
                }
                pieces.push(element(a)?);
            }
            pieces.push(string("]"));
            concat(pieces)?
        }
        ("json_build_object", 0) => string("{}"),
        ("json_build_object", n) if n % 2 == 1 => {
            return Err(SqlError::InvalidParameter {
                message: "argument list must have even number of elements".into(),
            });
        }
        ("json_build_object", _) => {
            let mut pieces = vec![string("{")];
            for (i, pair) in args.chunks(2).enumerate() {
                if i > 0 {
                    pieces.push(string(", "));
                }
                pieces.push(key(&pair[0])?);
                pieces.push(string(" : "));
                pieces.push(element(&pair[1])?);
            }
            pieces.push(string("}"));
            concat(pieces)?
        }
        ("jsonb_pretty", 1) => {
            let text = literal_str(&args[0]).ok_or_else(|| {
                SqlError::unsupported("jsonb_pretty() of a value that is not a constant")
            })?;
            string(&super::json_pretty::pretty(text)?)
        }
        ("jsonb_strip_nulls" | "json_strip_nulls", 1) => fill(
            "CASE WHEN pgrq_arg1 IS NULL THEN NULL WHEN EXISTS (SELECT 1 FROM \
             json_tree(pgrq_arg1) WHERE type = 'null' AND typeof(key) = 'text' \
             AND instr(path, '[') > 0) THEN pgrq_arg2 ELSE json_patch('{}', pgrq_arg1) END",
            &[
                args[0].clone(),
                raise(
                    "0A000",
                    &format!("{name}() of a null member inside an array is not supported"),
                ),
            ],
        )?,
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// json_agg / json_object_agg with PostgreSQL's spacing, keeping ORDER BY,
/// FILTER and OVER; `Ok(None)` for other aggregates.
pub(super) fn aggregate(f: &Function, name: &str) -> Result<Option<Expr>, SqlError> {
    let (open, close, sep) = match name {
        "json_agg" => ("[", "]", ", "),
        "json_object_agg" => ("{ ", " }", ", "),
        _ => return Ok(None),
    };
    let FunctionArguments::List(list) = &f.args else {
        return Err(SqlError::unsupported(format!("{name}() of this shape")));
    };
    if list.duplicate_treatment.is_some() {
        return Err(SqlError::unsupported(format!("{name}(DISTINCT …)")));
    }
    let args: Vec<&Expr> = list
        .args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
            _ => None,
        })
        .collect();
    let item = match (name, args.as_slice()) {
        ("json_agg", [x]) => element(x)?,
        ("json_object_agg", [k, v]) => concat(vec![key(k)?, string(" : "), element(v)?])?,
        _ => {
            return Err(SqlError::UndefinedFunction {
                name: format!("{name} with {} arguments", args.len()),
            });
        }
    };
    let mut agg = f.clone();
    agg.name = sqlparser::ast::ObjectName::from(vec![sqlparser::ast::Ident::new("group_concat")]);
    if let FunctionArguments::List(l) = &mut agg.args {
        l.args = vec![
            FunctionArg::Unnamed(FunctionArgExpr::Expr(item)),
            FunctionArg::Unnamed(FunctionArgExpr::Expr(string(sep))),
        ];
        l.clauses
            .retain(|c| matches!(c, FunctionArgumentClause::OrderBy(_)));
    }
    Ok(Some(concat(vec![
        string(open),
        Expr::Function(agg),
        string(close),
    ])?))
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::*;

    #[test]
    fn json_builders_print_postgresql_spacing() {
        assert_eq!(
            sqlite("SELECT json_build_array('x', 2)"),
            "SELECT ('[' || (SUBSTR(json_array('x'), 2, length(json_array('x')) - 2)) || ', ' || \
             (SUBSTR(json_array(2), 2, length(json_array(2)) - 2)) || ']') AS \"json_build_array\""
        );
        let out = sqlite("SELECT json_build_object('a', json_build_array(1), 'b', '[1, 2]'::json)");
        assert!(out.contains("' : '"), "{out}");
        // Nested json and json casts are embedded verbatim.
        assert!(
            out.contains("coalesce(('[' || (SUBSTR(json_array(1)"),
            "{out}"
        );
        assert!(out.contains("coalesce('[1, 2]', 'null')"), "{out}");
        // jsonb builders stay SQLite's (normalised on output).
        assert!(sqlite("SELECT jsonb_build_array(1, 2)").contains("json_array(1, 2)"));
    }

    #[test]
    fn json_agg_joins_with_comma_space() {
        let out = sqlite("SELECT json_agg(x ORDER BY y) FILTER (WHERE y > 0) FROM t");
        assert!(
            out.contains("'[' || group_concat(SUBSTR(json_array(x), 2, length(json_array(x)) - 2), ', ' ORDER BY y NULLS LAST) FILTER (WHERE y > 0) || ']'"),
            "{out}"
        );
        let out = sqlite("SELECT json_object_agg(k, v) FROM t");
        assert!(out.contains("'{ ' || group_concat("), "{out}");
    }

    #[test]
    fn pretty_and_strip_nulls() {
        assert_eq!(
            sqlite(r#"SELECT jsonb_pretty('{"a":1}')"#),
            "SELECT '{\n    \"a\": 1\n}' AS \"jsonb_pretty\""
        );
        assert_unsupported("SELECT jsonb_pretty(j) FROM t", "jsonb_pretty");
        let out = sqlite(r#"SELECT jsonb_strip_nulls(j) FROM t"#);
        assert!(out.contains("json_patch('{}', j)"), "{out}");
    }
}
