//! The control channel of a running pgrq for `pgrq db …`: a Unix socket,
//! `<data_dir>/admin.sock`, created mode 0600 so that only the user running pgrq (who owns
//! the data dir and its secrets anyway) can use it; nothing listens on the network. One
//! JSON request line, one JSON response line per connection. It carries requests to an
//! [`AdminOps`] (owned here, implemented by the backend) and decides nothing itself.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

/// Longest request line accepted.
const MAX_LINE: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad answer from pgrq: {0}")]
    Protocol(String),
    #[error("pgrq did not answer within {0:?}")]
    Timeout(Duration),
}

/// The socket of the pgrq running on `data_dir`.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.sock")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Hibernate {
        db: String,
    },
    Wake {
        db: String,
    },
    /// rqlite's peers.json procedure for a database that lost its majority; refused
    /// unless `confirm` (writes that reached only lost replicas are gone).
    Recover {
        db: String,
        #[serde(default)]
        confirm: bool,
        /// The replica to recover from, chosen by the node the operator asked and relayed
        /// to the node holding it (`None`: the node asked chooses).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        survivor: Option<String>,
    },
    Stats,
    /// `pgrq node drain`: move every replica off `node` (id or proxy address).
    Drain {
        node: String,
    },
    /// Drop a database (its replicas stop, their data is deleted, the name is freed);
    /// refused while sessions use it unless `force` (which terminates them).
    Drop {
        db: String,
        #[serde(default)]
        force: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<serde_json::Value>,
}

impl Response {
    pub fn ok(message: impl Into<String>) -> Response {
        Response {
            ok: true,
            message: message.into(),
            stats: None,
        }
    }

    pub fn error(message: impl Into<String>) -> Response {
        Response {
            ok: false,
            message: message.into(),
            stats: None,
        }
    }
}

/// What the admin channel can ask of whoever runs the databases.
#[async_trait]
pub trait AdminOps: Send + Sync {
    async fn handle(&self, req: Request) -> Response;
}

/// Binds the socket (replacing a stale one left by a pgrq that did not stop cleanly) and
/// serves until `stop`, then removes it.
pub async fn serve(
    path: PathBuf,
    ops: Arc<dyn AdminOps>,
    stop: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, AdminError> {
    let io = |what, source| AdminError::Io {
        what,
        path: path.clone(),
        source,
    };
    if UnixStream::connect(&path).await.is_ok() {
        return Err(io(
            "another pgrq is running on",
            std::io::Error::from(std::io::ErrorKind::AddrInUse),
        ));
    }
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).map_err(|e| io("cannot listen on", e))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| io("cannot restrict", e))?;
    Ok(tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                _ = stop.cancelled() => break,
                c = listener.accept() => c,
            };
            match conn {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, ops.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "admin socket accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    }))
}

async fn answer(stream: UnixStream, ops: Arc<dyn AdminOps>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read).take(MAX_LINE as u64);
    let response = match reader.read_line(&mut line).await {
        Ok(_) => match serde_json::from_str::<Request>(line.trim()) {
            Ok(req) => ops.handle(req).await,
            Err(e) => Response::error(format!("bad request: {e}")),
        },
        Err(e) => Response::error(format!("cannot read the request: {e}")),
    };
    let mut out = serde_json::to_vec(&response).unwrap_or_default();
    out.push(b'\n');
    let _ = write.write_all(&out).await;
}

/// Sends one request to the pgrq whose socket is `path` and waits up to `timeout`.
pub async fn request(
    path: &Path,
    req: &Request,
    timeout: Duration,
) -> Result<Response, AdminError> {
    let io = |what, source| AdminError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let exchange = async {
        let mut stream = UnixStream::connect(path)
            .await
            .map_err(|e| io("no pgrq answers on", e))?;
        let mut body = serde_json::to_vec(req).map_err(|e| AdminError::Protocol(e.to_string()))?;
        body.push(b'\n');
        stream
            .write_all(&body)
            .await
            .map_err(|e| io("cannot write to", e))?;
        let mut line = String::new();
        BufReader::new(stream)
            .read_line(&mut line)
            .await
            .map_err(|e| io("cannot read from", e))?;
        serde_json::from_str::<Response>(line.trim())
            .map_err(|e| AdminError::Protocol(format!("{e}: {line:?}")))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| AdminError::Timeout(timeout))?
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    #[async_trait]
    impl AdminOps for Echo {
        async fn handle(&self, req: Request) -> Response {
            match req {
                Request::Hibernate { db } => Response::ok(format!("hibernated {db}")),
                Request::Wake { db } | Request::Recover { db, .. } | Request::Drop { db, .. } => {
                    Response::error(format!("cannot wake {db}"))
                }
                Request::Drain { node } => Response::error(node),
                Request::Stats => Response {
                    stats: Some(serde_json::json!({"wakes": 3})),
                    ..Response::ok("")
                },
            }
        }
    }

    #[tokio::test]
    async fn requests_reach_the_ops_and_the_socket_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = socket_path(dir.path());
        let stop = CancellationToken::new();
        let task = serve(path.clone(), Arc::new(Echo), stop.clone())
            .await
            .expect("serve");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let t = Duration::from_secs(10);
        let r = request(&path, &Request::Hibernate { db: "a_b".into() }, t)
            .await
            .expect("request");
        assert_eq!(r, Response::ok("hibernated a_b"));
        let r = request(&path, &Request::Wake { db: "a_b".into() }, t)
            .await
            .expect("request");
        assert!(!r.ok);
        let r = request(&path, &Request::Stats, t).await.expect("request");
        assert_eq!(r.stats, Some(serde_json::json!({"wakes": 3})));
        // A second server on the same socket is refused while the first runs.
        assert!(
            serve(path.clone(), Arc::new(Echo), stop.clone())
                .await
                .is_err()
        );
        stop.cancel();
        task.await.expect("server");
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn garbage_gets_an_error_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = socket_path(dir.path());
        let stop = CancellationToken::new();
        let task = serve(path.clone(), Arc::new(Echo), stop.clone())
            .await
            .expect("serve");
        let mut s = UnixStream::connect(&path).await.expect("connect");
        s.write_all(b"{\"op\":\"explode\"}\n").await.expect("write");
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).await.expect("read");
        let r: Response = serde_json::from_str(line.trim()).expect("json");
        assert!(!r.ok && r.message.starts_with("bad request"), "{r:?}");
        stop.cancel();
        task.await.expect("server");
    }
}
