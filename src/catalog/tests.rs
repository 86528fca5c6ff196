//! Catalog queries end to end without an engine: PostgreSQL DDL → pgrq's SQLite DDL →
//! schema mirror → catalog → the queries psql 15 and drivers really send (captured from a
//! real PostgreSQL 15 with `psql -E`, in tests/fixtures/psql15) → rows.

use crate::mirror::Mirror;
use crate::session::Value;
use crate::sql::{self, Context, PgType, StatementKind};

const SCHEMA: &[&str] = &[
    "CREATE TABLE authors (id bigserial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE, \
     born date, rating numeric(10,2) DEFAULT 0)",
    "CREATE TABLE books (id serial PRIMARY KEY, author_id bigint NOT NULL REFERENCES \
     authors(id), title text NOT NULL, published timestamptz DEFAULT now(), \
     pages int CHECK (pages > 0))",
    "CREATE INDEX books_title_idx ON books (title)",
    "CREATE VIEW long_books AS SELECT id, title FROM books WHERE pages > 300",
];

pub(super) fn ctx() -> Context {
    Context {
        database: "demo_app".into(),
        user: "alice".into(),
        schema: "public".into(),
        version: "PostgreSQL 15.0".into(),
        now_micros: 0,
    }
}

/// The mirror of `SCHEMA`, and the SQLite DDL it holds.
pub(super) fn mirror_and_ddl() -> (Mirror, Vec<String>) {
    let m = Mirror::new().unwrap();
    let mut ddl = Vec::new();
    for stmt in SCHEMA {
        let t = sql::translate_with(stmt, &ctx(), &m).unwrap().remove(0);
        ddl.push(t.sqlite.unwrap());
        m.load(&ddl).unwrap();
    }
    (m, ddl)
}

pub(super) fn mirror() -> Mirror {
    mirror_and_ddl().0
}

pub(super) struct Result {
    pub names: Vec<String>,
    pub types: Vec<PgType>,
    pub rows: Vec<Vec<String>>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Int(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
    }
}

pub(super) fn run_with(m: &Mirror, query: &str, params: &[Value]) -> Result {
    run_on(m, &m.catalog("demo_app", "alice").unwrap(), query, params)
}

pub(super) fn run_on(
    m: &Mirror,
    cat: &crate::catalog::Catalog,
    query: &str,
    params: &[Value],
) -> Result {
    let t = sql::translate_with(query, &ctx(), m)
        .unwrap_or_else(|e| panic!("translate failed: {e}\n{query}"))
        .remove(0);
    assert_eq!(t.kind, StatementKind::Catalog, "{query}");
    let sqlite = t.sqlite.clone().unwrap();
    let (cols, rows) = cat
        .query(&sqlite, params, &[("DateStyle".into(), "ISO, MDY".into())])
        .unwrap_or_else(|e| panic!("catalog query failed: {e}\n{sqlite}"));
    let types: Vec<PgType> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if c.decl_type.is_empty() {
                t.column_types
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or(PgType::Text)
            } else {
                sql::catalog::defs::wire_type(&c.decl_type)
            }
        })
        .collect();
    let rows = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&types)
                .map(|(v, ty)| match (v, *ty) {
                    (Value::Int(i), PgType::Bool) => if *i != 0 { "t" } else { "f" }.to_string(),
                    _ => text(v),
                })
                .collect()
        })
        .collect();
    Result {
        names: cols.into_iter().map(|c| c.name).collect(),
        types,
        rows,
    }
}

pub(super) fn run(m: &Mirror, query: &str) -> Result {
    run_with(m, query, &[])
}

/// The queries of a psql fixture, with `{oid}` replaced.
pub(super) fn fixture(name: &str, oid: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/fixtures/psql15/{name}.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    text.split("\n-- next\n")
        .map(|q| {
            q.lines()
                .filter(|l| !l.starts_with("-- psql"))
                .collect::<Vec<_>>()
                .join("\n")
                .replace("{oid}", oid)
        })
        .collect()
}

pub(super) fn col(r: &Result, row: usize, name_or_index: usize) -> &str {
    &r.rows[row][name_or_index]
}

#[test]
fn psql_list_relations() {
    let m = mirror();
    let r = run(&m, &fixture("d", "")[0]);
    assert_eq!(r.names, ["Schema", "Name", "Type", "Owner"]);
    let listed: Vec<(String, String)> = r
        .rows
        .iter()
        .map(|x| (x[1].clone(), x[2].clone()))
        .collect();
    let want = [
        ("authors", "table"),
        ("authors_id_seq", "sequence"),
        ("books", "table"),
        ("books_id_seq", "sequence"),
        ("long_books", "view"),
    ];
    assert_eq!(
        listed,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    assert!(r.rows.iter().all(|x| x[0] == "public" && x[3] == "alice"));
    for (name, n) in [
        ("dt", 2),
        ("dv", 1),
        ("ds", 2),
        ("di", 4),
        ("dtplus", 2),
        ("dn", 1),
    ] {
        let r = run(&m, &fixture(name, "")[0]);
        assert_eq!(r.rows.len(), n, "{name}: {:?}", r.rows);
    }
    let di = run(&m, &fixture("di", "")[0]);
    let idx: Vec<(&str, &str)> = di
        .rows
        .iter()
        .map(|x| (x[1].as_str(), x[4].as_str()))
        .collect();
    assert_eq!(
        idx,
        [
            ("authors_name_key", "authors"),
            ("authors_pkey", "authors"),
            ("books_pkey", "books"),
            ("books_title_idx", "books"),
        ]
    );
}

/// Runs a `\d name` fixture: the lookup query, then the rest with the OID it found.
fn describe(m: &Mirror, fixture_name: &str, relname: &str) -> Vec<Result> {
    let lookup = &fixture(fixture_name, "")[0];
    let r = run(m, lookup);
    assert_eq!(r.rows.len(), 1, "{relname}: {:?}", r.rows);
    assert_eq!(r.rows[0][2], relname);
    assert_eq!(r.types[0], PgType::Oid);
    let oid = r.rows[0][0].clone();
    fixture(fixture_name, &oid)[1..]
        .iter()
        .map(|q| run(m, q))
        .collect()
}

#[test]
fn psql_describe_table() {
    let m = mirror();
    let rs = describe(&m, "d_books", "books");
    // relkind, relhasindex …
    assert_eq!(col(&rs[0], 0, 1), "r");
    assert_eq!(rs[0].types[1], PgType::Char);
    assert_eq!(col(&rs[0], 0, 2), "t");
    assert_eq!(col(&rs[0], 0, 0), "1", "one CHECK constraint");
    assert_eq!(
        col(&rs[0], 0, 4),
        "t",
        "relhastriggers: psql lists foreign keys only then"
    );
    // Columns: name, type, default, not null.
    let cols: Vec<(&str, &str, &str, &str)> = rs[1]
        .rows
        .iter()
        .map(|x| (x[0].as_str(), x[1].as_str(), x[2].as_str(), x[3].as_str()))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "integer", "nextval('books_id_seq'::regclass)", "t"),
            ("author_id", "bigint", "", "t"),
            ("title", "text", "", "t"),
            ("published", "timestamp with time zone", "now()", "f"),
            ("pages", "integer", "", "f"),
        ]
    );
    // Indexes.
    let idx: Vec<(&str, &str, &str)> = rs[2]
        .rows
        .iter()
        .map(|x| (x[0].as_str(), x[1].as_str(), x[5].as_str()))
        .collect();
    assert_eq!(
        idx,
        [
            (
                "books_pkey",
                "t",
                "CREATE UNIQUE INDEX books_pkey ON public.books USING btree (id)"
            ),
            (
                "books_title_idx",
                "f",
                "CREATE INDEX books_title_idx ON public.books USING btree (title)"
            ),
        ]
    );
    assert_eq!(col(&rs[2], 0, 6), "PRIMARY KEY (id)");
    assert_eq!(col(&rs[2], 0, 7), "p");
    // Check constraints.
    assert_eq!(rs[3].rows, [["books_pages_check", "CHECK (pages > 0)"]]);
    // Foreign keys.
    assert_eq!(rs[4].rows.len(), 1);
    assert_eq!(col(&rs[4], 0, 1), "books_author_id_fkey");
    assert_eq!(
        col(&rs[4], 0, 2),
        "FOREIGN KEY (author_id) REFERENCES authors(id)"
    );
    // Referenced by: nothing; policies, statistics, publications, triggers, inheritance.
    for r in &rs[5..] {
        assert!(r.rows.is_empty(), "{:?}", r.rows);
    }
    // `\d+` adds storage, compression, statistics target and description per column.
    let rs = describe(&m, "dplus_books", "books");
    assert_eq!(rs[1].rows.len(), 5);
    let storage: Vec<&str> = rs[1].rows.iter().map(|x| x[7].as_str()).collect();
    assert_eq!(storage, ["p", "p", "x", "p", "p"]);
    assert_eq!(col(&rs[0], 0, 9), "", "no reloptions");
}

#[test]
fn psql_describe_referenced_table_view_and_index() {
    let m = mirror();
    let rs = describe(&m, "d_authors", "authors");
    let cols: Vec<(&str, &str, &str)> = rs[1]
        .rows
        .iter()
        .map(|x| (x[0].as_str(), x[1].as_str(), x[2].as_str()))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "bigint", "nextval('authors_id_seq'::regclass)"),
            ("name", "character varying(40)", ""),
            ("born", "date", ""),
            ("rating", "numeric(10,2)", "0"),
        ]
    );
    let idx: Vec<&str> = rs[2].rows.iter().map(|x| x[0].as_str()).collect();
    assert_eq!(idx, ["authors_pkey", "authors_name_key"]);
    assert_eq!(col(&rs[2], 1, 6), "UNIQUE (name)");
    // Referenced by books.
    assert_eq!(rs[4].rows.len(), 1, "{:?}", rs[4].rows);
    assert_eq!(col(&rs[4], 0, 0), "books_author_id_fkey");
    assert_eq!(col(&rs[4], 0, 1), "books");

    let rs = describe(&m, "d_long_books", "long_books");
    assert_eq!(col(&rs[0], 0, 1), "v");
    let cols: Vec<(&str, &str)> = rs[1]
        .rows
        .iter()
        .map(|x| (x[0].as_str(), x[1].as_str()))
        .collect();
    assert_eq!(cols, [("id", "integer"), ("title", "text")]);

    let rs = describe(&m, "d_books_title_idx", "books_title_idx");
    assert_eq!(col(&rs[0], 0, 1), "i");
    assert_eq!(rs[1].rows, [["title", "text", "yes", "title"]]);
    assert_eq!(col(&rs[2], 0, 8), "btree");
    assert_eq!(col(&rs[2], 0, 9), "books");
}

#[test]
fn psql_other_lists() {
    let m = mirror();
    let r = run(&m, &fixture("l", "")[0]);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(col(&r, 0, 0), "demo_app");
    assert_eq!(col(&r, 0, 2), "UTF8");
    let r = run(&m, &fixture("du", "")[0]);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(col(&r, 0, 0), "alice");
    assert_eq!(col(&r, 0, 8), "{}");
    let r = run(&m, &fixture("dn", "")[0]);
    assert_eq!(r.rows, [["public", "pg_database_owner"]]);
    assert!(run(&m, &fixture("df", "")[0]).rows.is_empty());
    assert!(run(&m, &fixture("dT", "")[0]).rows.is_empty());
}

#[test]
fn catalog_functions_and_casts() {
    let m = mirror();
    let r = run(
        &m,
        "SELECT pg_catalog.format_type('int4'::regtype, NULL), 'books'::regclass::text, \
         to_regclass('nope') IS NULL, to_regclass('books'), quote_ident('Mixed'), \
         pg_get_serial_sequence('books', 'id'), current_setting('datestyle'), \
         has_table_privilege('books', 'SELECT')",
    );
    assert_eq!(r.types[3], PgType::Text, "to_regclass prints a name");
    assert_eq!(
        r.rows,
        [[
            "integer",
            "books",
            "t",
            "books",
            "\"Mixed\"",
            "public.books_id_seq",
            "ISO, MDY",
            "t"
        ]]
    );
    let r = run(
        &m,
        "SELECT c.relname FROM pg_class c WHERE c.relkind = ANY (ARRAY['r','v']) \
         AND c.relnamespace = 'public'::regnamespace ORDER BY 1",
    );
    assert_eq!(r.rows, [["authors"], ["books"], ["long_books"]]);
    let t = sql::translate_with("SELECT * FROM pg_class c JOIN books b ON true", &ctx(), &m);
    assert!(t.is_err(), "mixing catalog and user tables is refused");
}

#[test]
fn stored_quoting_is_not_shown() {
    // How rqlite keeps a CREATE TABLE that pgrq translated with the schema known.
    let rows = vec![(
        "table".to_string(),
        "books".to_string(),
        "books".to_string(),
        "CREATE TABLE \"books\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"Pages\" INT \
         CHECK (\"Pages\" > 0), \"n\" INT CHECK (\"n\" > 1))"
            .to_string(),
    )];
    let m = crate::catalog::Model::from_schema(&rows, &|_| Vec::new());
    let checks: Vec<String> = m.tables[0]
        .constraints
        .iter()
        .filter_map(|c| match &c.kind {
            crate::catalog::model::ConstraintKind::Check(e) => Some(format!("{} {e}", c.name)),
            _ => None,
        })
        .collect();
    assert_eq!(
        checks,
        ["books_Pages_check \"Pages\" > 0", "books_n_check n > 1"]
    );
}

#[test]
fn psql_tab_completion() {
    let m = mirror();
    let qs = fixture("tab_completion", "");
    assert_eq!(run(&m, &qs[0]).rows, [["books", ""], ["books_id_seq", ""]]);
    let mut names: Vec<String> = run(&m, &qs[1])
        .rows
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "authors",
            "authors_id_seq",
            "authors_name_key",
            "authors_pkey"
        ]
    );
    assert_eq!(run(&m, &qs[2]).rows, [["title", ""]]);
    // LIKE is case-sensitive and `\` escapes, as in PostgreSQL.
    let r = run(
        &m,
        "SELECT relname FROM pg_class WHERE relname LIKE 'BOOKS' OR relname LIKE 'book\\_s'",
    );
    assert!(r.rows.is_empty(), "{:?}", r.rows);
    let r = run(
        &m,
        "SELECT relname FROM pg_class WHERE relname ILIKE 'BOOKS'",
    );
    assert_eq!(r.rows, [["books"]]);
}

/// Enums are read from the schema: an enum column carries its type in a `pgrq_type_<enum>`
/// marker on the CHECK that holds its labels. Explicit sequences are rows fed to the model.
#[test]
fn sequences_and_enums_fed_to_the_model() {
    use crate::catalog::model::Sequence;
    let (m, mut ddl) = mirror_and_ddl();
    ddl.push(
        "CREATE TABLE moods (id INTEGER PRIMARY KEY AUTOINCREMENT, \
         m TEXT CONSTRAINT \"pgrq_type_mood\" CHECK (m IN ('sad', 'ok', 'happy')))"
            .to_string(),
    );
    m.load(&ddl).unwrap();
    let mut model = m.model().unwrap();
    // The enum is read from the column's marked CHECK.
    assert_eq!(model.enums.len(), 1);
    assert_eq!(model.enums[0].name, "mood");
    assert_eq!(model.enums[0].labels, ["sad", "ok", "happy"]);
    model.sequences.push(Sequence {
        name: "ticket_seq".into(),
        type_oid: 20,
        start: 1,
        increment: 1,
        min: 1,
        max: i64::MAX,
        cycle: false,
        owned_by: None,
    });
    let cat = crate::catalog::Catalog::build(&model, "demo_app", "alice").unwrap();
    let r = run_on(&m, &cat, &fixture("dT", "")[0], &[]);
    assert_eq!(r.rows, [["public", "mood", ""]]);
    let r = run_on(&m, &cat, &fixture("ds", "")[0], &[]);
    let seqs: Vec<&str> = r.rows.iter().map(|x| x[1].as_str()).collect();
    assert_eq!(
        seqs,
        [
            "authors_id_seq",
            "books_id_seq",
            "moods_id_seq",
            "ticket_seq"
        ]
    );
    let oid = run_on(&m, &cat, "SELECT 'moods'::regclass::oid", &[]).rows[0][0].clone();
    let q = &fixture("d_books", &oid)[2];
    let r = run_on(&m, &cat, q, &[]);
    assert_eq!(r.rows[1][..2], ["m", "mood"]);
    let q = &fixture("d_books", &oid)[4];
    assert!(
        run_on(&m, &cat, q, &[]).rows.is_empty(),
        "the enum's CHECK is no constraint"
    );
    let r = run_on(
        &m,
        &cat,
        "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = 'mood'::regtype \
         ORDER BY enumsortorder",
        &[],
    );
    assert_eq!(r.rows, [["sad"], ["ok"], ["happy"]]);
    let r = run_on(
        &m,
        &cat,
        "SELECT data_type, udt_name FROM information_schema.columns WHERE column_name = 'm'",
        &[],
    );
    assert_eq!(r.rows, [["USER-DEFINED", "mood"]]);
}

#[test]
fn psql_show_view_tablespaces_event_triggers_large_objects() {
    let m = mirror();
    let oid = run(
        &m,
        "SELECT 'long_books'::pg_catalog.regclass::pg_catalog.oid",
    )
    .rows[0][0]
        .clone();
    let r = run(
        &m,
        &format!(
            "SELECT nspname, relname, relkind, pg_catalog.pg_get_viewdef(c.oid, true), \
             pg_catalog.array_remove(pg_catalog.array_remove(c.reloptions,'check_option=local'),'check_option=cascaded') AS reloptions, \
             CASE WHEN 'check_option=local' = ANY (c.reloptions) THEN 'LOCAL'::text \
             WHEN 'check_option=cascaded' = ANY (c.reloptions) THEN 'CASCADED'::text ELSE NULL END AS checkoption \
             FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid \
             WHERE c.oid = {oid}"
        ),
    );
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0][..3], ["public", "long_books", "v"]);
    assert!(r.rows[0][3].contains("FROM books"), "{:?}", r.rows);
    let r = run(
        &m,
        "SELECT spcname AS \"Name\", pg_catalog.pg_get_userbyid(spcowner) AS \"Owner\", \
         pg_catalog.pg_tablespace_location(oid) AS \"Location\" FROM pg_catalog.pg_tablespace ORDER BY 1",
    );
    assert_eq!(
        r.rows,
        [["pg_default", "alice", ""], ["pg_global", "alice", ""]]
    );
    let r = run(
        &m,
        "SELECT evtname as \"Name\", evtevent as \"Event\", pg_catalog.pg_get_userbyid(e.evtowner) as \"Owner\", \
         case evtenabled when 'O' then 'enabled' when 'R' then 'replica' when 'A' then 'always' \
         when 'D' then 'disabled' end as \"Enabled\", e.evtfoid::pg_catalog.regproc as \"Function\", \
         pg_catalog.array_to_string(array(select x from pg_catalog.unnest(evttags) as t(x)), ', ') as \"Tags\" \
         FROM pg_catalog.pg_event_trigger e ORDER BY 1",
    );
    assert!(r.rows.is_empty());
    let r = run(
        &m,
        "SELECT oid as \"ID\", pg_catalog.pg_get_userbyid(lomowner) as \"Owner\", \
         pg_catalog.obj_description(oid, 'pg_largeobject') as \"Description\" \
         FROM pg_catalog.pg_largeobject_metadata ORDER BY oid",
    );
    assert!(r.rows.is_empty());
}

#[test]
fn pgrq_own_objects_show_as_sequences_and_enums_never_as_tables() {
    let (m, mut ddl) = mirror_and_ddl();
    for stmt in [
        "CREATE SEQUENCE ticket_seq START 5",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TYPE unused AS ENUM ('x')",
        "CREATE TABLE moods (id serial PRIMARY KEY, m mood NOT NULL, code char(3))",
    ] {
        let t = sql::translate_with(stmt, &ctx(), &m)
            .unwrap_or_else(|e| panic!("{stmt}: {e}"))
            .remove(0);
        ddl.push(t.sqlite.unwrap());
        m.load(&ddl).unwrap();
    }
    let r = run(&m, &fixture("dT", "")[0]);
    let types: Vec<&str> = r.rows.iter().map(|x| x[1].as_str()).collect();
    assert_eq!(types, ["mood", "unused"]);
    let r = run(&m, &fixture("ds", "")[0]);
    let seqs: Vec<&str> = r.rows.iter().map(|x| x[1].as_str()).collect();
    assert_eq!(
        seqs,
        [
            "authors_id_seq",
            "books_id_seq",
            "moods_id_seq",
            "ticket_seq"
        ]
    );
    let r = run(
        &m,
        "SELECT relname FROM pg_catalog.pg_class WHERE relname LIKE 'pgrq%' \
         UNION ALL SELECT conname FROM pg_catalog.pg_constraint WHERE conname LIKE 'pgrq%'",
    );
    assert!(r.rows.is_empty(), "pgrq's own names leak: {:?}", r.rows);
    let r = run(
        &m,
        "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = 'mood'::regtype \
         ORDER BY enumsortorder",
    );
    assert_eq!(r.rows, [["sad"], ["ok"], ["happy"]]);
    let r = run(
        &m,
        "SELECT column_name, udt_name FROM information_schema.columns \
         WHERE table_name = 'moods' ORDER BY ordinal_position",
    );
    assert_eq!(r.rows, [["id", "int4"], ["m", "mood"], ["code", "bpchar"]]);
}

#[test]
fn every_kind_of_object_is_visible_on_the_search_path() {
    let m = mirror();
    let r = run(
        &m,
        "SELECT c.collname, pg_catalog.pg_collation_is_visible(c.oid), \
         pg_catalog.pg_type_is_visible(23) FROM pg_catalog.pg_collation c \
         WHERE c.collname = 'default'",
    );
    assert_eq!(r.types[1], PgType::Bool);
    assert_eq!(r.rows, [["default", "t", "t"]]);
}
