//! Value formats of the configuration that serde does not provide: durations written as
//! `"500ms"`, `"2s"`, `"10m"`, `"1h"` or a bare number of seconds, and libp2p multiaddrs
//! checked at validation. No I/O.

use std::time::Duration;

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

/// `"250ms"`, `"2s"`, `"1.5s"`, `"10m"`, `"1h"`, or a bare number of seconds (`"30"`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. \"500ms\", \"2s\", \"10m\")"))?;
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!("{text:?}: unknown unit {other:?} (ms, s, m or h)"));
        }
    };
    Duration::try_from_secs_f64(value * scale).map_err(|e| format!("{text:?}: {e}"))
}

/// serde adapter: a duration string or a number of seconds.
pub mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Secs(s) => Ok(Duration::from_secs(s)),
            Raw::Text(t) => super::parse_duration(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// Each entry must be `/ip4/…/tcp/…` or `/ip6/…/tcp/…`: TCP is the only transport built
/// in, and names are not resolved (no DNS transport).
pub fn check_multiaddrs(key: &str, addrs: &[String], errs: &mut Vec<String>) {
    for (i, a) in addrs.iter().enumerate() {
        match a.parse::<Multiaddr>() {
            Err(e) => errs.push(format!("{key}[{i}] {a:?} is not a multiaddr: {e}")),
            Ok(m) => {
                let mut it = m.iter();
                let ip = matches!(it.next(), Some(Protocol::Ip4(_) | Protocol::Ip6(_)));
                let tcp = matches!(it.next(), Some(Protocol::Tcp(_)));
                if !(ip && tcp) {
                    errs.push(format!(
                        "{key}[{i}] {a:?} must start /ip4/<address>/tcp/<port> or /ip6/…/tcp/… (TCP only, no DNS names)"
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("2 weeks").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn multiaddrs() {
        let mut errs = Vec::new();
        check_multiaddrs(
            "k",
            &[
                "/ip4/127.0.0.1/tcp/7480".into(),
                "/dns4/node1.example/tcp/7480".into(),
                "127.0.0.1:7480".into(),
                "/ip4/127.0.0.1/udp/7480".into(),
            ],
            &mut errs,
        );
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("k[1]"), "{errs:?}");
        assert!(
            errs[1].contains("k[2]") && errs[1].contains("not a multiaddr"),
            "{errs:?}"
        );
        assert!(errs[2].starts_with("k[3]"), "{errs:?}");
    }
}
