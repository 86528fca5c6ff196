//! Advisory locks on the real engine: sessions exclude each other through the lock rows
//! in the database, a waiting `pg_advisory_lock` wakes when the holder lets go (or ends),
//! it can be cancelled, `_xact_` locks end with the transaction, and the lock table is
//! not visible in the catalog. Needs rqlited (`PGRQ_RQLITED`), like tests/engine.rs.

mod common;

use common::{Pgrq, connect, rows};
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

fn start() -> Pgrq {
    common::start_with_engine(4)
}

async fn try_lock(c: &Client, key: i64) -> bool {
    c.query_one("SELECT pg_try_advisory_lock($1)", &[&key])
        .await
        .expect("pg_try_advisory_lock")
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_exclude_each_other_and_waiters_wake() {
    let p = start();
    let a = connect(&p, "demo_locks").await;
    let b = connect(&p, "demo_locks").await;
    let c = connect(&p, "demo_locks").await;

    // Void result, extended protocol with a bigint parameter (sqlx's Migrator).
    a.execute("SELECT pg_advisory_lock($1)", &[&42i64])
        .await
        .expect("lock");
    assert!(!try_lock(&c, 42).await, "a holds 42");
    assert!(try_lock(&c, 43).await, "another key is free");
    // Re-entrant: a second hold, then two unlocks.
    assert!(try_lock(&a, 42).await);

    let waiter = tokio::spawn(async move {
        b.simple_query("SELECT pg_advisory_lock(42)")
            .await
            .map(|_| b)
    });
    assert!(!try_lock(&c, 42).await);
    assert!(!waiter.is_finished(), "b cannot hold 42 while a does");
    assert_eq!(
        rows(&a, "SELECT pg_advisory_unlock(42)").await,
        vec![vec![Some("t".into())]]
    );
    assert!(!try_lock(&c, 42).await, "a still holds it once");
    assert_eq!(
        rows(&a, "SELECT pg_advisory_unlock(42)").await,
        vec![vec![Some("t".into())]]
    );
    // b wakes and holds it now.
    let b = waiter.await.expect("join").expect("b's lock");
    assert!(!try_lock(&c, 42).await, "b holds 42");
    assert_eq!(
        rows(&a, "SELECT pg_advisory_unlock(42)").await,
        vec![vec![Some("f".into())]],
        "a no longer holds it"
    );
    // Ending b's session releases its locks: c's wait ends.
    drop(b);
    c.simple_query("SELECT pg_advisory_lock(42)")
        .await
        .expect("c takes 42 after b ended");
    c.simple_query("SELECT pg_advisory_unlock_all()")
        .await
        .expect("unlock_all");
    assert!(try_lock(&a, 42).await);

    // The two-int key space is distinct from the bigint one.
    assert!(try_lock_2(&c, 0, 42).await);

    // The lock table is pgrq's own: the catalog does not show it.
    assert_eq!(
        rows(
            &a,
            "SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE 'pgrq%'"
        )
        .await,
        vec![vec![Some("0".into())]]
    );
    assert_eq!(
        rows(
            &a,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        .await,
        vec![vec![Some("0".into())]]
    );
}

async fn try_lock_2(c: &Client, k1: i32, k2: i32) -> bool {
    c.query_one("SELECT pg_try_advisory_lock($1, $2)", &[&k1, &k2])
        .await
        .expect("pg_try_advisory_lock(int, int)")
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn xact_locks_end_with_the_transaction_and_a_wait_can_be_cancelled() {
    let p = start();
    let mut a = connect(&p, "demo_xlocks").await;
    let b = connect(&p, "demo_xlocks").await;

    let tx = a.transaction().await.expect("begin");
    tx.execute("SELECT pg_advisory_xact_lock(7)", &[])
        .await
        .expect("xact lock");
    assert!(!try_lock(&b, 7).await, "held until the transaction ends");

    // b waits for 7; a CancelRequest ends the wait with 57014 and b goes on. A cancel
    // that lands before b's statement started does nothing, so it is sent until the wait
    // ends (polling with a deadline).
    let token = b.cancel_token();
    let wait = tokio::spawn(async move {
        let r = b.simple_query("SELECT pg_advisory_lock(7)").await;
        (b, r)
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !wait.is_finished() {
        assert!(Instant::now() < deadline, "the wait was never cancelled");
        token
            .cancel_query(NoTls)
            .await
            .expect("cancel request sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (b, waited) = wait.await.expect("join");
    match waited {
        Err(e) => assert_eq!(
            e.as_db_error().map(|d| d.code().code()),
            Some("57014"),
            "{e:?}"
        ),
        Ok(_) => panic!("b took 7 while a's transaction holds it"),
    }
    assert!(!try_lock(&b, 7).await, "still a's");

    tx.commit().await.expect("commit");
    assert!(try_lock(&b, 7).await, "a's commit released 7");
    // A shared lock coexists with another shared one, not with an exclusive one.
    assert!(
        a.query_one("SELECT pg_try_advisory_lock_shared(8)", &[])
            .await
            .expect("shared")
            .get::<_, bool>(0)
    );
    assert!(
        b.query_one("SELECT pg_try_advisory_lock_shared(8)", &[])
            .await
            .expect("shared")
            .get::<_, bool>(0)
    );
    assert!(
        !try_lock(&b, 8).await,
        "a's shared hold excludes b's exclusive"
    );
}
