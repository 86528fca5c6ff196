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

fn ctx() -> Context {
    Context {
        database: "demo_app".into(),
        user: "alice".into(),
        schema: "public".into(),
        version: "PostgreSQL 15.0".into(),
        now_micros: 0,
    }
}

/// The mirror of `SCHEMA`, and the SQLite DDL it holds.
fn mirror_and_ddl() -> (Mirror, Vec<String>) {
    let m = Mirror::new().unwrap();
    let mut ddl = Vec::new();
    for stmt in SCHEMA {
        let t = sql::translate_with(stmt, &ctx(), &m).unwrap().remove(0);
        ddl.push(t.sqlite.unwrap());
        m.load(&ddl).unwrap();
    }
    (m, ddl)
}

fn mirror() -> Mirror {
    mirror_and_ddl().0
}

struct Result {
    names: Vec<String>,
    types: Vec<PgType>,
    rows: Vec<Vec<String>>,
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

fn run_with(m: &Mirror, query: &str, params: &[Value]) -> Result {
    run_on(m, &m.catalog("demo_app", "alice").unwrap(), query, params)
}

fn run_on(m: &Mirror, cat: &crate::catalog::Catalog, query: &str, params: &[Value]) -> Result {
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

fn run(m: &Mirror, query: &str) -> Result {
    run_with(m, query, &[])
}

/// The queries of a psql fixture, with `{oid}` replaced.
fn fixture(name: &str, oid: &str) -> Vec<String> {
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

fn col(r: &Result, row: usize, name_or_index: usize) -> &str {
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
fn driver_type_lookups() {
    let m = mirror();
    // tokio-postgres (typeinfo.rs) and sqlx ask pg_type about OIDs they do not know.
    let q = "SELECT t.typname, t.typtype, t.typelem, r.rngsubtype, t.typbasetype, n.nspname, \
             t.typrelid FROM pg_catalog.pg_type t LEFT OUTER JOIN pg_catalog.pg_range r ON \
             r.rngtypid = t.oid INNER JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid \
             WHERE t.oid = $1";
    let t = sql::translate_with(q, &ctx(), &m).unwrap().remove(0);
    assert_eq!(t.param_types, [Some(PgType::Oid)]);
    let r = run_with(&m, q, &[Value::Int(3904)]);
    assert_eq!(
        r.types,
        [
            PgType::Name,
            PgType::Char,
            PgType::Oid,
            PgType::Oid,
            PgType::Oid,
            PgType::Name,
            PgType::Oid
        ]
    );
    assert_eq!(
        r.rows,
        [["int4range", "r", "0", "23", "0", "pg_catalog", "0"]]
    );
    let r = run_with(&m, q, &[Value::Int(1007)]);
    assert_eq!(r.rows, [["_int4", "b", "23", "", "0", "pg_catalog", "0"]]);
    let q = "SELECT attname, atttypid FROM pg_catalog.pg_attribute WHERE attrelid = $1 \
             AND NOT attisdropped AND attnum > 0 ORDER BY attnum";
    let books = run(&m, "SELECT 'books'::regclass::oid").rows[0][0].clone();
    let r = run_with(&m, q, &[Value::Int(books.parse().unwrap())]);
    assert_eq!(r.rows.len(), 5);
    assert_eq!(r.rows[1], ["author_id", "20"]);
    let r = run_with(
        &m,
        "SELECT typname, typtype, typcategory, typrelid, typelem, typbasetype \
         FROM pg_catalog.pg_type WHERE oid = $1",
        &[Value::Int(25)],
    );
    assert_eq!(r.rows, [["text", "b", "S", "0", "0", "0"]]);
    let r = run_with(&m, "SELECT $1::regtype::oid", &[Value::Text("int4".into())]);
    assert_eq!(r.rows, [["23"]]);
}

#[test]
fn information_schema_reflection() {
    let m = mirror();
    let r = run(
        &m,
        "SELECT table_name, table_type FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
    );
    assert_eq!(
        r.rows,
        [
            ["authors", "BASE TABLE"],
            ["books", "BASE TABLE"],
            ["long_books", "VIEW"]
        ]
    );
    let r = run(
        &m,
        "SELECT column_name, data_type, is_nullable, character_maximum_length, \
         numeric_precision, numeric_scale FROM information_schema.columns \
         WHERE table_name = 'authors' ORDER BY ordinal_position",
    );
    assert_eq!(
        r.rows,
        [
            ["id", "bigint", "NO", "", "64", "0"],
            ["name", "character varying", "NO", "40", "", ""],
            ["born", "date", "YES", "", "", ""],
            ["rating", "numeric", "YES", "", "10", "2"],
        ]
    );
    let r = run(
        &m,
        "SELECT tc.constraint_name, kcu.column_name, ccu.table_name, ccu.column_name \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name \
         JOIN information_schema.constraint_column_usage ccu \
           ON ccu.constraint_name = tc.constraint_name \
         WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = 'books'",
    );
    assert_eq!(
        r.rows,
        [["books_author_id_fkey", "author_id", "authors", "id"]]
    );
    let r = run(
        &m,
        "SELECT sequence_name, data_type FROM information_schema.sequences ORDER BY 1",
    );
    assert_eq!(
        r.rows,
        [["authors_id_seq", "bigint"], ["books_id_seq", "integer"]]
    );
    let r = run(
        &m,
        "SELECT unique_constraint_name, delete_rule FROM information_schema.referential_constraints",
    );
    assert_eq!(r.rows, [["authors_pkey", "NO ACTION"]]);
}

#[test]
fn catalog_functions_and_casts() {
    let m = mirror();
    let r = run(
        &m,
        "SELECT pg_catalog.format_type('int4'::regtype, NULL), 'books'::regclass::text, \
         to_regclass('nope') IS NULL, quote_ident('Mixed'), \
         pg_get_serial_sequence('books', 'id'), current_setting('datestyle'), \
         has_table_privilege('books', 'SELECT')",
    );
    assert_eq!(
        r.rows,
        [[
            "integer",
            "books",
            "t",
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
fn django_introspection() {
    let m = mirror();
    // DatabaseIntrospection.get_table_list (Django 4.2/5.x).
    let r = run(
        &m,
        "SELECT c.relname, CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') \
         THEN 'v' ELSE 't' END, obj_description(c.oid, 'pg_class') \
         FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND n.nspname NOT IN ('pg_catalog', 'pg_toast') \
         AND pg_catalog.pg_table_is_visible(c.oid)",
    );
    let mut names: Vec<(&str, &str)> = r
        .rows
        .iter()
        .map(|x| (x[0].as_str(), x[1].as_str()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [("authors", "t"), ("books", "t"), ("long_books", "v")]
    );
    // get_sequences.
    let r = run(
        &m,
        "SELECT s.relname AS sequence_name, a.attname AS colname FROM pg_class s \
         JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_catalog.pg_class'::regclass \
         AND d.refclassid = 'pg_catalog.pg_class'::regclass \
         JOIN pg_attribute a ON d.refobjid = a.attrelid AND d.refobjsubid = a.attnum \
         JOIN pg_class tbl ON tbl.oid = d.refobjid AND tbl.relname = 'books' \
         AND pg_catalog.pg_table_is_visible(tbl.oid) WHERE s.relkind = 'S'",
    );
    assert_eq!(r.rows, [["books_id_seq", "id"]]);
    // get_constraints.
    let r = run(
        &m,
        "SELECT c.conname, array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY \
         cols(colid, arridx) JOIN pg_attribute AS ca ON cols.colid = ca.attnum \
         WHERE ca.attrelid = c.conrelid ORDER BY cols.arridx), c.contype, \
         (SELECT fkc.relname || '.' || fka.attname FROM pg_attribute AS fka \
          JOIN pg_class AS fkc ON fka.attrelid = fkc.oid \
          WHERE fka.attrelid = c.confrelid AND fka.attnum = c.confkey[1]), cl.reloptions \
         FROM pg_constraint AS c JOIN pg_class AS cl ON c.conrelid = cl.oid \
         WHERE cl.relname = 'books' AND pg_catalog.pg_table_is_visible(cl.oid) ORDER BY 1",
    );
    assert_eq!(
        r.rows,
        [
            ["books_author_id_fkey", "{author_id}", "f", "authors.id", ""],
            ["books_pages_check", "{}", "c", "", ""],
            ["books_pkey", "{id}", "p", "", ""],
        ]
    );
    // get_table_description's column query.
    let r = run(
        &m,
        "SELECT a.attname AS column_name, NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) \
         AS is_nullable, pg_get_expr(ad.adbin, ad.adrelid) AS column_default, \
         CASE WHEN collname = 'default' THEN NULL ELSE collname END AS collation, \
         a.attidentity != '' AS is_autofield, col_description(a.attrelid, a.attnum) AS column_comment \
         FROM pg_attribute a LEFT JOIN pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum \
         JOIN pg_type t ON a.atttypid = t.oid JOIN pg_class c ON a.attrelid = c.oid \
         JOIN pg_namespace n ON c.relnamespace = n.oid LEFT JOIN pg_collation co ON a.attcollation = co.oid \
         WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND c.relname = 'authors' \
         AND n.nspname NOT IN ('pg_catalog', 'pg_toast') AND pg_catalog.pg_table_is_visible(c.oid) \
         ORDER BY a.attnum",
    );
    assert_eq!(r.rows.len(), 4);
    assert_eq!(
        r.rows[0][..3],
        ["id", "f", "nextval('authors_id_seq'::regclass)"]
    );
    assert_eq!(r.types[1], PgType::Bool);
}

#[test]
fn sqlalchemy_reflection() {
    let m = mirror();
    // PGDialect.get_table_names / has_table (SQLAlchemy 2.0, fully qualified columns).
    let r = run(
        &m,
        "SELECT pg_catalog.pg_class.relname FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace \
         ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace \
         WHERE pg_catalog.pg_class.relkind = ANY (ARRAY['r', 'p']) \
         AND pg_catalog.pg_class.relpersistence != 't' \
         AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) \
         AND pg_catalog.pg_namespace.nspname != 'pg_catalog' ORDER BY 1",
    );
    assert_eq!(r.rows, [["authors"], ["books"]]);
    // get_columns (the parts SQLite can run: format_type, defaults, identity as JSON).
    let r = run(
        &m,
        "SELECT pg_catalog.pg_attribute.attname AS name, \
         pg_catalog.format_type(pg_catalog.pg_attribute.atttypid, pg_catalog.pg_attribute.atttypmod) AS format_type, \
         (SELECT pg_catalog.pg_get_expr(pg_catalog.pg_attrdef.adbin, pg_catalog.pg_attrdef.adrelid) \
          FROM pg_catalog.pg_attrdef WHERE pg_catalog.pg_attrdef.adrelid = pg_catalog.pg_attribute.attrelid \
          AND pg_catalog.pg_attrdef.adnum = pg_catalog.pg_attribute.attnum \
          AND pg_catalog.pg_attribute.atthasdef) AS \"default\", \
         pg_catalog.pg_attribute.attnotnull AS not_null, pg_catalog.pg_class.relname AS table_name, \
         pg_catalog.pg_description.description AS comment, \
         json_build_object('always', pg_catalog.pg_attribute.attidentity = 'a') AS identity_options \
         FROM pg_catalog.pg_class LEFT OUTER JOIN pg_catalog.pg_attribute ON \
         pg_catalog.pg_class.oid = pg_catalog.pg_attribute.attrelid AND pg_catalog.pg_attribute.attnum > 0 \
         AND NOT pg_catalog.pg_attribute.attisdropped \
         LEFT OUTER JOIN pg_catalog.pg_description ON pg_catalog.pg_description.objoid = pg_catalog.pg_attribute.attrelid \
         AND pg_catalog.pg_description.objsubid = pg_catalog.pg_attribute.attnum \
         JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace \
         WHERE pg_catalog.pg_class.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm']) \
         AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) \
         AND pg_catalog.pg_namespace.nspname != 'pg_catalog' \
         AND pg_catalog.pg_class.relname IN ('authors') \
         ORDER BY pg_catalog.pg_class.relname, pg_catalog.pg_attribute.attnum",
    );
    assert_eq!(r.rows.len(), 4);
    assert_eq!(r.rows[1][..4], ["name", "character varying(40)", "", "t"]);
    assert_eq!(r.rows[1][6], "{\"always\":0}");
}

#[test]
fn orm_existence_and_listing_queries() {
    let m = mirror();
    let one = |q: &str, params: &[Value]| run_with(&m, q, params).rows;
    // Knex hasTable.
    assert_eq!(
        one(
            "select * from information_schema.tables where table_name = $1 \
             and table_schema = current_schema()",
            &[Value::Text("books".into())]
        )
        .len(),
        1
    );
    // GORM Migrator.HasTable.
    assert_eq!(
        one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA() \
             AND table_name = $1 AND table_type = $2",
            &[
                Value::Text("authors".into()),
                Value::Text("BASE TABLE".into())
            ]
        ),
        [["1"]]
    );
    // TypeORM's table existence check.
    assert_eq!(
        one(
            "SELECT * FROM \"information_schema\".\"tables\" WHERE \"table_schema\" = 'public' \
             AND \"table_name\" = 'migrations'",
            &[]
        )
        .len(),
        0
    );
    // Sequelize showAllTables.
    assert_eq!(
        one(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type LIKE '%TABLE' AND table_name != 'spatial_ref_sys' ORDER BY 1",
            &[]
        ),
        [["authors"], ["books"]]
    );
    // Hibernate reads the sequences it may use.
    assert_eq!(
        one(
            "select sequence_name, increment, minimum_value from information_schema.sequences \
             where sequence_schema = 'public' order by 1",
            &[]
        ),
        [["authors_id_seq", "1", "1"], ["books_id_seq", "1", "1"]]
    );
    // pg_tables / pg_indexes / pg_views.
    assert_eq!(
        one(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[]
        ),
        [["authors"], ["books"]]
    );
    assert_eq!(
        one(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'authors_name_key'",
            &[]
        ),
        [["CREATE UNIQUE INDEX authors_name_key ON public.authors USING btree (name)"]]
    );
    assert_eq!(
        one(
            "SELECT viewname FROM pg_views WHERE schemaname = 'public'",
            &[]
        ),
        [["long_books"]]
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
fn sqlalchemy_primary_key_with_set_returning_functions() {
    let m = mirror();
    let books = run(&m, "SELECT 'books'::regclass::oid").rows[0][0].clone();
    // PGDialect.get_pk_constraint (SQLAlchemy 2.0), parameters inlined.
    let q = format!(
        "SELECT attr.conrelid, array_agg(CAST(attr.attname AS TEXT) ORDER BY attr.ord) AS cols, \
         attr.conname, min(attr.description) AS description, NULL AS extra \
         FROM (SELECT con.conrelid AS conrelid, con.conname AS conname, con.conindid AS conindid, \
         con.description AS description, con.ord AS ord, pg_catalog.pg_attribute.attname AS attname \
         FROM pg_catalog.pg_attribute JOIN (SELECT pg_catalog.pg_constraint.conrelid AS conrelid, \
         pg_catalog.pg_constraint.conname AS conname, pg_catalog.pg_constraint.conindid AS conindid, \
         unnest(pg_catalog.pg_constraint.conkey) AS attnum, \
         generate_subscripts(pg_catalog.pg_constraint.conkey, 1) AS ord, \
         pg_catalog.pg_description.description AS description \
         FROM pg_catalog.pg_constraint LEFT OUTER JOIN pg_catalog.pg_description \
         ON pg_catalog.pg_description.objoid = pg_catalog.pg_constraint.oid \
         WHERE pg_catalog.pg_constraint.contype = 'p' \
         AND pg_catalog.pg_constraint.conrelid IN ({books})) AS con \
         ON pg_catalog.pg_attribute.attnum = con.attnum AND pg_catalog.pg_attribute.attrelid = con.conrelid \
         WHERE con.conrelid IN ({books})) AS attr GROUP BY attr.conrelid, attr.conname \
         ORDER BY attr.conrelid, attr.conname"
    );
    let r = run(&m, &q);
    assert_eq!(r.rows, [[books.as_str(), "{id}", "books_pkey", "", ""]]);
}

#[test]
fn pgjdbc_type_cache_and_index_vectors() {
    let m = mirror();
    // pgjdbc TypeInfoCache.
    let r = run_with(
        &m,
        "SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid \
         WHERE t.oid = $1",
        &[Value::Int(23)],
    );
    assert_eq!(r.rows, [["t", "pg_catalog", "int4"]]);
    let r = run(
        &m,
        "SELECT t.typinput = 'pg_catalog.array_in'::regproc, t.typinput FROM pg_catalog.pg_type t \
         WHERE t.oid IN (1007, 23) ORDER BY t.oid",
    );
    assert_eq!(r.rows, [["f", "int4in"], ["t", "array_in"]]);
    // indkey is an int2vector: subscripts from 0, unnest in order.
    let r = run(
        &m,
        "SELECT i.indkey[0], (SELECT count(*) FROM unnest(i.indkey)) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'books_title_idx'",
    );
    assert_eq!(r.rows, [["3", "1"]]);
}

#[test]
fn sqlalchemy_indexes_and_foreign_keys() {
    let m = mirror();
    let books = run(&m, "SELECT 'books'::regclass::oid").rows[0][0].clone();
    // PGDialect.get_multi_indexes (SQLAlchemy 2.0), parameters inlined.
    let q = format!(
        "SELECT pg_catalog.pg_index.indrelid, cls_idx.relname AS relname_index, \
         pg_catalog.pg_index.indisunique, pg_catalog.pg_constraint.conrelid IS NOT NULL AS has_constraint, \
         pg_catalog.pg_index.indoption, cls_idx.reloptions, pg_catalog.pg_am.amname, \
         CASE WHEN (pg_catalog.pg_index.indpred IS NOT NULL) THEN pg_catalog.pg_get_expr(pg_catalog.pg_index.indpred, pg_catalog.pg_index.indrelid) END AS filter_definition, \
         pg_catalog.pg_index.indnkeyatts, pg_catalog.pg_index.indnullsnotdistinct, idx_cols.elements, idx_cols.elements_is_expr \
         FROM pg_catalog.pg_index JOIN pg_catalog.pg_class AS cls_idx ON pg_catalog.pg_index.indexrelid = cls_idx.oid \
         JOIN pg_catalog.pg_am ON cls_idx.relam = pg_catalog.pg_am.oid \
         LEFT OUTER JOIN (SELECT idx_attr.indexrelid AS indexrelid, min(idx_attr.indrelid) AS min_1, \
         array_agg(idx_attr.element ORDER BY idx_attr.ord) AS elements, \
         array_agg(idx_attr.is_expr ORDER BY idx_attr.ord) AS elements_is_expr \
         FROM (SELECT idx.indexrelid AS indexrelid, idx.indrelid AS indrelid, idx.ord AS ord, \
         CASE WHEN (idx.attnum = 0) THEN pg_catalog.pg_get_indexdef(idx.indexrelid, idx.ord + 1, true) \
         ELSE CAST(pg_catalog.pg_attribute.attname AS TEXT) END AS element, idx.attnum = 0 AS is_expr \
         FROM (SELECT pg_catalog.pg_index.indexrelid AS indexrelid, pg_catalog.pg_index.indrelid AS indrelid, \
         unnest(pg_catalog.pg_index.indkey) AS attnum, generate_subscripts(pg_catalog.pg_index.indkey, 1) AS ord \
         FROM pg_catalog.pg_index WHERE NOT pg_catalog.pg_index.indisprimary \
         AND pg_catalog.pg_index.indrelid IN ({books})) AS idx \
         LEFT OUTER JOIN pg_catalog.pg_attribute ON pg_catalog.pg_attribute.attnum = idx.attnum \
         AND pg_catalog.pg_attribute.attrelid = idx.indrelid WHERE idx.indrelid IN ({books})) AS idx_attr \
         GROUP BY idx_attr.indexrelid) AS idx_cols ON pg_catalog.pg_index.indexrelid = idx_cols.indexrelid \
         LEFT OUTER JOIN pg_catalog.pg_constraint ON pg_catalog.pg_index.indrelid = pg_catalog.pg_constraint.conrelid \
         AND pg_catalog.pg_index.indexrelid = pg_catalog.pg_constraint.conindid \
         AND pg_catalog.pg_constraint.contype = ANY (ARRAY['p', 'u', 'x']) \
         WHERE pg_catalog.pg_index.indrelid IN ({books}) AND NOT pg_catalog.pg_index.indisprimary \
         ORDER BY pg_catalog.pg_index.indrelid, cls_idx.relname"
    );
    let r = run(&m, &q);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0][1], "books_title_idx");
    assert_eq!(r.rows[0][2..4], ["f", "f"]);
    assert_eq!(r.rows[0][6], "btree");
    // (Array elements are untyped in SQLite: the booleans of elements_is_expr print as
    // {0} where PostgreSQL prints {f}.)
    assert_eq!(r.rows[0][10], "{title}");
    // get_multi_foreign_keys.
    let r = run(
        &m,
        "SELECT pg_catalog.pg_class.relname, pg_catalog.pg_constraint.conname, \
         CASE WHEN (pg_catalog.pg_constraint.oid IS NOT NULL) THEN \
         pg_catalog.pg_get_constraintdef(pg_catalog.pg_constraint.oid, true) END AS anon_1, \
         nsp_ref.nspname, pg_catalog.pg_description.description \
         FROM pg_catalog.pg_class LEFT OUTER JOIN pg_catalog.pg_constraint \
         ON pg_catalog.pg_class.oid = pg_catalog.pg_constraint.conrelid \
         AND pg_catalog.pg_constraint.contype = 'f' \
         LEFT OUTER JOIN pg_catalog.pg_class AS cls_ref ON cls_ref.oid = pg_catalog.pg_constraint.confrelid \
         LEFT OUTER JOIN pg_catalog.pg_namespace AS nsp_ref ON cls_ref.relnamespace = nsp_ref.oid \
         LEFT OUTER JOIN pg_catalog.pg_description ON pg_catalog.pg_description.objoid = pg_catalog.pg_constraint.oid \
         JOIN pg_catalog.pg_namespace ON pg_catalog.pg_class.relnamespace = pg_catalog.pg_namespace.oid \
         WHERE pg_catalog.pg_class.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm']) \
         AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) \
         AND pg_catalog.pg_namespace.nspname != 'pg_catalog' \
         AND pg_catalog.pg_class.relname IN ('books') \
         ORDER BY pg_catalog.pg_class.relname, pg_catalog.pg_constraint.conname",
    );
    assert_eq!(
        r.rows,
        [[
            "books",
            "books_author_id_fkey",
            "FOREIGN KEY (author_id) REFERENCES authors(id)",
            "public",
            ""
        ]]
    );
}

#[test]
fn typeorm_and_sequelize_table_descriptions() {
    let m = mirror();
    // TypeORM PostgresQueryRunner.loadTables: constraints with their columns.
    let r = run(
        &m,
        "SELECT \"ns\".\"nspname\" AS \"table_schema\", \"t\".\"relname\" AS \"table_name\", \
         \"cnst\".\"conname\" AS \"constraint_name\", pg_get_constraintdef(\"cnst\".\"oid\") AS \"expression\", \
         CASE \"cnst\".\"contype\" WHEN 'p' THEN 'PRIMARY' WHEN 'u' THEN 'UNIQUE' WHEN 'c' THEN 'CHECK' \
         WHEN 'x' THEN 'EXCLUDE' END AS \"constraint_type\", \"a\".\"attname\" AS \"column_name\" \
         FROM \"pg_constraint\" \"cnst\" INNER JOIN \"pg_class\" \"t\" ON \"t\".\"oid\" = \"cnst\".\"conrelid\" \
         INNER JOIN \"pg_namespace\" \"ns\" ON \"ns\".\"oid\" = \"cnst\".\"connamespace\" \
         LEFT JOIN \"pg_attribute\" \"a\" ON \"a\".\"attrelid\" = \"cnst\".\"conrelid\" \
         AND \"a\".\"attnum\" = ANY (\"cnst\".\"conkey\") \
         WHERE \"t\".\"relkind\" IN ('r', 'p') AND ((\"ns\".\"nspname\" = 'public' AND \"t\".\"relname\" = 'authors')) \
         ORDER BY 3",
    );
    assert_eq!(
        r.rows,
        [
            [
                "public",
                "authors",
                "authors_name_key",
                "UNIQUE (name)",
                "UNIQUE",
                "name"
            ],
            [
                "public",
                "authors",
                "authors_pkey",
                "PRIMARY KEY (id)",
                "PRIMARY",
                "id"
            ],
        ]
    );
    // Sequelize QueryInterface.describeTable.
    let r = run(
        &m,
        "SELECT pk.constraint_type as \"Constraint\",c.column_name as \"Field\", \
         c.column_default as \"Default\",c.is_nullable as \"Null\", \
         (CASE WHEN c.udt_name = 'hstore' THEN c.udt_name ELSE c.data_type END) || \
         (CASE WHEN c.character_maximum_length IS NOT NULL THEN '(' || c.character_maximum_length || ')' ELSE '' END) as \"Type\", \
         (SELECT array_agg(e.enumlabel) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON t.oid=e.enumtypid \
          WHERE t.typname=c.udt_name) AS \"special\", \
         (SELECT pgd.description FROM pg_catalog.pg_statio_all_tables AS st INNER JOIN pg_catalog.pg_description pgd \
          on (pgd.objoid=st.relid) WHERE c.ordinal_position=pgd.objsubid AND c.table_name=st.relname) AS \"Comment\" \
         FROM information_schema.columns c LEFT JOIN (SELECT tc.table_schema, tc.table_name, cu.column_name, tc.constraint_type \
         FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.KEY_COLUMN_USAGE cu \
         ON tc.table_schema=cu.table_schema and tc.table_name=cu.table_name and tc.constraint_name=cu.constraint_name \
         and tc.constraint_type='PRIMARY KEY') pk ON pk.table_schema=c.table_schema AND pk.table_name=c.table_name \
         AND pk.column_name=c.column_name WHERE c.table_name = 'authors' AND c.table_schema = 'public' \
         ORDER BY c.ordinal_position",
    );
    let got: Vec<(&str, &str, &str, &str)> = r
        .rows
        .iter()
        .map(|x| (x[0].as_str(), x[1].as_str(), x[3].as_str(), x[4].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("PRIMARY KEY", "id", "NO", "bigint"),
            ("", "name", "NO", "character varying(40)"),
            ("", "born", "YES", "date"),
            ("", "rating", "YES", "numeric"),
        ]
    );
}
