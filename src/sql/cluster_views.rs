//! `pgrq.nodes` and `pgrq.databases`: read-only views of the cluster that a SELECT may
//! read (alone, or with each other). Recognised here from the AST; the session answers
//! them from what its backend knows of the cluster. Pure.

use std::ops::ControlFlow;

use sqlparser::ast::{ObjectName, Statement, Visit, Visitor};

use super::{StatementKind, Translated};

/// The schema the views live in.
pub const SCHEMA: &str = "pgrq";
/// The views' names.
pub const VIEWS: &[&str] = &["nodes", "databases"];

/// The statement as a cluster view query, or `None` when it reads no `pgrq.` relation.
/// Mixing the views with other tables is refused.
pub(crate) fn translate(stmt: &Statement) -> Result<Option<Translated>, super::SqlError> {
    let Statement::Query(_) = stmt else {
        return Ok(None);
    };
    struct V {
        views: bool,
        other: Vec<String>,
    }
    impl Visitor for V {
        type Break = ();
        fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
                .collect();
            match parts.as_slice() {
                [s, n] if s == SCHEMA && VIEWS.contains(&n.as_str()) => self.views = true,
                _ => self.other.push(parts.join(".")),
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = V {
        views: false,
        other: Vec::new(),
    };
    let _ = stmt.visit(&mut v);
    if !v.views {
        return Ok(None);
    }
    if !v.other.is_empty() {
        return Err(super::SqlError::unsupported(format!(
            "a query that reads pgrq.nodes/pgrq.databases and other tables ({})",
            v.other.join(", ")
        )));
    }
    // PostgreSQL's output column names (`count`, not `count(*)`).
    let mut named = stmt.clone();
    super::names::name_outputs(&mut named);
    Ok(Some(Translated {
        kind: StatementKind::ClusterView,
        sqlite: Some(named.to_string()),
        param_count: 0,
        param_types: Vec::new(),
        returning: false,
        tag: "SELECT".into(),
        needs_database: false,
        column_types: Vec::new(),
        column_scales: Vec::new(),
        column_avgs: Vec::new(),
        array_params: Vec::new(),
        uses_clock: false,
        sequence: None,
    }))
}

#[cfg(test)]
mod tests {
    use crate::sql::test_support::{err, tr};

    use super::*;

    #[test]
    fn views_are_recognised_and_mixing_is_refused() {
        let t = tr("SELECT id FROM pgrq.nodes WHERE healthy ORDER BY id");
        assert_eq!(t.kind, StatementKind::ClusterView);
        let t = tr(
            "SELECT d.name, n.proxy_address FROM pgrq.databases d JOIN pgrq.nodes n ON n.id = d.leader",
        );
        assert_eq!(t.kind, StatementKind::ClusterView);
        assert_ne!(tr("SELECT 1").kind, StatementKind::ClusterView);
        assert!(
            err("SELECT * FROM pgrq.nodes, t")
                .to_string()
                .contains("pgrq.nodes")
        );
    }
}
