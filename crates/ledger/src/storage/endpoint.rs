//! Provider endpoints: the URL a storage provider's agent listens on, which the
//! oracle connects to. Checked on the chain when an offer is made (an http(s) URL,
//! bounded, and by default no private or local host), so the oracle cannot be
//! pointed at its own network.

use crate::error::TxError;

/// The longest provider endpoint URL.
pub const MAX_ENDPOINT_BYTES: usize = 200;

/// Whether `ip` is a public unicast address: not loopback, private, shared
/// (CGNAT), link-local, unspecified, broadcast, multicast, documentation or
/// reserved (an IPv4-mapped IPv6 address is judged as its IPv4 address).
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
                || (seg[0] == 0x64 && seg[1] == 0xff9b))
        }
    }
}

/// The host part of an `http(s)://host[:port][/path]` URL (brackets of an IPv6
/// literal removed).
pub fn endpoint_host(endpoint: &str) -> Option<&str> {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))?;
    let authority = rest.split('/').next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next();
    }
    Some(authority.rsplit_once(':').map_or(authority, |(h, _)| h))
}

/// Checks a provider endpoint: an http(s) URL of printable ASCII, bounded; unless
/// `allow_private`, its host may not be a non-public address literal nor a name
/// that is local by definition (`localhost`, `*.localhost`, `*.local`,
/// `*.internal`). Names are resolved and checked again when the oracle connects.
pub fn check_endpoint(endpoint: &str, allow_private: bool) -> Result<(), TxError> {
    let bad = |reason: &str| TxError::BadEndpoint {
        reason: reason.to_string(),
    };
    if endpoint.len() > MAX_ENDPOINT_BYTES {
        return Err(bad("longer than 200 bytes"));
    }
    if !endpoint.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("only printable ASCII without spaces is allowed"));
    }
    if endpoint.contains(['?', '#', '@']) {
        return Err(bad("no query, fragment or user part is allowed"));
    }
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
        .ok_or_else(|| bad("must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host"));
    }
    if !allow_private {
        let host = endpoint_host(endpoint)
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let private = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => !is_public_ip(ip),
            Err(_) => {
                host == "localhost"
                    || [".localhost", ".local", ".internal"]
                        .iter()
                        .any(|s| host.ends_with(s))
            }
        };
        if private {
            return Err(bad(
                "names a loopback, private or link-local host, which this chain does not allow (genesis storage.allow_private_endpoints)",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked() {
        assert!(check_endpoint("http://127.0.0.1:9000", true).is_ok());
        assert!(check_endpoint("https://store.example.com/agent", false).is_ok());
        assert!(check_endpoint("http://8.8.8.8:9000", false).is_ok());
        assert!(check_endpoint("http://[2a00:1450::1]:80/x", false).is_ok());
        for private in [
            "http://127.0.0.1:9000",
            "http://10.1.2.3",
            "http://192.168.1.1:80/agent",
            "http://172.16.0.1",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1",
            "http://0.0.0.0:80",
            "http://[::1]:9000",
            "http://[fd00::1]",
            "http://[fe80::1]",
            "http://[::ffff:127.0.0.1]",
            "http://localhost:9000",
            "http://LOCALHOST.:9000",
            "http://db.internal",
            "http://printer.local",
        ] {
            assert!(check_endpoint(private, false).is_err(), "{private}");
            assert!(check_endpoint(private, true).is_ok(), "{private}");
        }
        for bad in [
            "ftp://x",
            "http://",
            "http:///x",
            "http://a b",
            "127.0.0.1:80",
            &format!("http://{}", "a".repeat(200)),
        ] {
            assert!(check_endpoint(bad, true).is_err(), "{bad}");
        }
    }
}
