//! SQL-level prepared statements: `PREPARE name [(types)] AS statement`, `EXECUTE
//! name(args)` and `DEALLOCATE`, kept per session like the protocol's named statements.
//! The body is translated once at PREPARE; EXECUTE evaluates its argument expressions
//! (cast to the declared types) as one constant SELECT and binds the row as parameters.

use std::collections::HashMap;

use super::{PgError, Reply, Session, Value};
use crate::error::codes;
use crate::sql::{PgType, StatementKind, Translated, floats};

/// Name → (translated body, declared parameter types).
pub(super) type SqlPrepared = HashMap<String, (Translated, Vec<String>)>;

impl Session {
    pub(super) fn prepare_sql(
        &mut self,
        name: &str,
        types: &[String],
        body: &str,
    ) -> Result<Reply, PgError> {
        if self.sql_prepared.contains_key(name) {
            return Err(PgError::new(
                codes::DUPLICATE_PREPARED_STATEMENT,
                format!("prepared statement \"{name}\" already exists"),
            ));
        }
        let mut stmts = self.translate(body)?;
        let body = match (stmts.pop(), stmts.is_empty()) {
            (Some(t), true) => t,
            _ => {
                return Err(PgError::new(
                    codes::SYNTAX_ERROR,
                    "PREPARE takes exactly one statement",
                ));
            }
        };
        if matches!(
            body.kind,
            StatementKind::PrepareSql { .. } | StatementKind::ExecuteSql { .. }
        ) {
            return Err(PgError::new(
                codes::SYNTAX_ERROR,
                "PREPARE of PREPARE or EXECUTE is not allowed",
            ));
        }
        self.sql_prepared
            .insert(name.to_string(), (body, types.to_vec()));
        Ok(Reply::command("PREPARE"))
    }

    pub(super) async fn execute_sql(
        &mut self,
        name: &str,
        args: &[String],
    ) -> Result<Reply, PgError> {
        let Some((body, types)) = self.sql_prepared.get(name).cloned() else {
            return Err(PgError::new(
                codes::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement \"{name}\" does not exist"),
            ));
        };
        if args.len() != body.param_count {
            return Err(PgError::new(
                codes::SYNTAX_ERROR,
                format!(
                    "wrong number of parameters for prepared statement \"{name}\": \
                     expected {}, got {}",
                    body.param_count,
                    args.len()
                ),
            ));
        }
        let params = if args.is_empty() {
            Vec::new()
        } else {
            self.evaluate(args, &types).await?
        };
        self.run_inner(&body, params).await
    }

    /// The values of `args` (each cast to its declared type, if any), from one SELECT.
    async fn evaluate(&mut self, args: &[String], types: &[String]) -> Result<Vec<Value>, PgError> {
        let exprs: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(i, a)| match types.get(i) {
                Some(t) => format!("CAST(({a}) AS {t})"),
                None => format!("({a})"),
            })
            .collect();
        let select = self.translate(&format!("SELECT {}", exprs.join(", ")))?;
        let [t] = select.as_slice() else {
            return Err(PgError::new(codes::SYNTAX_ERROR, "bad EXECUTE arguments"));
        };
        match Box::pin(self.run_inner(t, Vec::new())).await? {
            Reply::Rows {
                mut rows, columns, ..
            } if rows.len() == 1 => {
                let row = rows.remove(0);
                // A special float comes back as text ('Infinity'); bind it the way a
                // parameter of that value is bound (`sql::floats`).
                Ok(row
                    .into_iter()
                    .zip(columns.iter().map(|c| c.pg_type))
                    .map(|(v, t)| match (v, t) {
                        (Value::Text(s), PgType::Float4 | PgType::Float8) => {
                            match floats::parse_input(&s) {
                                Some(f) => floats::param_text(f)
                                    .map_or(Value::Real(f), |t| Value::Text(t.into())),
                                None => Value::Text(s),
                            }
                        }
                        (v, _) => v,
                    })
                    .collect())
            }
            _ => Err(PgError::new(
                codes::INTERNAL_ERROR,
                "EXECUTE arguments did not evaluate to one row",
            )),
        }
    }

    /// Forgets statements for `DEALLOCATE name`, `DEALLOCATE ALL` and `DISCARD ALL`; returns
    /// the tag unchanged.
    pub(super) fn deallocate_sql<'a>(&mut self, tag: &'a str) -> &'a str {
        match tag {
            "DISCARD ALL" | "DEALLOCATE ALL" => self.sql_prepared.clear(),
            _ => {
                if let Some(name) = tag.strip_prefix("DEALLOCATE ") {
                    self.sql_prepared.remove(name);
                }
            }
        }
        tag
    }
}
