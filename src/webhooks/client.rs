//! The HTTP client that delivers webhooks, built so that a hook cannot reach inside the
//! network (SSRF): every host name is resolved by [`Guard`], which refuses the whole lookup if
//! any address it gives is not public ([`refusal`]), and the connection then goes to the
//! addresses it checked, so a second lookup (DNS rebinding) cannot swap them. A host written as
//! an IP address is never looked up; [`literal_refusal`] judges it before each attempt.
//!
//! Also: no proxy from the environment (the connection must go where it was checked), no
//! redirects (a 3xx is a failure: following it would leave the checked host), connect timeout
//! 5 s, whole request 10 s.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::webhooks::address::refusal;

/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole attempt may take, response headers included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A resolver that refuses non-public addresses unless `allow_private`.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    pub allow_private: bool,
}

/// A lookup refused: the host resolved to an address that is not public.
#[derive(Debug, thiserror::Error)]
#[error("refused: {host} resolves to {ip}, {why}")]
pub struct Refused {
    pub host: String,
    pub ip: IpAddr,
    pub why: &'static str,
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = rocket::tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private
                && let Some((ip, why)) = found.iter().find_map(|a| refusal(a.ip()).map(|why| (a.ip(), why)))
            {
                return Err(Box::new(Refused { host, ip, why }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Why a URL whose host is an IP address may not be sent to, or `None` (also for host names,
/// which [`Guard`] judges, and when `allow_private`).
pub fn literal_refusal(url: &url::Url, allow_private: bool) -> Option<String> {
    if allow_private {
        return None;
    }
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    refusal(ip).map(|why| format!("refused: {ip} is {why}"))
}

/// The delivery client. Errors: reqwest's, when its TLS setup fails.
pub fn build(allow_private: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(Guard { allow_private }))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("Folio-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// An error and its causes in one line (reqwest's own message is only "error sending request").
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let more = e.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = e.source();
    }
    text
}
