//! Database names as clients give them (`dbname=<app>_<db>`), validated before they touch
//! a path, a process argument or the catalog.

use std::fmt;

use crate::config::MAX_DATABASE_NAME;
use crate::error::{PgError, codes};

/// A validated database name: `[a-z0-9_]`, at most `MAX_DATABASE_NAME` bytes, of the form
/// `<app>_<db>` where `<app>` is the owning application.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DbName {
    full: String,
    app_len: usize,
}

impl DbName {
    /// Validates `name` as a database of application `app` (the logged-in user).
    pub fn for_app(app: &str, name: &str) -> Result<DbName, PgError> {
        if name.is_empty() || name.len() > MAX_DATABASE_NAME {
            return Err(PgError::fatal(
                codes::INVALID_NAME,
                format!("invalid database name: must be 1 to {MAX_DATABASE_NAME} characters"),
            ));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(PgError::fatal(
                codes::INVALID_NAME,
                format!(
                    "invalid database name \"{}\": only lower-case letters, digits and _ are allowed",
                    name.escape_default()
                ),
            ));
        }
        let owned = name
            .strip_prefix(app)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|db| !db.is_empty());
        if !owned {
            return Err(PgError::fatal(
                codes::INVALID_AUTHORIZATION,
                format!(
                    "user \"{app}\" may only connect to databases named {app}_<name>, not \"{name}\""
                ),
            ));
        }
        Ok(DbName {
            full: name.to_string(),
            app_len: app.len(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    pub fn app(&self) -> &str {
        &self.full[..self.app_len]
    }
}

impl fmt::Display for DbName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_own_app() {
        let d = DbName::for_app("demo", "demo_app").unwrap();
        assert_eq!(d.as_str(), "demo_app");
        assert_eq!(d.app(), "demo");
        assert!(DbName::for_app("demo", "demo_a_b_1").is_ok());
    }

    #[test]
    fn rejects_other_apps_and_bad_names() {
        assert_eq!(DbName::for_app("demo", "shop_x").unwrap_err().code, "28000");
        assert_eq!(DbName::for_app("demo", "demo_").unwrap_err().code, "28000");
        assert_eq!(DbName::for_app("demo", "demo").unwrap_err().code, "28000");
        assert_eq!(
            DbName::for_app("demo", "demox_a").unwrap_err().code,
            "28000"
        );
        assert_eq!(
            DbName::for_app("demo", "demo_../x").unwrap_err().code,
            "42602"
        );
        assert_eq!(DbName::for_app("demo", "Demo_A").unwrap_err().code, "42602");
        assert_eq!(DbName::for_app("demo", "").unwrap_err().code, "42602");
        let long = format!("demo_{}", "a".repeat(80));
        assert_eq!(DbName::for_app("demo", &long).unwrap_err().code, "42602");
    }
}
