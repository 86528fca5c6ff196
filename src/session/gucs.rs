//! Session parameters (GUCs): their defaults, which ones PostgreSQL reports to the client
//! with ParameterStatus (at startup and again whenever they change), and which values pgrq
//! accepts for the ones whose value changes what it does.

use std::collections::BTreeMap;

use crate::error::{PgError, codes};

/// The PostgreSQL version pgrq presents; drivers and psql choose their queries from it.
pub const SERVER_VERSION: &str = "15.8";
/// `server_version_num` for `SHOW server_version_num` / `current_setting`.
pub const SERVER_VERSION_NUM: &str = "150008";

pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (pgrq {}) on x86_64-pc-linux-gnu, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION")
    )
}

/// (name as PostgreSQL spells it, default, reported with ParameterStatus).
const KNOWN: &[(&str, &str, bool)] = &[
    ("application_name", "", true),
    ("client_encoding", "UTF8", true),
    ("DateStyle", "ISO, MDY", true),
    ("default_transaction_read_only", "off", true),
    ("in_hot_standby", "off", true),
    ("integer_datetimes", "on", true),
    ("IntervalStyle", "postgres", true),
    ("is_superuser", "off", true),
    ("server_encoding", "UTF8", true),
    ("server_version", SERVER_VERSION, true),
    ("session_authorization", "", true),
    ("standard_conforming_strings", "on", true),
    ("TimeZone", "UTC", true),
    ("server_version_num", SERVER_VERSION_NUM, false),
    ("search_path", "\"$user\", public", false),
    ("transaction_isolation", "read committed", false),
    ("default_transaction_isolation", "read committed", false),
    ("transaction_read_only", "off", false),
    ("extra_float_digits", "1", false),
    ("client_min_messages", "notice", false),
    ("statement_timeout", "0", false),
    ("lock_timeout", "0", false),
    ("idle_in_transaction_session_timeout", "0", false),
    ("bytea_output", "hex", false),
    ("jit", "off", false),
    ("max_identifier_length", "63", false),
    ("max_index_keys", "32", false),
    ("max_function_args", "100", false),
    ("block_size", "8192", false),
    ("pgrq.read_consistency", "linearizable", false),
];

/// Parameters fixed by the server: SET on them fails like it does in PostgreSQL.
const READ_ONLY: &[&str] = &[
    "server_version",
    "server_version_num",
    "server_encoding",
    "integer_datetimes",
    "in_hot_standby",
    "is_superuser",
    "max_identifier_length",
    "max_index_keys",
    "max_function_args",
    "block_size",
];

#[derive(Debug, Clone)]
pub struct Gucs {
    /// Keyed by lower-cased name; value keeps PostgreSQL's display name.
    values: BTreeMap<String, (String, String)>,
    /// ParameterStatus messages owed to the client.
    changed: Vec<(String, String)>,
}

fn canonical(name: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, _, _)| *n)
}

fn is_reported(name: &str) -> bool {
    KNOWN
        .iter()
        .any(|(n, _, reported)| *reported && n.eq_ignore_ascii_case(name))
}

impl Gucs {
    /// Defaults, then what the client sent in its startup packet (`user` and `database`
    /// are not parameters; `options` is not interpreted).
    pub fn new(user: &str, startup: &BTreeMap<String, String>) -> Result<Gucs, PgError> {
        let mut g = Gucs {
            values: BTreeMap::new(),
            changed: Vec::new(),
        };
        for (name, default, _) in KNOWN {
            g.values.insert(
                name.to_ascii_lowercase(),
                ((*name).to_string(), (*default).to_string()),
            );
        }
        g.put("session_authorization", user.to_string());
        for (k, v) in startup {
            if matches!(k.as_str(), "user" | "database" | "options" | "replication") {
                continue;
            }
            g.set(k, Some(v))?;
        }
        g.changed.clear();
        Ok(g)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(&name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter PostgreSQL reports at startup, with its current value.
    pub fn reported(&self) -> Vec<(String, String)> {
        self.values
            .values()
            .filter(|(n, _)| is_reported(n))
            .cloned()
            .collect()
    }

    /// ParameterStatus messages to send since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.changed)
    }

    /// `SET name = value` (`None` = DEFAULT).
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), PgError> {
        let lname = name.to_ascii_lowercase();
        if READ_ONLY.iter().any(|r| *r == lname) {
            return Err(PgError::new(
                "55P02",
                format!("parameter \"{lname}\" cannot be changed now"),
            ));
        }
        let display = match canonical(&lname) {
            Some(n) => n.to_string(),
            // Custom (dotted) parameters are free-form, as in PostgreSQL.
            None if lname.contains('.') => lname.clone(),
            None => {
                return Err(PgError::new(
                    codes::UNDEFINED_OBJECT,
                    format!("unrecognized configuration parameter \"{name}\""),
                ));
            }
        };
        let value = match value {
            None => KNOWN
                .iter()
                .find(|(n, _, _)| n.eq_ignore_ascii_case(&lname))
                .map(|(_, d, _)| (*d).to_string())
                .unwrap_or_default(),
            Some(v) => normalise(&lname, v)?,
        };
        self.put(&display, value);
        Ok(())
    }

    /// `RESET name` / `RESET ALL`.
    pub fn reset(&mut self, name: Option<&str>) -> Result<(), PgError> {
        match name {
            Some(n) => self.set(n, None),
            None => {
                for (n, d, _) in KNOWN {
                    if READ_ONLY.contains(n) || *n == "session_authorization" {
                        continue;
                    }
                    if self.get(n) != Some(d) {
                        self.put(n, (*d).to_string());
                    }
                }
                Ok(())
            }
        }
    }

    /// `SHOW name`: the value, or 42704 for an unknown parameter.
    pub fn show(&self, name: &str) -> Result<(String, String), PgError> {
        self.values
            .get(&name.to_ascii_lowercase())
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .ok_or_else(|| {
                PgError::new(
                    codes::UNDEFINED_OBJECT,
                    format!("unrecognized configuration parameter \"{name}\""),
                )
            })
    }

    /// All parameters, for `SHOW ALL`.
    pub fn all(&self) -> Vec<(String, String)> {
        self.values.values().cloned().collect()
    }

    fn put(&mut self, display: &str, value: String) {
        let key = display.to_ascii_lowercase();
        let unchanged = self.values.get(&key).is_some_and(|(_, v)| *v == value);
        self.values
            .insert(key, (display.to_string(), value.clone()));
        if !unchanged && is_reported(display) {
            self.changed.push((display.to_string(), value));
        }
    }
}

/// Checks and normalises values whose meaning pgrq depends on.
fn normalise(name: &str, value: &str) -> Result<String, PgError> {
    let v = value.trim().trim_matches('\'');
    let bad = |why: &str| {
        PgError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"{name}\": \"{value}\""),
        )
        .with_hint(why.to_string())
    };
    match name {
        "client_encoding" => {
            let up = v.to_ascii_uppercase().replace('-', "");
            if up == "UTF8" || up == "UNICODE" {
                Ok("UTF8".into())
            } else {
                Err(PgError::new(
                    codes::FEATURE_NOT_SUPPORTED,
                    format!("client encoding \"{v}\" is not supported: pgrq speaks UTF8 only"),
                ))
            }
        }
        "datestyle" => {
            if v.to_ascii_uppercase().starts_with("ISO") {
                Ok("ISO, MDY".into())
            } else {
                Err(bad("only the ISO date style is supported"))
            }
        }
        "timezone" => {
            let up = v.to_ascii_uppercase();
            let utc = matches!(
                up.as_str(),
                "UTC"
                    | "ETC/UTC"
                    | "GMT"
                    | "ETC/GMT"
                    | "Z"
                    | "ZULU"
                    | "UCT"
                    | "UNIVERSAL"
                    | "+00:00"
                    | "00:00"
                    | "+00"
                    | "0"
                    | "-00:00"
                    | "LOCAL"
                    | "DEFAULT"
            );
            if utc {
                Ok(if up == "ETC/UTC" {
                    "Etc/UTC".into()
                } else {
                    "UTC".into()
                })
            } else {
                Err(bad(
                    "pgrq stores and prints timestamps in UTC only; use TimeZone = 'UTC'",
                ))
            }
        }
        "pgrq.read_consistency" => match v.to_ascii_lowercase().as_str() {
            l @ ("linearizable" | "weak" | "none" | "strong") => Ok(l.to_string()),
            _ => Err(bad("use linearizable, weak, none or strong")),
        },
        "transaction_isolation" | "default_transaction_isolation" => {
            match v.to_ascii_lowercase().as_str() {
                l
                @ ("read uncommitted" | "read committed" | "repeatable read" | "serializable") => {
                    Ok(l.to_string())
                }
                _ => Err(bad("use read committed, repeatable read or serializable")),
            }
        }
        "default_transaction_read_only" | "transaction_read_only" => {
            match v.to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" | "1" => Ok("on".into()),
                "off" | "false" | "no" | "0" => Ok("off".into()),
                _ => Err(bad("use on or off")),
            }
        }
        "standard_conforming_strings" => match v.to_ascii_lowercase().as_str() {
            "on" | "true" | "1" => Ok("on".into()),
            _ => Err(bad("pgrq supports standard_conforming_strings = on only")),
        },
        _ => Ok(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reports_the_postgres_15_set() {
        let g = Gucs::new("demo", &startup(&[("application_name", "psql")])).unwrap();
        let r: BTreeMap<_, _> = g.reported().into_iter().collect();
        for k in [
            "application_name",
            "client_encoding",
            "DateStyle",
            "default_transaction_read_only",
            "in_hot_standby",
            "integer_datetimes",
            "IntervalStyle",
            "is_superuser",
            "server_encoding",
            "server_version",
            "session_authorization",
            "standard_conforming_strings",
            "TimeZone",
        ] {
            assert!(r.contains_key(k), "missing {k}");
        }
        assert_eq!(r["application_name"], "psql");
        assert_eq!(r["session_authorization"], "demo");
        assert_eq!(r["server_version"], SERVER_VERSION);
    }

    #[test]
    fn startup_params_from_drivers_are_accepted() {
        // asyncpg quotes the encoding; sqlx and pgjdbc send these.
        let g = Gucs::new(
            "demo",
            &startup(&[
                ("client_encoding", "'utf-8'"),
                ("DateStyle", "ISO, MDY"),
                ("TimeZone", "UTC"),
                ("extra_float_digits", "2"),
            ]),
        )
        .unwrap();
        assert_eq!(g.get("client_encoding"), Some("UTF8"));
        assert_eq!(g.get("extra_float_digits"), Some("2"));
    }

    #[test]
    fn set_reports_changes_once() {
        let mut g = Gucs::new("demo", &BTreeMap::new()).unwrap();
        g.set("application_name", Some("app1")).unwrap();
        g.set("extra_float_digits", Some("3")).unwrap();
        g.set("Application_Name", Some("app1")).unwrap();
        assert_eq!(
            g.take_changes(),
            vec![("application_name".to_string(), "app1".to_string())]
        );
        assert!(g.take_changes().is_empty());
    }

    #[test]
    fn unknown_readonly_and_bad_values() {
        let mut g = Gucs::new("demo", &BTreeMap::new()).unwrap();
        assert_eq!(g.set("no_such_thing", Some("1")).unwrap_err().code, "42704");
        assert_eq!(g.show("no_such_thing").unwrap_err().code, "42704");
        assert_eq!(
            g.set("server_version", Some("9")).unwrap_err().code,
            "55P02"
        );
        assert_eq!(
            g.set("TimeZone", Some("Europe/Paris")).unwrap_err().code,
            "22023"
        );
        assert_eq!(
            g.set("client_encoding", Some("LATIN1")).unwrap_err().code,
            "0A000"
        );
        assert_eq!(
            g.set("pgrq.read_consistency", Some("eventual"))
                .unwrap_err()
                .code,
            "22023"
        );
        g.set("pgrq.read_consistency", Some("weak")).unwrap();
        assert_eq!(g.get("pgrq.read_consistency"), Some("weak"));
        g.set("myapp.tenant", Some("42")).unwrap();
        assert_eq!(g.show("myapp.tenant").unwrap().1, "42");
    }

    #[test]
    fn reset_restores_defaults() {
        let mut g = Gucs::new("demo", &BTreeMap::new()).unwrap();
        g.set("application_name", Some("x")).unwrap();
        g.set("pgrq.read_consistency", Some("none")).unwrap();
        g.take_changes();
        g.reset(None).unwrap();
        assert_eq!(g.get("application_name"), Some(""));
        assert_eq!(g.get("pgrq.read_consistency"), Some("linearizable"));
        assert_eq!(
            g.take_changes(),
            vec![("application_name".to_string(), String::new())]
        );
        g.set("statement_timeout", Some("5s")).unwrap();
        g.reset(Some("statement_timeout")).unwrap();
        assert_eq!(g.get("statement_timeout"), Some("0"));
    }
}
