//! Where a webhook may be sent: the defence against server-side request forgery (SSRF). A hook's
//! URL is typed by an administrator, but the server makes the request, from inside the network:
//! without this check a hook could read a cloud metadata service or poke an internal admin
//! panel. Addresses are judged after DNS resolution, on every attempt (the sender does that with
//! [`refusal`]); [`check_url`] judges the URL as typed, when a hook is saved.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public one, in words for the delivery log and the form.
///
/// Ranges: RFC 1122 section 3.2.1.3 (this network, loopback), RFC 1918 (private), RFC 3927
/// (IPv4 link-local), RFC 6598 (shared address space, CGNAT), RFC 5771 (multicast), RFC 919
/// (limited broadcast), RFC 1112 section 4 (reserved 240/4), RFC 4291 (IPv6 unspecified,
/// loopback, link-local, multicast, IPv4-mapped), RFC 4193 (unique local fc00::/7), RFC 3879
/// (deprecated site-local fec0::/10), RFC 6052 (NAT64 64:ff9b::/96), RFC 3056 (6to4 2002::/16).
/// The embedded IPv4 address of a mapped, compatible, NAT64 or 6to4 IPv6 address is judged as
/// that IPv4 address. Metadata: AWS, GCP and Azure at 169.254.169.254, AWS's IPv6 fd00:ec2::254.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) {
        Some("a cloud metadata address")
    } else if a == 0 {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (CGNAT) address")
    } else if ip.is_broadcast() {
        Some("the broadcast address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if a >= 240 {
        Some("a reserved address")
    } else {
        None
    }
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return refusal_v4(v4);
    }
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        Some("a cloud metadata address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if ip.is_loopback() {
        Some("a loopback address")
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if segments[0] & 0xffc0 == 0xfec0 {
        Some("a site-local address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// The IPv4 address an IPv6 address carries: mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`
/// (not `::` or `::1`), NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if (s[..6] == [0, 0, 0, 0, 0, 0] && (s[6] != 0 || s[7] > 1))
        || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        Some(tail())
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8))
    } else {
        None
    }
}

/// Checks a hook's URL as typed: an absolute `http` or `https` URL with a host, no user name or
/// password in it (they would be sent to the receiver and shown in the admin), at most 2,000
/// characters. Unless `allow_private`, a host written as an IP address must pass [`refusal`];
/// a host name is judged only when it is resolved, at each attempt. Returns the URL as parsed
/// and normalised, or a message for the form.
pub fn check_url(input: &str, allow_private: bool) -> Result<url::Url, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter the URL the events are to be sent to.".into());
    }
    if input.len() > 2000 {
        return Err("The URL is too long (2,000 characters at most).".into());
    }
    let url = url::Url::parse(input)
        .map_err(|_| "Enter a full URL, such as https://example.com/hooks.".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The URL must start with https:// or http://.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Leave the user name and password out of the URL; verify the signature instead.".into());
    }
    let Some(host) = url.host() else {
        return Err("The URL needs a host name.".into());
    };
    if !allow_private {
        let ip = match host {
            url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            url::Host::Domain(_) => None,
        };
        if let Some(why) = ip.and_then(refusal) {
            return Err(format!(
                "This URL points at {why}; webhooks go to public addresses only (see webhooks_allow_private)."
            ));
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        refusal(text.parse().expect("an IP address")).is_some()
    }

    #[test]
    fn every_non_public_ipv4_range_is_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "192.168.255.255",
            "169.254.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(refused(ip), "{ip} should be refused");
        }
        assert_eq!(refusal("169.254.169.254".parse().expect("ip")), Some("a cloud metadata address"));
    }

    #[test]
    fn public_addresses_pass_including_the_edges_of_private_ranges() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "11.0.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(!refused(ip), "{ip} should pass");
        }
    }

    #[test]
    fn every_non_public_ipv6_range_and_embedded_ipv4_is_refused() {
        for ip in [
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fd00:ec2::254",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:192.168.1.1",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::",
        ] {
            assert!(refused(ip), "{ip} should be refused");
        }
        assert_eq!(refusal("fd00:ec2::254".parse().expect("ip")), Some("a cloud metadata address"));
    }

    #[test]
    fn urls_are_checked_for_scheme_credentials_and_literal_private_hosts() {
        assert!(check_url("https://hooks.example.com/folio", false).is_ok());
        assert!(check_url("http://203.0.113.9:8080/x", false).is_ok());
        for bad in [
            "",
            "hooks.example.com",
            "ftp://example.com/",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "http://127.0.0.1:9000/",
            "http://10.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad:?} should be refused");
        }
        // Names are judged when resolved, at each attempt, not here.
        assert!(check_url("http://localhost:9000/", false).is_ok());
        assert!(check_url("http://127.0.0.1:9000/", true).is_ok());
        assert!(check_url("https://user:pw@example.com/", true).is_err());
    }
}
