//! Where webhooks may go: the server-side request forgery rule.
//!
//! A webhook is a request this server makes on a caller's behalf, so an endpoint's URL
//! must not reach what only the server can reach: loopback, private networks,
//! link-local addresses (a cloud's metadata service lives at 169.254.169.254), and the
//! like. The URL's host is checked when an endpoint is saved, and every address the
//! sender connects to is checked again when it resolves the name
//! ([`crate::webhooks`]'s resolver), so a name that later points inside (DNS rebinding)
//! is refused too. `WEBHOOK_ALLOW_PRIVATE_TARGETS=true` lifts the rule, for tests and
//! for networks where receivers are internal on purpose.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::{ServiceError, ServiceResult};

/// Longest endpoint URL accepted.
const MAX_URL_BYTES: usize = 2048;

/// The URL of an endpoint, checked: absolute `https` (or `http` where private targets
/// are allowed, for receivers on a test machine), a host, no credentials, no fragment,
/// and, unless `allow_private`, a host that is not a private, loopback or link-local
/// address, nor a name that can only mean one (`localhost`).
pub fn endpoint_url(field: &str, text: &str, allow_private: bool) -> ServiceResult<Url> {
    let text = text.trim();
    let refuse = |why: &str| ServiceError::invalid(field, why.to_owned());
    if text.len() > MAX_URL_BYTES {
        return Err(refuse("A webhook URL is at most 2048 bytes long."));
    }
    let url = Url::parse(text).map_err(|_| refuse("This must be an absolute https URL."))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(refuse("Webhook URLs must use https.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "A webhook URL may not carry a user name or password.",
        ));
    }
    if url.fragment().is_some() {
        return Err(refuse("A webhook URL has no fragment (`#...`)."));
    }
    let private = || {
        refuse(
            "Webhooks are not sent to private, loopback or link-local addresses; use a \
             public address.",
        )
    };
    match url.host() {
        None => return Err(refuse("This must be an absolute https URL.")),
        Some(_) if allow_private => {}
        Some(Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => return Err(private()),
        Some(Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => return Err(private()),
        Some(Host::Domain(name)) if is_local_name(name) => return Err(private()),
        Some(_) => {}
    }
    Ok(url)
}

/// Names that resolve to this machine or its network whatever DNS says.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.ends_with(".local")
        || name.ends_with(".internal")
        || !name.contains('.')
}

/// Whether a webhook may be sent to `ip`: a globally routable unicast address, not one
/// of the special-purpose ranges (IANA's registries) a request forgery aims at.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(ip)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24; benchmarking, 198.18.0.0/15.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10, and the deprecated site-local, fec0::/10.
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // 6to4, 2002::/16, embeds an IPv4 address of any kind.
        || first == 0x2002
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible and NAT64 forms carry an IPv4 address that may be private.
        || ip.to_ipv4().is_some_and(|v4| !is_public_v4(v4))
        // NAT64, 64:ff9b::/96 and the local-use 64:ff9b:1::/48.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_targets_are_refused() {
        for url in [
            "https://127.0.0.1/hook",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fec0::1]/",
            "https://[2002:7f00:1::1]/",
            "https://[64:ff9b::a00:1]/",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
            "https://localhost/",
            "https://api.localhost/",
            "https://metadata/",
            "https://2130706433/",
        ] {
            assert!(endpoint_url("input.url", url, false).is_err(), "{url}");
            assert!(
                endpoint_url("input.url", url, true).is_ok(),
                "{url} when allowed"
            );
        }
    }

    #[test]
    fn public_https_targets_are_accepted_and_others_refused() {
        assert!(endpoint_url("input.url", "https://hooks.example.com/in?x=1", false).is_ok());
        assert!(endpoint_url("input.url", "https://8.8.8.8/", false).is_ok());
        assert!(endpoint_url("input.url", "https://[2606:4700::1111]/", false).is_ok());
        for url in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://hooks.example.com/#frag",
            "hooks.example.com",
            "",
        ] {
            assert!(endpoint_url("input.url", url, false).is_err(), "{url}");
        }
        assert!(endpoint_url("input.url", "http://127.0.0.1:9000/", true).is_ok());
    }
}
