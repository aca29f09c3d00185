//! Throttling rules: which attempts count together (scopes), how many a window tolerates, and how
//! long to wait after.
//!
//! An attempt is counted before the work it asks for (a password hash, a mail), so a burst of
//! parallel requests cannot all pass the check before any of them is counted.

use std::net::{IpAddr, Ipv6Addr};

use crate::domain::Timestamp;

/// At most `limit` attempts per `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: i64,
    pub window: i64,
}

/// Per account: slows down guessing one person's password from anywhere.
pub const PER_ACCOUNT: Policy = Policy { limit: 5, window: 15 * 60 };
/// Per client address: slows down trying common passwords against many accounts.
pub const PER_ADDRESS: Policy = Policy { limit: 20, window: 15 * 60 };
/// Per account, for second-factor codes: counted apart from passwords, so the right password does
/// not buy more guesses. Five wrong codes in 15 minutes leave a guesser 480 a day: about 700 days
/// on average to hit one of the three six-digit codes a step accepts (NIST SP 800-63B 5.2.2 asks
/// for at most 100 consecutive failures).
pub const PER_SECOND_FACTOR: Policy = Policy { limit: 5, window: 15 * 60 };
/// Sign-ups and address changes per client address: each costs a 19 MiB password hash and a
/// mail. 30 sign-ups in a row from one address were all accepted before this limit.
pub const MAIL_PER_ADDRESS: Policy = Policy { limit: 20, window: 60 * 60 };
/// Sign-up and address-change mails per recipient: an inbox gets a few, never a flood (a sign-up
/// for a registered address mails "you already have an account" each time).
pub const MAIL_PER_RECIPIENT: Policy = Policy { limit: 3, window: 60 * 60 };
/// Address-change links per account: a member cannot mail links to address after address.
pub const MAIL_PER_ACCOUNT: Policy = Policy { limit: 5, window: 60 * 60 };

/// API requests per personal access token: 10 a second on average, far above what a script or a
/// front end needs, low enough that a leaked token cannot flood the database with writes.
pub const PER_API_TOKEN: Policy = Policy { limit: 600, window: 60 };

/// Comments and suggested corrections per client address: a lively discussion from one office
/// stays under it; a script posting from one address does not.
pub const COMMENTS_PER_ADDRESS: Policy = Policy { limit: 10, window: 10 * 60 };
/// Comments per signed-in account, wherever they come from.
pub const COMMENTS_PER_ACCOUNT: Policy = Policy { limit: 10, window: 10 * 60 };

/// Every policy above, for housekeeping: counts older than the longest window are dropped.
pub const ALL: [Policy; 9] = [
    PER_ACCOUNT,
    PER_ADDRESS,
    PER_SECOND_FACTOR,
    MAIL_PER_ADDRESS,
    MAIL_PER_RECIPIENT,
    MAIL_PER_ACCOUNT,
    PER_API_TOKEN,
    COMMENTS_PER_ADDRESS,
    COMMENTS_PER_ACCOUNT,
];

/// The longest window of [`ALL`], in seconds.
pub fn longest_window() -> i64 {
    ALL.iter().map(|p| p.window).max().unwrap_or(0)
}

/// A scope (`"account:ann@example.org"`) with the policy that limits it.
pub type Limit = (String, Policy);

/// A sign-in with a password on `account` (an address) from `client` (see [`client_key`]).
pub fn sign_in(account: &str, client: &str) -> [Limit; 2] {
    [(format!("account:{account}"), PER_ACCOUNT), (format!("addr:{}", client_key(client)), PER_ADDRESS)]
}

/// A second-factor code for user `user_id` from `client`.
pub fn second_factor(user_id: i64, client: &str) -> [Limit; 2] {
    [(format!("totp:{user_id}"), PER_SECOND_FACTOR), (format!("addr:{}", client_key(client)), PER_ADDRESS)]
}

/// A password-reset request: counted apart from sign-ins, so asking for mail does not lock anyone
/// out, yet nobody can flood an inbox.
pub fn reset(account: &str, client: &str) -> [Limit; 2] {
    [(format!("reset:{account}"), PER_ACCOUNT), (format!("reset-addr:{}", client_key(client)), PER_ADDRESS)]
}

/// A sign-up for `recipient` from `client`: counted whether or not the address has an account,
/// so the limit says nothing about that either.
pub fn sign_up(recipient: &str, client: &str) -> [Limit; 2] {
    [
        (format!("mail-to:{recipient}"), MAIL_PER_RECIPIENT),
        (format!("mail-addr:{}", client_key(client)), MAIL_PER_ADDRESS),
    ]
}

/// A request by user `user_id` to move their account to `recipient`, from `client`. Shares the
/// recipient's and the client's counts with sign-ups: both mail a link to an address typed in.
pub fn email_change(user_id: i64, recipient: &str, client: &str) -> [Limit; 3] {
    [
        (format!("mail-to:{recipient}"), MAIL_PER_RECIPIENT),
        (format!("mail-addr:{}", client_key(client)), MAIL_PER_ADDRESS),
        (format!("mail-user:{user_id}"), MAIL_PER_ACCOUNT),
    ]
}

/// A comment from `client`, by the account `user_id` when signed in. Corrections count with
/// comments: both are public forms that reach the moderators.
pub fn comment(user_id: Option<i64>, client: &str) -> Vec<Limit> {
    let mut limits = vec![(format!("comment-addr:{}", client_key(client)), COMMENTS_PER_ADDRESS)];
    limits.extend(user_id.map(|id| (format!("comment-user:{id}"), COMMENTS_PER_ACCOUNT)));
    limits
}

/// A request made with the API token `token_id`, whoever's it is and wherever it comes from.
pub fn api_token(token_id: i64) -> [Limit; 1] {
    [(format!("api-token:{token_id}"), PER_API_TOKEN)]
}

/// The part of a client address that names one client: an IPv4 address whole, an IPv6 address
/// by its /64 (`2001:db8:1:2::/64`), since a host commonly holds a whole /64 (RFC 7934) and can
/// pick a new address in it for every request. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) counts as
/// the IPv4 address it carries. Anything that is not an address is kept as it is.
pub fn client_key(addr: &str) -> String {
    match addr.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => addr.to_owned(),
    }
}

impl Policy {
    /// Seconds until another attempt is allowed, given the attempts inside the window and the
    /// time of the oldest of them; `None` when an attempt is allowed now.
    pub fn retry_after(&self, attempts: i64, oldest: Option<Timestamp>, now: Timestamp) -> Option<u64> {
        if attempts < self.limit {
            return None;
        }
        let wait = oldest.map_or(self.window, |oldest| oldest + self.window - now);
        Some(u64::try_from(wait.max(1)).unwrap_or(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_at_the_limit_until_the_oldest_failure_ages_out() {
        let p = Policy { limit: 3, window: 600 };
        assert_eq!(p.retry_after(2, Some(1000), 1100), None);
        assert_eq!(p.retry_after(3, Some(1000), 1100), Some(500));
        assert_eq!(p.retry_after(3, Some(1000), 1600), Some(1));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_bit_prefix() {
        assert_eq!(client_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(client_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_eq!(client_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(client_key("::1"), "::/64");
    }

    #[test]
    fn ipv4_clients_keep_their_whole_address_also_when_mapped() {
        assert_eq!(client_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(client_key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_ne!(client_key("::ffff:198.51.100.7"), client_key("::ffff:198.51.100.8"));
        assert_eq!(client_key(""), "");
    }

    #[test]
    fn sign_ups_and_address_changes_share_the_recipient_and_client_counts() {
        let [(to, _), (from, _)] = sign_up("b@example.org", "192.0.2.1");
        let [(change_to, _), (change_from, _), (member, policy)] =
            email_change(7, "b@example.org", "192.0.2.1");
        assert_eq!((to, from), (change_to, change_from));
        assert_eq!(policy, MAIL_PER_ACCOUNT);
        assert_eq!(member, "mail-user:7");
        assert_eq!(longest_window(), 3600, "housekeeping keeps an hour of attempts");
    }

    #[test]
    fn sign_ins_and_codes_count_on_separate_scopes() {
        let [(account, _), (addr, _)] = sign_in("a@example.org", "2001:db8::9");
        let [(code, policy), (code_addr, _)] = second_factor(7, "2001:db8::10");
        assert_ne!(account, code);
        assert_eq!(policy, PER_SECOND_FACTOR);
        assert_eq!(addr, code_addr, "one /64 shares one count");
    }
}
