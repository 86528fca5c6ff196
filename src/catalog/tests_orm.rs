//! Catalog queries that drivers and ORMs send at connect time and for reflection
//! (tokio-postgres, sqlx, pgjdbc, Django, SQLAlchemy, Knex, GORM, TypeORM, Sequelize,
//! Hibernate), run against the catalog of the same schema as `tests`.

use super::tests::{ctx, mirror, run, run_with};
use crate::session::Value;
use crate::sql::{self, PgType};

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
    assert_eq!(r.rows[0][10], "{title}");
    // Arrays are typed (psycopg and asyncpg decode them into lists): bool[] elements are
    // 0/1 in SQLite and leave pgrq as f/t.
    assert_eq!(r.types[10..], [PgType::TextArray, PgType::BoolArray]);
    assert_eq!(r.rows[0][11], "{0}");
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

#[test]
fn ctes_upper_case_names_and_limit_parameters() {
    let m = mirror();
    let r = run_with(
        &m,
        "WITH rels AS (SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'r' \
         AND relnamespace = 'public'::regnamespace) \
         SELECT relname FROM rels ORDER BY 1 LIMIT $1",
        &[Value::Int(1)],
    );
    assert_eq!(r.rows, [["authors"]]);
    let r = run(
        &m,
        "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'public' \
         AND TABLE_TYPE = 'VIEW'",
    );
    assert_eq!(r.rows, [["long_books"]]);
}

#[test]
fn identity_columns_read_back_as_identity_whatever_the_key_form() {
    let m = crate::mirror::Mirror::new().unwrap();
    let mut ddl = Vec::new();
    for stmt in [
        // TypeORM: a named table-level key over a bigint identity column.
        "CREATE TABLE to_book (id bigint GENERATED ALWAYS AS IDENTITY NOT NULL, title text, \
         CONSTRAINT \"PK_b1\" PRIMARY KEY (id))",
        "CREATE TABLE d (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
        "CREATE TABLE s (id bigserial, PRIMARY KEY (id))",
    ] {
        let t = sql::translate_with(stmt, &ctx(), &m).unwrap().remove(0);
        ddl.push(t.sqlite.unwrap());
        m.load(&ddl).unwrap();
    }
    let r = run(
        &m,
        "SELECT table_name, data_type, column_default, is_identity, identity_generation, \
         identity_maximum FROM information_schema.columns \
         WHERE column_name = 'id' ORDER BY table_name",
    );
    assert_eq!(
        r.rows,
        [
            ["d", "integer", "", "YES", "BY DEFAULT", "2147483647"],
            ["s", "bigint", "nextval('s_id_seq'::regclass)", "NO", "", ""],
            [
                "to_book",
                "bigint",
                "",
                "YES",
                "ALWAYS",
                "9223372036854775807"
            ],
        ]
    );
    let r = run(
        &m,
        "SELECT c.relname, a.attidentity, a.atthasdef, pg_get_serial_sequence(c.relname, 'id'), \
         con.conname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_constraint con ON con.conrelid = c.oid AND con.contype = 'p' \
         WHERE a.attname = 'id' AND c.relkind = 'r' ORDER BY 1",
    );
    assert_eq!(
        r.rows,
        [
            ["d", "d", "f", "public.d_id_seq", "d_pkey"],
            ["s", "", "t", "public.s_id_seq", "s_pkey"],
            ["to_book", "a", "f", "public.to_book_id_seq", "PK_b1"],
        ]
    );
}

#[test]
fn django_constraints_read_a_star_over_unnest_with_ordinality() {
    let m = mirror();
    // DatabaseIntrospection.get_constraints (Django 5.x), index part.
    let q = "SELECT indexname, array_agg(attname ORDER BY arridx), indisunique, indisprimary, \
             array_agg(ordering ORDER BY arridx), amname, exprdef, s2.attoptions \
             FROM ( SELECT c2.relname as indexname, idx.*, attr.attname, am.amname, \
             CASE WHEN idx.indexprs IS NOT NULL THEN pg_get_indexdef(idx.indexrelid) END AS exprdef, \
             CASE am.amname WHEN $1 THEN CASE (option & 1) WHEN 1 THEN 'DESC' ELSE 'ASC' END \
             END as ordering, c2.reloptions as attoptions \
             FROM ( SELECT * FROM pg_index i, unnest(i.indkey, i.indoption) \
             WITH ORDINALITY koi(key, option, arridx) ) idx \
             LEFT JOIN pg_class c ON idx.indrelid = c.oid \
             LEFT JOIN pg_class c2 ON idx.indexrelid = c2.oid \
             LEFT JOIN pg_am am ON c2.relam = am.oid \
             LEFT JOIN pg_attribute attr ON attr.attrelid = c.oid AND attr.attnum = idx.key \
             WHERE c.relname = $2 AND pg_catalog.pg_table_is_visible(c.oid) ) s2 \
             GROUP BY indexname, indisunique, indisprimary, amname, exprdef, attoptions \
             ORDER BY indexname";
    let r = run_with(
        &m,
        q,
        &[Value::Text("btree".into()), Value::Text("books".into())],
    );
    assert_eq!(r.rows.len(), 2, "{:?}", r.rows);
    assert_eq!(r.rows[0][0], "books_pkey");
    assert_eq!(r.rows[0][1], "{id}");
    assert_eq!(r.rows[0][4], "{ASC}");
    assert_eq!(r.rows[1][0], "books_title_idx");
    assert_eq!(r.rows[1][1], "{title}");
    // The star lists the function's columns by their PostgreSQL names.
    let r = run(
        &m,
        "SELECT koi.* FROM pg_index i, unnest(i.indkey, i.indoption) WITH ORDINALITY \
         koi(key, option, arridx) WHERE i.indrelid = 'books'::regclass ORDER BY 1",
    );
    assert_eq!(r.names, ["key", "option", "arridx"]);
    assert_eq!(r.rows[0][2], "1", "{:?}", r.rows);
}

#[test]
fn set_config_returns_its_value_and_reports_the_change() {
    let m = mirror();
    let cat = m.catalog("demo_app", "alice").unwrap();
    // asyncpg's type introspection turns jit off this way.
    let r = super::tests::run_on(
        &m,
        &cat,
        "SELECT current_setting('datestyle') AS cur, set_config('jit', 'off', false) AS new",
        &[],
    );
    assert_eq!(r.rows, [["ISO, MDY", "off"]]);
    assert_eq!(
        cat.take_set_calls(),
        [("jit".to_string(), "off".to_string())]
    );
    assert!(cat.take_set_calls().is_empty());
}

#[test]
fn sqlx_nullables_query_with_parenthesised_union_members() {
    let m = mirror();
    // sqlx (postgres/connection/describe.rs) asks which result columns may be NULL.
    let q = "SELECT NOT attnotnull FROM ( ( SELECT $1::int4 AS idx, $2::int4 AS table_id, \
             $3::int2 AS col_idx ) UNION ALL ( SELECT $4::int4, $5::int4, $6::int2 ) ) params \
             LEFT JOIN pg_catalog.pg_attribute ON attrelid = table_id AND attnum = col_idx \
             ORDER BY idx";
    let books: i64 = run(&m, "SELECT 'books'::regclass::oid").rows[0][0]
        .parse()
        .unwrap();
    let p = |v: i64| Value::Int(v);
    let r = run_with(&m, q, &[p(0), p(books), p(1), p(1), p(books), p(5)]);
    // books.id is NOT NULL, books.pages is nullable.
    assert_eq!(r.rows, [["f"], ["t"]]);
}
