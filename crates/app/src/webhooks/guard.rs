//! The SSRF guard: webhook URLs are http(s), and deliveries never reach loopback, private,
//! link-local or metadata addresses unless configuration allows it. The check runs on the
//! addresses DNS returns at delivery time, inside the HTTP client's resolver, so a name that
//! later resolves to an internal address is still refused.
use std::net::{IpAddr, SocketAddr};

pub fn check_url(url: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(url).map_err(|e| format!("not a valid URL: {e}"))?;
    // The host as written is a domain name or an IP address in ASCII: the parser would turn
    // anything else into punycode or escapes, an address nobody typed.
    let authority = url
        .trim()
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#', '\\']).next().unwrap_or(""))
        .unwrap_or("");
    if !authority
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]@".contains(&b))
    {
        return Err("the host must be a domain name or an IP address".into());
    }
    if !matches!(u.scheme(), "http" | "https") {
        return Err("the URL must be http or https".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("the URL needs a host".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials in the URL are not allowed; use headers".into());
    }
    Ok(u)
}

/// Whether an address is internal: loopback, private, link-local (incl. cloud metadata
/// 169.254.169.254), carrier-grade NAT, unspecified, multicast, documentation, IPv6 ULA.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            // Forms that carry an IPv4 address a host or gateway will route to: IPv4-compatible
            // (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`).
            if let Some(v4) = embedded_ipv4(v6)
                && is_internal(IpAddr::V4(v4))
            {
                return true;
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
        }
    }
}

fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let seg = v6.segments();
    let o = v6.octets();
    let last32 = || std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if seg[..6] == [0; 6] && !(seg[6] == 0 && seg[7] <= 1) {
        // `::` and `::1` are the unspecified and loopback addresses, not embeddings.
        return Some(last32());
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(last32());
    }
    if seg[0] == 0x2002 {
        return Some(std::net::Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

/// The check the resolver cannot make when deliveries go through a proxy (the proxy resolves
/// the target): resolve `host` here and refuse it if any of its addresses is internal. Any, not
/// all, because which address the proxy will pick is not ours to choose. `Err((message, fatal))`:
/// never fatal, like a refusal by the resolver, because a name may resolve elsewhere later.
pub async fn check_host_for_proxy(host: &str, port: u16) -> Result<(), (String, bool)> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| (format!("could not resolve {host}: {e}"), false))?
        .collect();
    if addrs.iter().any(|a| is_internal(a.ip())) {
        return Err((
            format!("{host} resolves to an internal address, which webhooks may not reach"),
            false,
        ));
    }
    Ok(())
}

/// A DNS resolver for the delivery client that drops internal addresses.
pub struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_internal(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{host} resolves only to internal addresses, which webhooks may not reach"
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_that_embed_an_internal_ipv4_address_are_internal() {
        for ip in [
            // IPv4-compatible (deprecated, still routed by some stacks).
            "::127.0.0.1",
            "::10.0.0.1",
            "::169.254.169.254",
            // NAT64 well-known prefix.
            "64:ff9b::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::a9fe:a9fe",
            // 6to4: the IPv4 address is bits 16..48.
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2002:a9fe:a9fe:1::1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_http_urls_without_credentials() {
        assert!(check_url("https://example.com/hook").is_ok());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("https://u:p@example.com").is_err());
        assert!(check_url("not a url").is_err());
    }
}
