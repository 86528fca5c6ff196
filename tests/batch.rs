//! The implicit transaction of an extended-protocol batch, on the wire: several
//! Bind/Execute pairs before one Sync commit together, and an error in the batch undoes
//! its earlier statements (PostgreSQL's protocol, which asyncpg's `executemany` and
//! pgjdbc's batches rely on). tokio-postgres ends every statement with its own Sync, so
//! this test speaks the protocol itself (postgres-protocol encodes the messages). Needs
//! rqlited (`PGRQ_RQLITED`), like tests/engine.rs.

mod common;

use bytes::{Buf, BufMut, BytesMut};
use common::{Pgrq, connect, rows};
use postgres_protocol::IsNull;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::frontend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn start() -> Pgrq {
    common::start_with_engine(4)
}

/// A raw protocol connection: messages are written as they are built and read one by one.
struct Raw {
    sock: TcpStream,
    inbuf: BytesMut,
}

impl Raw {
    async fn connect(p: &Pgrq, db: &str) -> Raw {
        let sock = TcpStream::connect(("127.0.0.1", p.port))
            .await
            .expect("connect");
        let mut raw = Raw {
            sock,
            inbuf: BytesMut::new(),
        };
        let mut buf = BytesMut::new();
        frontend::startup_message([("user", "demo"), ("database", db)], &mut buf).expect("startup");
        raw.send(&mut buf).await;
        let mut scram = ScramSha256::new(b"demo", ChannelBinding::unsupported());
        loop {
            let (tag, body) = raw.next().await;
            match tag {
                b'R' => {
                    let code = (&body[..4]).get_i32();
                    match code {
                        0 => {}
                        10 => {
                            frontend::sasl_initial_response(
                                SCRAM_SHA_256,
                                scram.message(),
                                &mut buf,
                            )
                            .expect("sasl");
                            raw.send(&mut buf).await;
                        }
                        11 => {
                            scram.update(&body[4..]).expect("server-first");
                            frontend::sasl_response(scram.message(), &mut buf).expect("sasl");
                            raw.send(&mut buf).await;
                        }
                        12 => scram.finish(&body[4..]).expect("server-final"),
                        other => panic!("authentication request {other}"),
                    }
                }
                b'E' => panic!("startup failed: {}", String::from_utf8_lossy(&body)),
                b'Z' => return raw,
                _ => {}
            }
        }
    }

    async fn send(&mut self, buf: &mut BytesMut) {
        self.sock.write_all(buf).await.expect("write");
        buf.clear();
    }

    /// The next backend message: its type byte and body.
    async fn next(&mut self) -> (u8, Vec<u8>) {
        loop {
            if self.inbuf.len() >= 5 {
                let len = (&self.inbuf[1..5]).get_i32() as usize;
                if self.inbuf.len() > len {
                    let tag = self.inbuf[0];
                    self.inbuf.advance(5);
                    let body = self.inbuf.split_to(len - 4).to_vec();
                    return (tag, body);
                }
            }
            let n = self.sock.read_buf(&mut self.inbuf).await.expect("read");
            assert!(n > 0, "the server closed the connection");
        }
    }

    /// Messages up to ReadyForQuery: each type byte, with an error's SQLSTATE after `E`.
    async fn until_ready(&mut self) -> (Vec<String>, u8) {
        let mut seen = Vec::new();
        loop {
            let (tag, body) = self.next().await;
            match tag {
                b'Z' => return (seen, body[0]),
                b'E' => {
                    let code = body
                        .split(|b| *b == 0)
                        .find_map(|f| f.strip_prefix(b"C"))
                        .map(|c| String::from_utf8_lossy(c).to_string())
                        .unwrap_or_default();
                    seen.push(format!("E{code}"));
                }
                other => seen.push((other as char).to_string()),
            }
        }
    }
}

/// Bind of statement `stmt` with text parameters, then Execute of the unnamed portal.
fn bind_execute(stmt: &str, values: &[&str], buf: &mut BytesMut) {
    frontend::bind(
        "",
        stmt,
        Some(0i16),
        values.iter().map(|v| v.as_bytes()),
        |v, buf| {
            buf.put_slice(v);
            Ok(IsNull::No)
        },
        Some(0i16),
        buf,
    )
    .map_err(|_| "bind")
    .expect("bind");
    frontend::execute("", 0, buf).expect("execute");
}

#[tokio::test(flavor = "multi_thread")]
async fn executes_before_one_sync_are_one_transaction() {
    let p = start();
    let c = connect(&p, "demo_batch").await;
    c.batch_execute("CREATE TABLE kv (k int PRIMARY KEY, v text)")
        .await
        .expect("create");
    let mut raw = Raw::connect(&p, "demo_batch").await;
    let mut buf = BytesMut::new();
    frontend::parse("ins", "INSERT INTO kv (k, v) VALUES ($1, $2)", [], &mut buf).expect("parse");
    frontend::parse("cnt", "SELECT count(*) FROM kv", [], &mut buf).expect("parse");
    frontend::sync(&mut buf);
    raw.send(&mut buf).await;
    assert_eq!(
        raw.until_ready().await,
        (vec!["1".into(), "1".into()], b'I')
    );

    // Two rows, then the batch reads them back before its Sync: all committed together.
    bind_execute("ins", &["1", "a"], &mut buf);
    bind_execute("ins", &["2", "b"], &mut buf);
    bind_execute("cnt", &[], &mut buf);
    frontend::sync(&mut buf);
    raw.send(&mut buf).await;
    let (seen, status) = raw.until_ready().await;
    assert_eq!(seen, ["2", "C", "2", "C", "2", "D", "C"], "{seen:?}");
    assert_eq!(status, b'I');
    assert_eq!(
        rows(&c, "SELECT count(*) FROM kv").await[0][0].as_deref(),
        Some("2")
    );

    // The second row of this batch violates the key: the first is undone, the third
    // skipped.
    bind_execute("ins", &["3", "c"], &mut buf);
    bind_execute("ins", &["1", "dup"], &mut buf);
    bind_execute("ins", &["4", "d"], &mut buf);
    frontend::sync(&mut buf);
    raw.send(&mut buf).await;
    let (seen, status) = raw.until_ready().await;
    assert_eq!(seen, ["2", "C", "2", "E23505"], "{seen:?}");
    assert_eq!(status, b'I');
    assert_eq!(
        rows(&c, "SELECT count(*) FROM kv").await[0][0].as_deref(),
        Some("2")
    );

    // A write alone in its batch commits at its Sync; the connection is usable.
    bind_execute("ins", &["5", "e"], &mut buf);
    frontend::sync(&mut buf);
    raw.send(&mut buf).await;
    assert_eq!(
        raw.until_ready().await,
        (vec!["2".into(), "C".into()], b'I')
    );
    assert_eq!(
        rows(&c, "SELECT count(*) FROM kv").await[0][0].as_deref(),
        Some("3")
    );
}
