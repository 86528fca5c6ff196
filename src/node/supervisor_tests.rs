//! Process-management tests of the supervisor, with harmless stand-in children
//! (`/bin/sh`, `/bin/sleep`): process groups, SIGTERM/SIGKILL, crash restart, no leftovers.

use super::*;
use nix::sys::signal::kill;

fn spec() -> ReplicaSpec {
    ReplicaSpec {
        node_id: "db1-n2".into(),
        http_addr: "127.0.0.1:4011".parse().unwrap(),
        raft_addr: "127.0.0.1:4012".parse().unwrap(),
        data_dir: "/data/db1/n2".into(),
        join: vec![
            "127.0.0.1:4002".parse().unwrap(),
            "127.0.0.1:4022".parse().unwrap(),
        ],
        bootstrap_expect: Some(3),
        join_as: Some("pgrq".into()),
        auth_file: "/data/auth.json".into(),
        extra_args: vec!["-raft-election-timeout=500ms".into()],
    }
}

/// A supervisor over `/bin/sh` (stand-in child; no rqlited involved).
fn sh(dir: &Path) -> Supervisor {
    Supervisor::new("/bin/sh".into(), dir.join("logs"))
}

fn closed_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn script(s: &str) -> Vec<String> {
    vec!["-c".into(), s.into()]
}

fn alive(pid: u32) -> bool {
    kill(Pid::from_raw(pid as i32), None).is_ok()
}

async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn args_are_complete_and_data_dir_is_last() {
    let a = spec().args();
    let expected = "-node-id db1-n2 -http-addr 127.0.0.1:4011 -raft-addr 127.0.0.1:4012 \
         -join 127.0.0.1:4002,127.0.0.1:4022 -join-as pgrq -bootstrap-expect 3 -auth /data/auth.json \
         -raft-cluster-remove-shutdown=false -fk -raft-election-timeout=500ms /data/db1/n2";
    assert_eq!(a.join(" "), expected);
    let mut restart = spec();
    restart.join.clear();
    restart.bootstrap_expect = None;
    let a = restart.args();
    assert!(
        !a.iter()
            .any(|s| s == "-join" || s == "-join-as" || s == "-bootstrap-expect"),
        "{a:?}"
    );
    assert_eq!(a.last().map(String::as_str), Some("/data/db1/n2"));
}

#[test]
fn auth_file_is_rqlite_json_and_private() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("auth.json");
    std::fs::write(&p, "old").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_auth_file(&p, "pgrq", "s3cr\"et").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"username":"pgrq","password":"s3cr\"et","perms":["all"]}])
    );
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn stop_sends_sigterm_to_own_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let sup = sh(dir.path());
    // Markers are computed so the logged command line cannot match them.
    let s = "trap 'echo T$((2+3)); exit 0' TERM; echo R$((1+1)); while :; do sleep 0.02; done";
    sup.launch("n1", closed_addr(), script(s)).unwrap();
    let pid = sup.pid("n1").unwrap();
    let pgid = nix::unistd::getpgid(Some(Pid::from_raw(pid as i32))).unwrap();
    assert_eq!(pgid.as_raw(), pid as i32, "child leads its own group");
    assert_ne!(pgid, nix::unistd::getpgrp());
    eventually("trap installed", || sup.log_tail("n1", 5).ends_with("R2")).await;
    let t = Instant::now();
    sup.stop("n1", Duration::from_secs(10)).await.unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "SIGTERM path, not the grace timeout"
    );
    assert!(
        sup.log_tail("n1", 5).ends_with("T5"),
        "{}",
        sup.log_tail("n1", 5)
    );
    assert!(!alive(pid));
    assert!(sup.running().is_empty());
    assert!(matches!(
        sup.stop("n1", Duration::ZERO).await,
        Err(SupervisorError::UnknownNode(_))
    ));
}

#[tokio::test]
async fn stop_escalates_to_sigkill_after_grace() {
    let dir = tempfile::tempdir().unwrap();
    let sup = sh(dir.path());
    sup.launch(
        "n1",
        closed_addr(),
        script("trap '' TERM; echo U$((1+1)); while :; do sleep 0.02; done"),
    )
    .unwrap();
    let pid = sup.pid("n1").unwrap();
    eventually("trap installed", || sup.log_tail("n1", 5).ends_with("U2")).await;
    let t = Instant::now();
    sup.stop("n1", Duration::from_millis(200)).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert!(!alive(pid));
}

#[tokio::test]
async fn crashed_child_is_restarted_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let sup = sh(dir.path());
    sup.launch("n1", closed_addr(), script("echo r$((1+1)); exit 3"))
        .unwrap();
    eventually("two restarts", || sup.restarts("n1").unwrap_or(0) >= 2).await;
    // A restart is counted when the child is launched; its output follows.
    let log = dir.path().join("logs/n1.log");
    let runs = || std::fs::read_to_string(&log).unwrap_or_default();
    eventually("three runs logged", || {
        runs().matches("\nr2\n").count() >= 3
    })
    .await;
    assert_eq!(sup.running(), ["n1"]);
    // Stopping while the watcher waits to restart ends it for good.
    sup.stop("n1", Duration::from_millis(100)).await.unwrap();
    assert!(sup.running().is_empty());
    assert_eq!(sup.restarts("n1"), None);
}

#[tokio::test]
async fn stop_all_leaves_no_child() {
    let dir = tempfile::tempdir().unwrap();
    let sup = Supervisor::new("/bin/sleep".into(), dir.path().join("logs"));
    for id in ["a", "b", "c"] {
        sup.launch(id, closed_addr(), vec!["30".into()]).unwrap();
    }
    assert!(matches!(
        sup.launch("a", closed_addr(), vec!["30".into()]),
        Err(SupervisorError::AlreadyRunning(_))
    ));
    let pids: Vec<u32> = ["a", "b", "c"]
        .iter()
        .map(|id| sup.pid(id).unwrap())
        .collect();
    assert!(pids.iter().all(|&p| alive(p)));
    sup.stop_all(Duration::from_secs(5)).await;
    assert!(sup.running().is_empty());
    for p in pids {
        assert!(!alive(p), "pid {p} still exists");
    }
}

#[tokio::test]
async fn wait_ready_fails_at_once_when_child_exits() {
    let dir = tempfile::tempdir().unwrap();
    let sup = sh(dir.path());
    sup.launch(
        "n1",
        closed_addr(),
        script("sleep 0.1; echo B$((1+1)) >&2; exit 1"),
    )
    .unwrap();
    let http = reqwest::Client::new();
    let t = Instant::now();
    let err = sup
        .wait_ready(&http, "n1", ("u", "p"), Duration::from_secs(20))
        .await
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5));
    match &err {
        SupervisorError::ExitedBeforeReady { exit, log_tail, .. } => {
            assert!(exit.contains('1'), "{exit}");
            assert!(log_tail.ends_with("B2"), "{log_tail}");
        }
        other => panic!("unexpected {other:?}"),
    }
    sup.stop_all(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn wait_ready_times_out_with_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let sup = Supervisor::new("/bin/sleep".into(), dir.path().join("logs"));
    sup.launch("n1", closed_addr(), vec!["30".into()]).unwrap();
    let http = reqwest::Client::new();
    let err = sup
        .wait_ready(&http, "n1", ("u", "p"), Duration::from_millis(150))
        .await
        .unwrap_err();
    match &err {
        SupervisorError::NotReady { log_tail, .. } => {
            assert!(log_tail.contains("starting /bin/sleep 30"))
        }
        other => panic!("unexpected {other:?}"),
    }
    let unknown = sup
        .wait_ready(&http, "zz", ("u", "p"), Duration::ZERO)
        .await;
    assert!(matches!(unknown, Err(SupervisorError::UnknownNode(_))));
    sup.stop_all(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn bad_ids_and_missing_binary() {
    let dir = tempfile::tempdir().unwrap();
    let sup = sh(dir.path());
    for bad in ["", "../x", "a/b", ".hidden", "a b"] {
        assert!(
            matches!(
                sup.launch(bad, closed_addr(), vec![]),
                Err(SupervisorError::InvalidNodeId(_))
            ),
            "{bad}"
        );
    }
    let missing = Supervisor::new(dir.path().join("no-such-rqlited"), dir.path().join("logs"));
    let err = missing.start(spec()).await.unwrap_err();
    assert!(matches!(err, SupervisorError::Spawn { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-rqlited"), "{err}");
    assert!(missing.running().is_empty());
}

#[test]
fn pdeathsig_terminates_child_when_spawning_thread_exits() {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch {
        node_id: "n1".into(),
        binary: "/bin/sleep".into(),
        args: vec!["30".into()],
        http_addr: closed_addr(),
        log_path: dir.path().join("n1.log"),
    };
    let pid = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let child = spawn_child(&launch).unwrap();
            let pid = child.id().unwrap();
            // Leak it so kill_on_drop cannot be what ends it.
            std::mem::forget(child);
            pid
        })
    })
    .join()
    .unwrap();
    let pid = Pid::from_raw(pid as i32);
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)).unwrap() {
            WaitStatus::StillAlive => {
                assert!(Instant::now() < end, "child survived its spawning thread");
                std::thread::sleep(Duration::from_millis(10));
            }
            WaitStatus::Signaled(_, sig, _) => {
                assert_eq!(sig, Signal::SIGTERM);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn tail_returns_last_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.log");
    std::fs::write(&p, "1\n2\n3\n4\n").unwrap();
    assert_eq!(tail_file(&p, 2).unwrap(), "3\n4");
    assert_eq!(tail_file(&p, 10).unwrap(), "1\n2\n3\n4");
    assert!(tail_file(&dir.path().join("none"), 2).is_err());
}
