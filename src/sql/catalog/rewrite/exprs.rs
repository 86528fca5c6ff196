//! The expressions of a catalog query: `pg_catalog.` names, regex operators, `COLLATE`,
//! `reg*` casts and other casts, arrays and subscripts, session values, `$n` parameters
//! and the columns of set-returning functions in scope. It must not replace table
//! factors (that is `set_returning`).

use super::*;

pub(super) struct Exprs<'a> {
    pub(super) ctx: &'a Context,
    pub(super) columns: &'a SrfColumns,
    /// The FROM names of each query being visited, outermost first: a bare name reads a
    /// set-returning function's column only where that function is in scope.
    pub(super) scopes: Vec<Vec<String>>,
}

impl VisitorMut for Exprs<'_> {
    type Break = SqlError;

    /// A select-list item that is a set-returning function's column keeps its name
    /// (`SELECT s.r FROM generate_series(…) AS s(r)` is read by an outer query as `.r`,
    /// while `json_each` calls it `value`).
    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<SqlError> {
        // `(SELECT …) UNION ALL (SELECT …)`: SQLite takes no parenthesised members.
        if let Err(e) = crate::sql::rewrite::flatten_set_operation(&mut q.body) {
            return ControlFlow::Break(e);
        }
        self.scopes.push(srf_scope::from_names(&q.body));
        if let SetExpr::Select(select) = q.body.as_mut() {
            for item in &mut select.projection {
                // An unquoted alias is folded to lower case, as PostgreSQL names the
                // column, and quoted, so that SQLite keywords (`AS primary`) stay names.
                if let SelectItem::ExprWithAlias { alias, .. } = item
                    && alias.quote_style.is_none()
                {
                    *alias = Ident::with_quote('"', alias.value.to_lowercase());
                }
                let SelectItem::UnnamedExpr(e) = item else {
                    continue;
                };
                let named = match e {
                    Expr::Identifier(id) if self.columns.contains_key(&id.value.to_lowercase()) => {
                        Some(id.clone())
                    }
                    Expr::CompoundIdentifier(parts)
                        if parts.len() == 2
                            && self
                                .columns
                                .get(&parts[1].value.to_lowercase())
                                .is_some_and(|(a, _)| *a == parts[0].value.to_lowercase()) =>
                    {
                        Some(parts[1].clone())
                    }
                    _ => None,
                };
                if let Some(alias) = named {
                    *item = SelectItem::ExprWithAlias {
                        expr: e.clone(),
                        alias,
                    };
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<SqlError> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn post_visit_value(&mut self, v: &mut ValueWithSpan) -> ControlFlow<SqlError> {
        let v = &mut v.value;
        match v {
            Value::EscapedStringLiteral(s) => *v = Value::SingleQuotedString(std::mem::take(s)),
            Value::Placeholder(p) if p.starts_with('$') => *p = format!("?{}", &p[1..]),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<SqlError> {
        match self.expr(e) {
            Ok(Some(new)) => *e = new,
            Ok(None) => {}
            Err(err) => return ControlFlow::Break(err),
        }
        ControlFlow::Continue(())
    }
}

impl Exprs<'_> {
    fn in_scope(&self, alias: &str) -> bool {
        self.scopes.iter().flatten().any(|n| n == alias)
    }

    fn expr(&self, e: &mut Expr) -> Result<Option<Expr>, SqlError> {
        Ok(Some(match e {
            Expr::Identifier(id) => {
                let name = id.value.to_lowercase();
                if id.quote_style.is_none()
                    && let Some(lit) = self.session_value(&name)
                {
                    return Ok(Some(lit));
                }
                match self.columns.get(&name) {
                    Some((alias, col)) if self.in_scope(alias) => compound(alias, col),
                    _ => return Ok(None),
                }
            }
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let alias = parts[0].value.to_lowercase();
                match self.columns.get(&parts[1].value.to_lowercase()) {
                    Some((a, col)) if *a == alias => compound(a, col),
                    _ => return Ok(None),
                }
            }
            Expr::Collate { expr, .. } => (**expr).clone(),
            Expr::Cast {
                expr, data_type, ..
            } => cast(expr, &data_type.to_string())?,
            Expr::BinaryOp { left, op, right } => {
                let (negate, flags) = match op {
                    BinaryOperator::PGRegexMatch => (false, ""),
                    BinaryOperator::PGRegexIMatch => (false, "i"),
                    BinaryOperator::PGRegexNotMatch => (true, ""),
                    BinaryOperator::PGRegexNotIMatch => (true, "i"),
                    BinaryOperator::PGCustomBinaryOperator(parts) => {
                        let op = custom_operator(parts)?;
                        if let Some(op) = op {
                            *e = Expr::BinaryOp {
                                left: left.clone(),
                                op,
                                right: right.clone(),
                            };
                            return self.expr(e);
                        }
                        return Ok(None);
                    }
                    _ => return Ok(None),
                };
                let call = func(
                    "pgrq_regex",
                    vec![
                        (**left).clone(),
                        (**right).clone(),
                        Expr::value(Value::SingleQuotedString(flags.into())),
                    ],
                );
                if negate {
                    Expr::UnaryOp {
                        op: sqlparser::ast::UnaryOperator::Not,
                        expr: Box::new(call),
                    }
                } else {
                    call
                }
            }
            // The catalog connection's LIKE is case-sensitive; PostgreSQL's default escape
            // character is `\`.
            Expr::Like {
                escape_char: escape_char @ None,
                ..
            } => {
                *escape_char = Some(Box::new(text("\\")));
                return Ok(None);
            }
            Expr::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => Expr::Like {
                negated: *negated,
                any: *any,
                expr: Box::new(func("lower", vec![(**expr).clone()])),
                pattern: Box::new(func("lower", vec![(**pattern).clone()])),
                escape_char: escape_char.clone().or(Some(Box::new(text("\\")))),
            },
            Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => match (compare_op, right.as_ref()) {
                (BinaryOperator::Eq, Expr::Subquery(q)) => Expr::InSubquery {
                    expr: left.clone(),
                    subquery: q.clone(),
                    negated: false,
                },
                (BinaryOperator::Eq, r) => func("pgrq_any_eq", vec![(**left).clone(), r.clone()]),
                (op, _) => {
                    return Err(SqlError::unsupported(format!(
                        "{op} ANY over an array in a catalog query"
                    )));
                }
            },
            Expr::AllOp {
                left,
                compare_op: BinaryOperator::NotEq,
                right,
            } => Expr::UnaryOp {
                op: sqlparser::ast::UnaryOperator::Not,
                expr: Box::new(func(
                    "pgrq_any_eq",
                    vec![(**left).clone(), (**right).clone()],
                )),
            },
            Expr::Array(arr) => func("pgrq_array", arr.elem.clone()),
            // `(composite).field`: composite values are JSON objects here (see `srf`).
            Expr::CompoundFieldAccess { root, access_chain }
                if matches!(**root, Expr::Nested(_))
                    && matches!(
                        access_chain.as_slice(),
                        [AccessExpr::Dot(Expr::Identifier(_))]
                    ) =>
            {
                let [AccessExpr::Dot(Expr::Identifier(field))] = access_chain.as_slice() else {
                    return Ok(None);
                };
                func(
                    "json_extract",
                    vec![
                        (**root).clone(),
                        text(&format!("$.{}", field.value.to_lowercase())),
                    ],
                )
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                let mut out = (**root).clone();
                for access in access_chain.iter() {
                    match access {
                        AccessExpr::Subscript(Subscript::Index { index }) => {
                            out = func("pgrq_array_get", vec![out, index.clone()]);
                        }
                        // `c.confkey[1]` arrives as `c` . `confkey` [1].
                        AccessExpr::Dot(Expr::Identifier(field)) => {
                            out = match out {
                                Expr::Identifier(first) => {
                                    Expr::CompoundIdentifier(vec![first, field.clone()])
                                }
                                Expr::CompoundIdentifier(mut parts) => {
                                    parts.push(field.clone());
                                    Expr::CompoundIdentifier(parts)
                                }
                                other => {
                                    return Err(SqlError::unsupported(format!(
                                        "field access on {other} in a catalog query"
                                    )));
                                }
                            };
                        }
                        other => {
                            return Err(SqlError::unsupported(format!(
                                "array access {other} in a catalog query"
                            )));
                        }
                    }
                }
                out
            }
            // TRIM([LEADING|TRAILING|BOTH] [chars] FROM x) → ltrim/rtrim/trim(x[, chars]).
            Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let name = match trim_where {
                    Some(sqlparser::ast::TrimWhereField::Leading) => "ltrim",
                    Some(sqlparser::ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "trim",
                };
                let mut args = vec![(**expr).clone()];
                if let Some(w) = trim_what {
                    args.push((**w).clone());
                } else if let Some(c) = trim_characters.as_ref().and_then(|c| c.first()) {
                    args.push(c.clone());
                }
                func(name, args)
            }
            Expr::Function(f) => return self.function(f),
            _ => return Ok(None),
        }))
    }

    /// `current_user`, `current_schema` … spelled without parentheses.
    fn session_value(&self, name: &str) -> Option<Expr> {
        let s = match name {
            "current_user" | "session_user" | "current_role" | "user" => &self.ctx.user,
            "current_catalog" => &self.ctx.database,
            "current_schema" => &self.ctx.schema,
            _ => return None,
        };
        Some(text(s))
    }

    fn function(&self, f: &mut Function) -> Result<Option<Expr>, SqlError> {
        let parts: Vec<String> = f
            .name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
            .collect();
        let name = match parts.as_slice() {
            [n] => n.clone(),
            [s, n] if s == "pg_catalog" => n.clone(),
            _ => {
                return Err(SqlError::unsupported(format!(
                    "function {} in a catalog query",
                    f.name
                )));
            }
        };
        if let Some(v) = self.session_value(&name) {
            return Ok(Some(v));
        }
        let rename = |f: &mut Function, to: &str| f.name = ObjectName::from(vec![Ident::new(to)]);
        match name.as_str() {
            "array" => {
                let FunctionArguments::Subquery(q) = &f.args else {
                    return Err(SqlError::unsupported("ARRAY(...) without a subquery"));
                };
                return array_of(q).map(Some);
            }
            "current_database" => return Ok(Some(text(&self.ctx.database))),
            "version" => return Ok(Some(text(&self.ctx.version))),
            "string_agg" => rename(f, "group_concat"),
            "array_agg" => rename(f, "pgrq_array_agg"),
            "json_build_object" | "jsonb_build_object" => rename(f, "json_object"),
            "json_build_array" | "jsonb_build_array" => rename(f, "json_array"),
            "json_agg" | "jsonb_agg" => rename(f, "json_group_array"),
            "substring" => rename(f, "substr"),
            _ => rename(f, &name),
        }
        Ok(None)
    }
}
