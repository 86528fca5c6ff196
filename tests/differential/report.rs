//! Pass counts of the differential corpus and the files kept from them:
//! `compat/sql/RESULTS.md` (file × protocol) and `compat/KNOWN_GAPS.md` (every failing case
//! with its protocols, what differs, and a hand-written reason read from
//! `compat/sql/gap_reasons.tsv`: a `file.slt:LINE` key names one case, a `~text` key gives
//! the reason of every case whose difference contains `text`). The regression floor is
//! `compat/sql/THRESHOLD`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::Path;

use crate::exec::Protocol;

/// Joins the simple protocol's difference and a different one of the extended protocol.
const EXTENDED_TOO: &str = "; extended: ";

pub struct Failure {
    pub file: String,
    pub line: usize,
    pub protocol: Protocol,
    pub sql: String,
    pub detail: String,
}

impl Failure {
    pub fn line(&self) -> String {
        format!(
            "FAIL {}:{} [{}] {} — {}",
            self.file,
            self.line,
            self.protocol.name(),
            one_line(&self.sql, 120),
            self.detail
        )
    }
}

/// A query whose values match but whose Describe announces other kinds of types.
pub struct TypeDiff {
    pub file: String,
    pub line: usize,
    pub sql: String,
    pub want: String,
    pub got: String,
}

pub struct FileResult {
    pub name: String,
    pub total: usize,
    passed: [usize; 2],
    pub failures: Vec<Failure>,
    pub type_diffs: Vec<TypeDiff>,
}

fn index(p: Protocol) -> usize {
    match p {
        Protocol::Simple => 0,
        Protocol::Extended => 1,
    }
}

impl FileResult {
    pub fn new(name: &str, total: usize) -> FileResult {
        FileResult {
            name: name.to_string(),
            total,
            passed: [0, 0],
            failures: Vec::new(),
            type_diffs: Vec::new(),
        }
    }

    pub fn passed(&mut self, p: Protocol) {
        self.passed[index(p)] += 1;
    }

    pub fn line(&self) -> String {
        format!(
            "{:<28} simple {:>3}/{:<3} ({:5.1}%)   extended {:>3}/{:<3} ({:5.1}%)",
            format!("{}.slt", self.name),
            self.passed[0],
            self.total,
            pct(self.passed[0], self.total),
            self.passed[1],
            self.total,
            pct(self.passed[1], self.total),
        )
    }
}

fn pct(n: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        n as f64 * 100.0 / total as f64
    }
}

pub struct Summary {
    total: usize,
    passed: [usize; 2],
}

impl Summary {
    pub fn of(results: &[FileResult]) -> Summary {
        Summary {
            total: results.iter().map(|r| r.total).sum(),
            passed: [0, 1].map(|i| results.iter().map(|r| r.passed[i]).sum()),
        }
    }

    pub fn percent(&self, p: Protocol) -> f64 {
        pct(self.passed[index(p)], self.total)
    }

    pub fn line(&self) -> String {
        format!(
            "TOTAL {} cases: simple {}/{} ({:.1}%), extended {}/{} ({:.1}%)",
            self.total,
            self.passed[0],
            self.total,
            self.percent(Protocol::Simple),
            self.passed[1],
            self.total,
            self.percent(Protocol::Extended),
        )
    }
}

/// The minimum pass percentage per protocol (first number in compat/sql/THRESHOLD).
pub fn threshold(root: &Path) -> f64 {
    let path = root.join("compat/sql/THRESHOLD");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find_map(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("{}: no number", path.display()))
}

fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

/// A table cell: line breaks flattened, other whitespace kept (it can be the difference).
fn cell(s: &str, max: usize) -> String {
    let flat = s.replace('\n', " ");
    let cut = if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    };
    cut.replace('|', "\\|")
}

/// Hand-written reasons: exact cases by `file.slt:LINE`, families by `~text` found in the
/// difference (first match in file order wins). `#` starts a comment line.
struct Reasons {
    cases: HashMap<String, String>,
    families: Vec<(String, String)>,
}

impl Reasons {
    fn load(root: &Path) -> Reasons {
        let path = root.join("compat/sql/gap_reasons.tsv");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut r = Reasons {
            cases: HashMap::new(),
            families: Vec::new(),
        };
        for (k, v) in text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
        {
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            match k.strip_prefix('~') {
                Some(text) => r.families.push((text.to_string(), v)),
                None => {
                    r.cases.insert(k, v);
                }
            }
        }
        r
    }

    fn get(&self, key: &str, detail: &str) -> String {
        if let Some(r) = self.cases.get(key) {
            return r.clone();
        }
        let family = |d: &str| {
            self.families
                .iter()
                .find(|(text, _)| d.contains(text.as_str()))
                .map(|(_, r)| r.clone())
        };
        // When the protocols differ differently, each difference gets its own reason.
        match detail.split_once(EXTENDED_TOO) {
            None => family(detail).unwrap_or_default(),
            Some((simple, extended)) => match (family(simple), family(extended)) {
                (Some(a), Some(b)) if a == b => a,
                (Some(a), Some(b)) => format!("{a}; extended: {b}"),
                (Some(a), None) => a,
                (None, Some(b)) => format!("simple: (no reason written); extended: {b}"),
                (None, None) => String::new(),
            },
        }
    }
}

type Cases<'a> = BTreeMap<(String, usize), (Vec<&'a str>, String, String)>;

/// Two summary tables: cases per reason, and cases per unsupported construct (the 0A000
/// message), largest first, so the biggest families are seen first.
fn families(cases: &Cases, reasons: &Reasons) -> String {
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_construct: BTreeMap<String, usize> = BTreeMap::new();
    for ((file, line), (_, _, detail)) in cases {
        let reason = reasons.get(&format!("{file}:{line}"), detail);
        let reason = if reason.is_empty() {
            "(no reason written)".to_string()
        } else {
            reason
        };
        *by_reason.entry(reason).or_default() += 1;
        if let Some((_, rest)) = detail.split_once("got 0A000: ") {
            let construct = rest.split(';').next().unwrap_or(rest).trim().to_string();
            *by_construct.entry(construct).or_default() += 1;
        }
    }
    let table = |title: &str, map: BTreeMap<String, usize>| {
        let mut rows: Vec<(String, usize)> = map.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut out = format!("\n### {title}\n\n| cases | {title} |\n| ---: | --- |\n");
        for (k, n) in rows {
            let _ = writeln!(out, "| {n} | {} |", cell(&k, 200));
        }
        out
    };
    format!(
        "\n## Families\n{}{}",
        table("reason", by_reason),
        table("unsupported construct (0A000)", by_construct)
    )
}

pub fn write(root: &Path, results: &[FileResult], summary: &Summary) {
    let mut md = String::from(
        "# Differential corpus: pgrq against PostgreSQL 15\n\n\
         Generated by `cargo test --test differential` (needs rqlited; see\n\
         `tests/differential/main.rs`). Expected results are recorded from PostgreSQL 15 by\n\
         `compat/sql/record`; every file runs in a fresh database (3 replicas), once per\n\
         protocol: simple = Query messages, extended = Parse/Bind/Execute with binary results\n\
         (tokio-postgres).\n\
         Failing cases: `compat/KNOWN_GAPS.md`.\n\n\
         | file | cases | simple | extended |\n| --- | ---: | ---: | ---: |\n",
    );
    for r in results {
        let _ = writeln!(
            md,
            "| {}.slt | {} | {} ({:.1}%) | {} ({:.1}%) |",
            r.name,
            r.total,
            r.passed[0],
            pct(r.passed[0], r.total),
            r.passed[1],
            pct(r.passed[1], r.total)
        );
    }
    let _ = writeln!(
        md,
        "| **total** | **{}** | **{} ({:.1}%)** | **{} ({:.1}%)** |",
        summary.total,
        summary.passed[0],
        summary.percent(Protocol::Simple),
        summary.passed[1],
        summary.percent(Protocol::Extended)
    );
    let diffs: Vec<&TypeDiff> = results.iter().flat_map(|r| &r.type_diffs).collect();
    let _ = write!(
        md,
        "\nColumn types: {} queries that pass in the extended protocol announce other kinds of\n\
         column types in Describe than PostgreSQL (`I` integer, `R` numeric/float, `T` other);\n\
         not counted above, listed at the end of `compat/KNOWN_GAPS.md`.\n",
        diffs.len()
    );
    let path = root.join("compat/sql/RESULTS.md");
    std::fs::write(&path, md).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));

    let reasons = Reasons::load(root);
    // (file, line) → (protocols, sql, detail of the first protocol that failed)
    let mut cases: Cases = BTreeMap::new();
    for f in results.iter().flat_map(|r| &r.failures) {
        let entry = cases
            .entry((f.file.clone(), f.line))
            .or_insert_with(|| (Vec::new(), f.sql.clone(), f.detail.clone()));
        entry.0.push(f.protocol.name());
        if entry.2 != f.detail {
            entry.2 = format!("{}{EXTENDED_TOO}{}", entry.2, f.detail);
        }
    }
    let mut gaps = format!(
        "# Known gaps: corpus cases pgrq fails\n\n\
         Generated by `cargo test --test differential` from `compat/sql/cases`; the reason\n\
         column comes from `compat/sql/gap_reasons.tsv` (`file.slt:LINE` or `~text in the\n\
         difference`, a tab, the reason). A case that fails because an earlier statement of its\n\
         file failed (e.g. `42P01` after a failed CREATE TABLE) is listed with that symptom.\n\
         The compat suite's client failures (drivers and ORMs, `compat/RESULTS.md`) are listed\n\
         with their reasons in [CLIENT_GAPS.md](CLIENT_GAPS.md).\n\
         {} of {} cases fail in at least one protocol.\n",
        cases.len(),
        summary.total
    );
    gaps.push_str(&families(&cases, &reasons));
    let mut stale: Vec<&String> = reasons
        .cases
        .keys()
        .filter(|k| {
            k.rsplit_once(':')
                .and_then(|(f, l)| Some((f.to_string(), l.parse().ok()?)))
                .is_none_or(|key| !cases.contains_key(&key))
        })
        .collect();
    stale.sort();
    for k in stale {
        println!("gap_reasons.tsv: {k} no longer fails; remove its reason");
    }
    let mut current = String::new();
    for ((file, line), (protocols, sql, detail)) in &cases {
        if *file != current {
            let _ = write!(
                gaps,
                "\n## {file}\n\n| case | protocols | SQL | PostgreSQL vs pgrq | reason |\n| --- | --- | --- | --- | --- |\n"
            );
            current = file.clone();
        }
        let key = format!("{file}:{line}");
        let reason = reasons.get(&key, detail);
        let _ = writeln!(
            gaps,
            "| {key} | {} | `{}` | {} | {} |",
            protocols.join(", "),
            cell(sql, 100).replace('`', "'"),
            cell(detail, 200),
            cell(&reason, 200)
        );
    }
    let _ = write!(
        gaps,
        "\n## Column types announced differently (values pass; not counted)\n\n\
         Describe in the extended protocol, as `I` integer, `R` numeric/float, `T` other.\n\n\
         | case | SQL | PostgreSQL | pgrq |\n| --- | --- | --- | --- |\n"
    );
    for d in diffs {
        let _ = writeln!(
            gaps,
            "| {}:{} | `{}` | {} | {} |",
            d.file,
            d.line,
            cell(&d.sql, 100).replace('`', "'"),
            d.want,
            d.got
        );
    }
    let path = root.join("compat/KNOWN_GAPS.md");
    std::fs::write(&path, gaps).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
