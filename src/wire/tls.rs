//! TLS for the front end: a certificate from PEM files, or a self-signed one generated at
//! start for development. Clients negotiate with SSLRequest (`sslmode=require`,
//! `verify-full` against the configured CA).

use std::path::Path;
use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{TlsConfig, TlsMode};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{what} {path} holds no usable PEM data: {reason}")]
    Pem {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
    #[error("invalid TLS certificate/key: {0}")]
    Rustls(#[from] rustls::Error),
}

#[derive(Clone)]
pub struct TlsSetup {
    pub acceptor: TlsAcceptor,
    /// The server certificate chain (PEM), e.g. to print or hand to a test client.
    pub cert_pem: String,
}

pub fn setup(cfg: &TlsConfig) -> Result<Option<TlsSetup>, TlsError> {
    let (cert_pem, key_pem) = match cfg.mode {
        TlsMode::Off => return Ok(None),
        TlsMode::SelfSigned => self_signed()?,
        TlsMode::Files => {
            let (Some(cert), Some(key)) = (&cfg.cert_file, &cfg.key_file) else {
                return Err(TlsError::Generate(
                    "tls.cert_file and tls.key_file are required".into(),
                ));
            };
            (read("certificate", cert)?, read("key", key)?)
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| pem_error("certificate", cfg.cert_file.as_deref(), e))?;
    if certs.is_empty() {
        return Err(pem_error(
            "certificate",
            cfg.cert_file.as_deref(),
            "no CERTIFICATE block",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| pem_error("key", cfg.key_file.as_deref(), e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Some(TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
    }))
}

fn read(what: &'static str, path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Read {
        what,
        path: path.display().to_string(),
        source,
    })
}

fn pem_error(what: &'static str, path: Option<&Path>, reason: impl std::fmt::Display) -> TlsError {
    TlsError::Pem {
        what,
        path: path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(generated)".into()),
        reason: reason.to_string(),
    }
}

fn self_signed() -> Result<(String, String), TlsError> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let ck =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    Ok((ck.cert.pem(), ck.signing_key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_and_off() {
        let t = setup(&TlsConfig::default()).unwrap().unwrap();
        assert!(t.cert_pem.contains("BEGIN CERTIFICATE"));
        let off = TlsConfig {
            mode: TlsMode::Off,
            ..TlsConfig::default()
        };
        assert!(setup(&off).unwrap().is_none());
    }

    #[test]
    fn unreadable_files_are_reported() {
        let cfg = TlsConfig {
            mode: TlsMode::Files,
            cert_file: Some("/nonexistent/cert.pem".into()),
            key_file: Some("/nonexistent/key.pem".into()),
        };
        let err = setup(&cfg).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}
