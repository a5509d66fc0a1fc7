use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random secret of `bytes` bytes, hex encoded, with a readable prefix (`pp_test_…`).
pub fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    format!("{prefix}{}", hex::encode(buf))
}

/// Tokens and keys are stored only as this hash. They are high-entropy random strings, so a fast
/// hash is enough (no password stretching needed).
pub fn sha256_hex(input: &[u8]) -> String {
    hex::encode(Sha256::digest(input))
}

/// Whether `ip` is allowed by a list of IPs/CIDR ranges (an empty list allows every address).
pub fn ip_allowed(allow: &[ipnet::IpNet], ip: std::net::IpAddr) -> bool {
    let ip = match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    allow.is_empty() || allow.iter().any(|net| net.contains(&ip))
}

/// Parses an allow-list entry: a CIDR range or a single address.
pub fn parse_ip_or_cidr(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_cidr_and_single_ip() {
        let list = vec![
            parse_ip_or_cidr("10.0.0.0/8").unwrap(),
            parse_ip_or_cidr("192.168.1.7").unwrap(),
        ];
        assert!(ip_allowed(&list, "10.2.3.4".parse().unwrap()));
        assert!(ip_allowed(&list, "192.168.1.7".parse().unwrap()));
        assert!(!ip_allowed(&list, "192.168.1.8".parse().unwrap()));
        assert!(ip_allowed(&[], "8.8.8.8".parse().unwrap()));
        assert!(ip_allowed(&list, "::ffff:10.0.0.1".parse().unwrap()));
        assert!(parse_ip_or_cidr("nonsense").is_none());
    }
}
