//! Which target URLs a forwarder may use. Pure: the URL's form, and the addresses a host may
//! resolve to. Loopback, private, link-local and other non-public addresses are refused unless
//! the operator allows them (`forward_allow_private_targets`): a forwarder must not become a way
//! to reach the LRS's own network. The HTTP adapter applies [`refused`] again to every address
//! a host name resolves to, right before connecting.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public one, or `None` when it is.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4),
            None => refused_v6(v6),
        },
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if ip.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("a broadcast, multicast or reserved address")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a private address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// Checks a target URL's form: `http` or `https`, a host, no user name or password in it (use
/// the forwarder's auth), no fragment; and, unless `allow_private`, a host that is neither
/// `localhost` nor a non-public address literal. Answers what is wrong.
pub fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    let u = url::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme must be http or https, not {:?}",
            u.scheme()
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("put credentials in the auth settings, not in the URL".into());
    }
    if u.fragment().is_some() {
        return Err("a target URL has no fragment (#...)".into());
    }
    let host = match u.host() {
        Some(h) => h,
        None => return Err("the URL has no host".into()),
    };
    if allow_private {
        return Ok(u);
    }
    let why = match host {
        url::Host::Ipv4(ip) => refused(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => refused(IpAddr::V6(ip)),
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")).then_some("a loopback address")
        }
    };
    match why {
        Some(why) => Err(format!(
            "the host is {why}; such targets are refused unless the operator sets \
             forward_allow_private_targets"
        )),
        None => Ok(u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_named() {
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
            assert!(refused(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert_eq!(refused(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://lrs.example.com/xapi/", false).is_ok());
        for (bad, why) in [
            ("ftp://x.example.com/", "scheme"),
            ("https://u:p@x.example.com/", "credentials"),
            ("https://x.example.com/#a", "fragment"),
            ("http://localhost:8080/", "loopback"),
            ("http://127.0.0.1/", "loopback"),
            ("http://[::1]/", "loopback"),
            ("http://10.0.0.2/", "private"),
            ("nonsense", "not a URL"),
        ] {
            let e = check_url(bad, false).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(check_url("http://127.0.0.1:9000/", true).is_ok());
    }
}
