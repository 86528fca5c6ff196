//! Enum types of the model: read from a `pgrq_enum_<e>` view or from the CHECK a column
//! carries under its `pgrq_type_<enum>` marker. It must not read tables or sequences.

use sqlparser::ast::{CreateView, Expr};

use super::*;

impl Model {
    /// An enum type is self-described by the CHECK its columns carry under their
    /// `pgrq_type_<enum>` marker: `CHECK (col IN ('sad', 'ok', 'happy'))`, labels in order.
    /// An enum type from its `pgrq_enum_<e>` view: `VALUES (1, 'a'), (2, 'b'), …`.
    pub(super) fn enum_from_view(&mut self, name: &str, cv: &CreateView) {
        if self.enums.iter().any(|e| e.name == name) {
            return;
        }
        let sqlparser::ast::SetExpr::Values(values) = cv.query.body.as_ref() else {
            return;
        };
        let labels: Option<Vec<String>> = values
            .rows
            .iter()
            .map(|row| match row.get(1) {
                Some(Expr::Value(v)) => match &v.value {
                    sqlparser::ast::Value::SingleQuotedString(s) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if let Some(labels) = labels {
            self.enums.push(EnumType {
                name: name.to_string(),
                labels,
            });
        }
    }

    pub(super) fn enum_from_check(&mut self, name: &str, check: &Expr) {
        if pgtypes::builtin_named(name).is_some() || self.enums.iter().any(|e| e.name == name) {
            return;
        }
        let Expr::InList {
            list,
            negated: false,
            ..
        } = check
        else {
            return;
        };
        let labels: Option<Vec<String>> = list
            .iter()
            .map(|e| match e {
                Expr::Value(v) => match &v.value {
                    sqlparser::ast::Value::SingleQuotedString(s) => Some(s.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if let Some(labels) = labels {
            self.enums.push(EnumType {
                name: name.to_string(),
                labels,
            });
        }
    }
}
