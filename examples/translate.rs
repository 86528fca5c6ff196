//! Prints how pgrq translates PostgreSQL statements, given optional CREATE statements
//! already in the schema: `cargo run --example translate -- "<ddl>;..." "<sql>"`.
use pgrq::mirror::Mirror;
use pgrq::sql::{Context, translate_with};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (ddl, sql) = match args.as_slice() {
        [ddl, sql] => (ddl.clone(), sql.clone()),
        [sql] => (String::new(), sql.clone()),
        _ => {
            eprintln!("usage: translate [\"<sqlite ddl>;...\"] \"<postgres sql>\"");
            std::process::exit(2);
        }
    };
    let mirror = match Mirror::new() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let stmts: Vec<String> = ddl
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
    if let Err(e) = mirror.load(&stmts) {
        eprintln!("{e}");
    }
    let ctx = Context {
        database: "demo_app".into(),
        user: "demo".into(),
        schema: "public".into(),
        version: "PostgreSQL 15.8".into(),
        now_micros: 0,
    };
    match translate_with(&sql, &ctx, &mirror) {
        Ok(ts) => {
            for t in ts {
                println!(
                    "{:?}\n  {}\n  types: {:?}",
                    t.kind,
                    t.sqlite.unwrap_or_default(),
                    t.column_types
                );
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
}
