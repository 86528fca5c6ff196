//! PostgreSQL's catalog functions as SQLite functions of the catalog connection
//! (`format_type`, `pg_get_*def`, `pg_get_expr`, `pg_get_userbyid`, visibility and
//! privilege checks, `quote_ident`, `current_setting`, the `reg*` lookups, arrays kept as
//! PostgreSQL array text, regex matching). They read the [`Lookup`] built with the rows.
//! A failure PostgreSQL reports with its own SQLSTATE is raised as
//! `pgrq:<kind>:<message>` (see `CatalogError`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Result};

use super::arrays;
use super::pgtypes;

/// What the functions need to know about the catalog's objects.
#[derive(Default)]
pub struct Lookup {
    /// relation oid → name (`quote_ident`ed as `::regclass` prints it).
    pub rel_name: HashMap<i64, String>,
    /// lower-cased relation name → oid.
    pub rel_oid: HashMap<String, i64>,
    /// non-built-in type oid → name.
    pub type_name: HashMap<i64, String>,
    /// type name (PostgreSQL's spellings included) → oid.
    pub type_oid: HashMap<String, i64>,
    pub nsp_name: HashMap<i64, String>,
    pub role_name: HashMap<i64, String>,
    /// index oid → (definition, key texts).
    pub index_def: HashMap<i64, (String, Vec<String>)>,
    pub constraint_def: HashMap<i64, String>,
    pub view_def: HashMap<i64, String>,
    /// (table, column) → qualified sequence name of a serial column.
    pub serial_seq: HashMap<(String, String), String>,
    /// Relations outside the search path (information_schema).
    pub hidden_rels: std::collections::HashSet<i64>,
    /// The running session's settings (`current_setting`), set before each query.
    pub settings: Mutex<HashMap<String, String>>,
    /// `set_config(name, value, …)` calls of the running query, in order, for the session
    /// to apply once it has its rows.
    pub set_calls: Mutex<Vec<(String, String)>>,
}

fn err(code: &str, msg: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(format!("pgrq:{code}:{msg}").into())
}

fn int_arg(ctx: &Context<'_>, i: usize) -> Option<i64> {
    match ctx.get_raw(i) {
        ValueRef::Integer(n) => Some(n),
        ValueRef::Real(f) => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn text_arg(ctx: &Context<'_>, i: usize) -> Option<String> {
    match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// `schema.name`, `"Quoted"` or `plain` → the relation/type name to look up.
fn object_name(s: &str) -> String {
    let s = s.trim();
    let last = match s.rsplit_once('.') {
        Some((schema, n)) if !schema.ends_with('"') || n.starts_with('"') => n,
        _ => s,
    };
    if last.starts_with('"') && last.ends_with('"') && last.len() >= 2 {
        last[1..last.len() - 1].replace("\"\"", "\"")
    } else {
        last.to_lowercase()
    }
}

pub fn register(conn: &Connection, lk: Arc<Lookup>) -> Result<()> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let l = lk.clone();
    conn.create_scalar_function("format_type", 2, det, move |ctx| {
        let Some(oid) = int_arg(ctx, 0) else {
            return Ok(None);
        };
        let typmod = int_arg(ctx, 1).map(|m| m as i32);
        Ok(format_type(&l, oid, typmod))
    })?;
    let l = lk.clone();
    // The argument is an OID column, or (a computed `'"s"."t"'::regtype`) a type's name.
    conn.create_scalar_function("pgrq_regtype_name", 1, det, move |ctx| {
        let oid = match int_arg(ctx, 0) {
            Some(oid) => Some(oid),
            None => regtype_oid(&l, ctx, true)?,
        };
        Ok(oid.map(|oid| format_type(&l, oid, None).unwrap_or(oid.to_string())))
    })?;
    let l = lk.clone();
    conn.create_scalar_function("pgrq_regtype_oid", 1, det, move |ctx| {
        regtype_oid(&l, ctx, true)
    })?;
    let l = lk.clone();
    conn.create_scalar_function("to_regtype", 1, det, move |ctx| regtype_oid(&l, ctx, false))?;
    let l = lk.clone();
    conn.create_scalar_function("pgrq_regclass_name", 1, det, move |ctx| {
        let oid = match int_arg(ctx, 0) {
            Some(oid) => Some(oid),
            None => regclass_oid(&l, ctx, true)?,
        };
        Ok(oid.map(|oid| l.rel_name.get(&oid).cloned().unwrap_or(oid.to_string())))
    })?;
    let l = lk.clone();
    conn.create_scalar_function("pgrq_regclass_oid", 1, det, move |ctx| {
        regclass_oid(&l, ctx, true)
    })?;
    let l = lk.clone();
    conn.create_scalar_function("to_regclass", 1, det, move |ctx| {
        regclass_oid(&l, ctx, false)
    })?;
    let l = lk.clone();
    conn.create_scalar_function("pgrq_regnamespace_name", 1, det, move |ctx| {
        Ok(int_arg(ctx, 0).map(|oid| l.nsp_name.get(&oid).cloned().unwrap_or(oid.to_string())))
    })?;
    let l = lk.clone();
    conn.create_scalar_function("pgrq_regnamespace_oid", 1, det, move |ctx| {
        by_name(ctx, &l.nsp_name, "schema", "invalid_schema_name")
    })?;
    let l = lk.clone();
    conn.create_scalar_function("pgrq_regrole_name", 1, det, move |ctx| {
        Ok(int_arg(ctx, 0).map(|oid| l.role_name.get(&oid).cloned().unwrap_or(oid.to_string())))
    })?;
    let l = lk.clone();
    conn.create_scalar_function("pgrq_regrole_oid", 1, det, move |ctx| {
        by_name(ctx, &l.role_name, "role", "undefined_object")
    })?;
    let l = lk.clone();
    conn.create_scalar_function("pg_get_userbyid", 1, det, move |ctx| {
        Ok(int_arg(ctx, 0).map(|oid| {
            l.role_name
                .get(&oid)
                .cloned()
                .unwrap_or(format!("unknown (OID={oid})"))
        }))
    })?;
    for n in [2, 3] {
        conn.create_scalar_function("pg_get_expr", n, det, |ctx| Ok(text_arg(ctx, 0)))?;
    }
    for n in [1, 2] {
        let l = lk.clone();
        conn.create_scalar_function("pg_get_constraintdef", n, det, move |ctx| {
            Ok(int_arg(ctx, 0).and_then(|oid| l.constraint_def.get(&oid).cloned()))
        })?;
        let l = lk.clone();
        conn.create_scalar_function("pg_get_viewdef", n, det, move |ctx| {
            let oid = int_arg(ctx, 0).or_else(|| {
                let name = object_name(&text_arg(ctx, 0)?);
                l.rel_oid.get(&name).copied()
            });
            Ok(oid.and_then(|o| l.view_def.get(&o).cloned()))
        })?;
    }
    for n in [1, 3] {
        let l = lk.clone();
        conn.create_scalar_function("pg_get_indexdef", n, det, move |ctx| {
            let Some((def, keys)) = int_arg(ctx, 0).and_then(|o| l.index_def.get(&o)) else {
                return Ok(None);
            };
            let col = if n == 3 {
                int_arg(ctx, 1).unwrap_or(0)
            } else {
                0
            };
            Ok(match col {
                0 => Some(def.clone()),
                c => usize::try_from(c - 1)
                    .ok()
                    .and_then(|i| keys.get(i).cloned()),
            })
        })?;
    }
    let l = lk.clone();
    conn.create_scalar_function("pg_get_serial_sequence", 2, det, move |ctx| {
        let (Some(t), Some(c)) = (text_arg(ctx, 0), text_arg(ctx, 1)) else {
            return Ok(None);
        };
        Ok(l.serial_seq.get(&(object_name(&t), c)).cloned())
    })?;
    let l = lk.clone();
    conn.create_scalar_function("current_setting", -1, det, move |ctx| {
        let name = text_arg(ctx, 0).unwrap_or_default().to_lowercase();
        let missing_ok = ctx.len() > 1 && int_arg(ctx, 1).unwrap_or(0) != 0;
        let settings = l
            .settings
            .lock()
            .map_err(|e| err("internal", format!("settings unavailable: {e}")))?;
        match settings.get(&name) {
            Some(v) => Ok(Some(v.clone())),
            None if missing_ok => Ok(None),
            None => Err(err(
                "undefined_object",
                format!("unrecognized configuration parameter \"{name}\""),
            )),
        }
    })?;
    // set_config(name, value, is_local) returns the value and changes the setting as SET
    // (or SET LOCAL) would: this query already reads it, the session applies it after.
    let l = lk.clone();
    conn.create_scalar_function("set_config", 3, FunctionFlags::SQLITE_UTF8, move |ctx| {
        let Some(name) = text_arg(ctx, 0).map(|n| n.to_lowercase()) else {
            return Err(err("null_value_not_allowed", "SET requires parameter name"));
        };
        let value = text_arg(ctx, 1).unwrap_or_default();
        let poisoned = |e: String| err("internal", format!("settings unavailable: {e}"));
        l.settings
            .lock()
            .map_err(|e| poisoned(e.to_string()))?
            .insert(name.clone(), value.clone());
        l.set_calls
            .lock()
            .map_err(|e| poisoned(e.to_string()))?
            .push((name, value.clone()));
        Ok(Some(value))
    })?;
    // The search path is public and pg_catalog: only information_schema is not on it.
    let l = lk.clone();
    conn.create_scalar_function("pg_table_is_visible", 1, det, move |ctx| {
        Ok(int_arg(ctx, 0).map(|o| !l.hidden_rels.contains(&o)))
    })?;
    // Every other kind of object lives in public or pg_catalog, both on the search path.
    for name in [
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_collation_is_visible",
        "pg_conversion_is_visible",
        "pg_opclass_is_visible",
        "pg_operator_is_visible",
        "pg_opfamily_is_visible",
        "pg_statistics_obj_is_visible",
        "pg_ts_config_is_visible",
        "pg_ts_dict_is_visible",
        "pg_ts_parser_is_visible",
        "pg_ts_template_is_visible",
    ] {
        conn.create_scalar_function(name, 1, det, |_| Ok(1))?;
    }
    // The connected user owns every object of its database.
    for name in [
        "has_table_privilege",
        "has_schema_privilege",
        "has_database_privilege",
        "has_column_privilege",
        "has_sequence_privilege",
        "has_function_privilege",
        "has_type_privilege",
    ] {
        conn.create_scalar_function(name, -1, det, |_| Ok(1))?;
    }
    // pgrq keeps no comments (COMMENT ON is not supported): descriptions are absent; nor
    // rules, triggers, statistics objects, partitions or user functions.
    for (name, n) in [
        ("obj_description", 1),
        ("obj_description", 2),
        ("col_description", 2),
        ("shobj_description", 2),
        ("pg_get_statisticsobjdef_columns", 1),
        ("pg_get_triggerdef", 2),
        ("pg_get_function_result", 1),
        ("pg_get_function_arguments", 1),
        ("pg_get_function_identity_arguments", 1),
        ("pg_get_partkeydef", 1),
        ("pg_get_ruledef", 1),
        ("pg_get_ruledef", 2),
    ] {
        conn.create_scalar_function(name, n, det, |_| Ok(None::<String>))?;
    }
    // Sizes are the engine's (rqlite) and not known here.
    for name in [
        "pg_table_size",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_indexes_size",
    ] {
        conn.create_scalar_function(name, -1, det, |_| Ok(None::<i64>))?;
    }
    conn.create_scalar_function("pg_relation_is_publishable", 1, det, |_| Ok(0))?;
    // The built-in tablespaces live in the data directory: PostgreSQL shows "".
    conn.create_scalar_function("pg_tablespace_location", 1, det, |_| Ok(""))?;
    conn.create_scalar_function("pg_partition_ancestors", 1, det, |ctx| Ok(int_arg(ctx, 0)))?;
    conn.create_scalar_function("pg_encoding_to_char", 1, det, |ctx| {
        Ok(match int_arg(ctx, 0) {
            Some(6) => "UTF8",
            Some(0) => "SQL_ASCII",
            _ => "",
        })
    })?;
    conn.create_scalar_function("pg_size_pretty", 1, det, |ctx| {
        Ok(int_arg(ctx, 0).map(size_pretty))
    })?;
    conn.create_scalar_function("quote_ident", 1, det, |ctx| {
        Ok(text_arg(ctx, 0).map(|s| super::model::quote_ident(&s)))
    })?;
    conn.create_scalar_function("quote_literal", 1, det, |ctx| {
        Ok(text_arg(ctx, 0).map(|s| quote_literal(&s)))
    })?;
    conn.create_scalar_function("quote_nullable", 1, det, |ctx| {
        Ok(text_arg(ctx, 0).map_or_else(|| "NULL".to_string(), |s| quote_literal(&s)))
    })?;
    conn.create_scalar_function("current_schemas", 1, det, |ctx| {
        Ok(if int_arg(ctx, 0).unwrap_or(0) != 0 {
            "{pg_catalog,public}"
        } else {
            "{public}"
        })
    })?;
    conn.create_scalar_function("pgrq_bool", 1, det, |ctx| {
        Ok(text_arg(ctx, 0).map(|s| {
            matches!(
                s.trim().to_lowercase().as_str(),
                "t" | "true" | "1" | "yes" | "y" | "on"
            )
        }))
    })?;
    let cache: Mutex<HashMap<(String, bool), regex_lite::Regex>> = Mutex::new(HashMap::new());
    conn.create_scalar_function("pgrq_regex", 3, det, move |ctx| {
        let (Some(s), Some(p)) = (text_arg(ctx, 0), text_arg(ctx, 1)) else {
            return Ok(None);
        };
        let ci = text_arg(ctx, 2).is_some_and(|f| f.contains('i'));
        let mut cache = cache
            .lock()
            .map_err(|e| err("internal", format!("regex cache unavailable: {e}")))?;
        let key = (p.clone(), ci);
        if !cache.contains_key(&key) {
            let re = regex_lite::RegexBuilder::new(&p)
                .case_insensitive(ci)
                .build()
                .map_err(|e| {
                    err(
                        "invalid_regular_expression",
                        format!("invalid regular expression: {e}"),
                    )
                })?;
            cache.insert(key.clone(), re);
        }
        Ok(cache.get(&key).map(|re| re.is_match(&s)))
    })?;
    arrays::register(conn)?;
    let flags = FunctionFlags::SQLITE_UTF8;
    conn.create_aggregate_function("pgrq_array_agg", 1, flags, ArrayAgg { empty: false })?;
    conn.create_aggregate_function("pgrq_array_sub", 1, flags, ArrayAgg { empty: true })?;
    Ok(())
}

fn format_type(l: &Lookup, oid: i64, typmod: Option<i32>) -> Option<String> {
    let o = u32::try_from(oid).ok()?;
    pgtypes::format_builtin(o, typmod).or_else(|| l.type_name.get(&oid).cloned())
}

fn regtype_oid(l: &Lookup, ctx: &Context<'_>, strict: bool) -> Result<Option<i64>> {
    if let ValueRef::Integer(n) = ctx.get_raw(0) {
        return Ok(Some(n));
    }
    let Some(s) = text_arg(ctx, 0) else {
        return Ok(None);
    };
    if let Ok(n) = s.trim().parse() {
        return Ok(Some(n));
    }
    let key = s.trim().to_lowercase().replace("pg_catalog.", "");
    match l
        .type_oid
        .get(&key)
        .or_else(|| l.type_oid.get(&object_name(&s)))
    {
        Some(o) => Ok(Some(*o)),
        None if strict => Err(err(
            "undefined_object",
            format!("type \"{s}\" does not exist"),
        )),
        None => Ok(None),
    }
}

fn regclass_oid(l: &Lookup, ctx: &Context<'_>, strict: bool) -> Result<Option<i64>> {
    if let ValueRef::Integer(n) = ctx.get_raw(0) {
        return Ok(Some(n));
    }
    let Some(s) = text_arg(ctx, 0) else {
        return Ok(None);
    };
    if let Ok(n) = s.trim().parse() {
        return Ok(Some(n));
    }
    match l.rel_oid.get(&object_name(&s)) {
        Some(o) => Ok(Some(*o)),
        None if strict => Err(err(
            "undefined_table",
            format!("relation \"{s}\" does not exist"),
        )),
        None => Ok(None),
    }
}

fn by_name(
    ctx: &Context<'_>,
    names: &HashMap<i64, String>,
    what: &str,
    code: &str,
) -> Result<Option<i64>> {
    if let ValueRef::Integer(n) = ctx.get_raw(0) {
        return Ok(Some(n));
    }
    let Some(s) = text_arg(ctx, 0) else {
        return Ok(None);
    };
    let want = object_name(&s);
    match names.iter().find(|(_, n)| **n == want) {
        Some((o, _)) => Ok(Some(*o)),
        None => Err(err(code, format!("{what} \"{s}\" does not exist"))),
    }
}

/// PostgreSQL's `quote_literal(text)`: quotes doubled; a backslash makes it an
/// escape string (`E'…'`) with the backslashes doubled.
fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// PostgreSQL's `pg_size_pretty(bigint)`.
fn size_pretty(n: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut size = n;
    let mut unit = 0;
    // Switch units when the value reaches 10240 of the current one (rounding half up).
    while size.abs() >= 10 * 1024 && unit + 1 < units.len() {
        size = (size + 512) / 1024;
        unit += 1;
    }
    format!("{size} {}", units[unit])
}

/// `array_agg` into PostgreSQL array text; `empty`: no rows give `{}` (as
/// `ARRAY(subquery)` does) instead of NULL (as `array_agg` does).
struct ArrayAgg {
    empty: bool,
}

impl Aggregate<Vec<Value>, Option<String>> for ArrayAgg {
    fn init(&self, _: &mut Context<'_>) -> Result<Vec<Value>> {
        Ok(Vec::new())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<Value>) -> Result<()> {
        acc.push(ctx.get::<Value>(0)?);
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Vec<Value>>) -> Result<Option<String>> {
        match acc {
            Some(v) if !v.is_empty() => Ok(Some(arrays::format(&v))),
            _ if self.empty => Ok(Some("{}".into())),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::quote_literal;

    #[test]
    fn quote_literal_like_postgres() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(""), "''");
        assert_eq!(quote_literal(r"a\b'"), r"E'a\\b'''");
    }
}
