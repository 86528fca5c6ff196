//! Finding the `rqlited` binary. Only looks; never downloads or builds it
//! (that is `scripts/install-rqlited.sh`'s job).

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::supervisor::SupervisorError;

/// The rqlite release pgrq is built and tested against (≥ v10.3.0 carries
/// the restart-safety fixes for rqlite#2747 and #2759).
pub const RQLITE_VERSION: &str = "v10.3.0";

/// `$PGRQ_CACHE_DIR` if set and non-empty, else `$HOME/.cache/pgrq`
/// (or `<tmp>/pgrq-cache` when `HOME` is unset).
pub fn default_cache_root() -> PathBuf {
    cache_root_from(std::env::var_os("PGRQ_CACHE_DIR"), std::env::var_os("HOME"))
}

fn cache_root_from(pgrq_cache_dir: Option<OsString>, home: Option<OsString>) -> PathBuf {
    match (pgrq_cache_dir, home) {
        (Some(dir), _) if !dir.is_empty() => PathBuf::from(dir),
        (_, Some(home)) if !home.is_empty() => PathBuf::from(home).join(".cache").join("pgrq"),
        _ => std::env::temp_dir().join("pgrq-cache"),
    }
}

/// Finds `rqlited`, in this order:
/// 1. `configured` (the `[rqlite] binary` setting): an error if set but not
///    an executable file;
/// 2. `$PGRQ_RQLITED`: likewise an error if set but not executable;
/// 3. `<cache_root>/rqlite/<version>/rqlited` (install script output);
/// 4. `rqlited` on `$PATH`.
pub fn locate_rqlited(
    configured: Option<&Path>,
    cache_root: &Path,
    version: &str,
) -> Result<PathBuf, SupervisorError> {
    locate_with(
        configured,
        std::env::var_os("PGRQ_RQLITED"),
        cache_root,
        version,
        std::env::var_os("PATH"),
    )
}

fn locate_with(
    configured: Option<&Path>,
    env_override: Option<OsString>,
    cache_root: &Path,
    version: &str,
    path_var: Option<OsString>,
) -> Result<PathBuf, SupervisorError> {
    if let Some(p) = configured {
        return check_explicit(p, "the [rqlite] binary setting");
    }
    if let Some(p) = env_override.filter(|v| !v.is_empty()) {
        return check_explicit(Path::new(&p), "PGRQ_RQLITED");
    }
    let mut looked_in = Vec::new();
    let cached = cache_root.join("rqlite").join(version).join("rqlited");
    if is_executable_file(&cached) {
        return Ok(cached);
    }
    looked_in.push(cached);
    if let Some(path_var) = path_var {
        for dir in std::env::split_paths(&path_var) {
            if dir.as_os_str().is_empty() {
                continue;
            }
            let candidate = dir.join("rqlited");
            if is_executable_file(&candidate) {
                return Ok(candidate);
            }
            looked_in.push(candidate);
        }
    }
    Err(SupervisorError::RqlitedNotFound { looked_in })
}

fn check_explicit(p: &Path, source: &'static str) -> Result<PathBuf, SupervisorError> {
    if is_executable_file(p) {
        Ok(p.to_path_buf())
    } else {
        Err(SupervisorError::NotExecutable {
            path: p.to_path_buf(),
            source_setting: source,
        })
    }
}

fn is_executable_file(p: &Path) -> bool {
    match std::fs::metadata(p) {
        Ok(m) => m.is_file() && m.permissions().mode() & 0o111 != 0,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn script(path: &Path, mode: u32) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "#!/bin/sh\nexit 0\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn configured_path_wins_and_must_be_executable() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("my-rqlited");
        script(&good, 0o755);
        let env = dir.path().join("env-rqlited");
        script(&env, 0o755);
        let got = locate_with(
            Some(&good),
            Some(env.clone().into()),
            dir.path(),
            "v1",
            None,
        );
        assert_eq!(got.unwrap(), good);

        let bad = dir.path().join("not-exec");
        script(&bad, 0o644);
        let err = locate_with(Some(&bad), Some(env.into()), dir.path(), "v1", None).unwrap_err();
        assert!(matches!(err, SupervisorError::NotExecutable { .. }));
        assert!(err.to_string().contains("not-exec"), "{err}");

        let missing = dir.path().join("missing");
        assert!(locate_with(Some(&missing), None, dir.path(), "v1", None).is_err());
        // A directory is not a binary even though it has x bits.
        assert!(locate_with(Some(dir.path()), None, dir.path(), "v1", None).is_err());
    }

    #[test]
    fn env_override_then_cache_then_path() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let cached = cache.join("rqlite").join("v9.9.9").join("rqlited");
        script(&cached, 0o755);
        let bin = dir.path().join("bin");
        let on_path = bin.join("rqlited");
        script(&on_path, 0o755);
        let path_var = std::env::join_paths([bin.clone()]).unwrap();

        let env = dir.path().join("env-rqlited");
        script(&env, 0o700);
        let got = locate_with(
            None,
            Some(env.clone().into()),
            &cache,
            "v9.9.9",
            Some(path_var.clone()),
        );
        assert_eq!(got.unwrap(), env);

        let err = locate_with(
            None,
            Some(dir.path().join("nope").into()),
            &cache,
            "v9.9.9",
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("PGRQ_RQLITED"), "{err}");

        let got = locate_with(
            None,
            Some(OsString::new()),
            &cache,
            "v9.9.9",
            Some(path_var.clone()),
        );
        assert_eq!(got.unwrap(), cached);

        // Other version not cached: falls through to PATH.
        let got = locate_with(None, None, &cache, "v1.0.0", Some(path_var));
        assert_eq!(got.unwrap(), on_path);
    }

    #[test]
    fn not_found_says_what_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let noexec = bin.join("rqlited");
        script(&noexec, 0o644);
        let path_var = std::env::join_paths([bin, dir.path().join("empty")]).unwrap();
        let err = locate_with(None, None, dir.path(), RQLITE_VERSION, Some(path_var)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("rqlited not found (looked in: "), "{msg}");
        assert!(
            msg.contains(&format!("rqlite/{RQLITE_VERSION}/rqlited")),
            "{msg}"
        );
        assert!(msg.contains(&noexec.display().to_string()), "{msg}");
        assert!(
            msg.ends_with(
                "Build it with: scripts/install-rqlited.sh  (or set PGRQ_RQLITED / [rqlite] binary in the config)"
            ),
            "{msg}"
        );
    }

    #[test]
    fn cache_root_resolution() {
        assert_eq!(
            cache_root_from(Some("/x/y".into()), Some("/home/u".into())),
            PathBuf::from("/x/y")
        );
        assert_eq!(
            cache_root_from(Some("".into()), Some("/home/u".into())),
            PathBuf::from("/home/u/.cache/pgrq")
        );
        assert_eq!(
            cache_root_from(None, None),
            std::env::temp_dir().join("pgrq-cache")
        );
        assert!(default_cache_root().is_absolute() || std::env::var_os("PGRQ_CACHE_DIR").is_some());
    }
}
