//! Spam rules that need no outside service: the site's block list, and the link count that sends
//! a comment to the moderators. The honeypot and the fill time are in [`super::form_stamp`];
//! rate limits in [`super::throttle`].

use std::net::IpAddr;

use ipnet::IpNet;

/// More links than this in one comment sends it to the moderation queue (the site may change
/// it). WordPress holds a comment with two or more links by default; one link is what a
/// reader's "see also" needs.
pub const LINK_LIMIT_DEFAULT: u32 = 2;

/// The largest block list, in characters: thousands of entries, one per line.
pub const BLOCK_LIST_MAX: usize = 50_000;

/// The site's block list, from its settings text: one entry per line, `#` starts a comment.
///
/// - `203.0.113.7`, `2001:db8::1`, `198.51.100.0/24`, `2001:db8::/32`: client addresses and CIDR
///   ranges (RFC 4632).
/// - `spammer@example.com`: one email address (compared without case).
/// - `@example.com`: every address at that domain and its subdomains.
/// - anything else: a word or phrase, found without case anywhere in the name, email address,
///   website or text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockList {
    nets: Vec<IpNet>,
    emails: Vec<String>,
    domains: Vec<String>,
    words: Vec<String>,
}

/// What a block-list check looks at.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub url: &'a str,
    pub body: &'a str,
    /// The client's address as `ClientAddr` gives it; one that does not parse matches no range.
    pub addr: &'a str,
}

impl BlockList {
    /// Reads the settings text; a line that is none of the other kinds is a word.
    pub fn parse(text: &str) -> BlockList {
        let mut list = BlockList::default();
        for line in text.lines() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            if let Ok(net) = entry.parse::<IpNet>() {
                list.nets.push(net);
            } else if let Ok(addr) = entry.parse::<IpAddr>() {
                list.nets.push(IpNet::from(addr));
            } else if let Some(domain) = entry.strip_prefix('@') {
                list.domains.push(domain.to_lowercase());
            } else if entry.contains('@') && !entry.contains(' ') {
                list.emails.push(entry.to_lowercase());
            } else {
                list.words.push(entry.to_lowercase());
            }
        }
        list
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.emails.is_empty() && self.domains.is_empty() && self.words.is_empty()
    }

    /// The first entry `submission` matches, described for the moderators ("address
    /// 203.0.113.0/24"), or `None`.
    pub fn matches(&self, submission: &Submission<'_>) -> Option<String> {
        if let Ok(addr) = submission.addr.parse::<IpAddr>()
            && let Some(net) = self.nets.iter().find(|net| net.contains(&addr))
        {
            return Some(format!("address {net}"));
        }
        let email = submission.email.to_lowercase();
        if let Some(listed) = self.emails.iter().find(|e| **e == email) {
            return Some(format!("email {listed}"));
        }
        if let Some((_, host)) = email.rsplit_once('@')
            && let Some(domain) = self.domains.iter().find(|d| host == *d || host.ends_with(&format!(".{d}")))
        {
            return Some(format!("domain @{domain}"));
        }
        let fields = [submission.name, submission.email, submission.url, submission.body];
        let text: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
        self.words.iter().find(|w| text.iter().any(|t| t.contains(w.as_str()))).map(|w| format!("word “{w}”"))
    }
}

/// `text` with `entries` appended, each on its own line unless already listed (for "mark as
/// spam and block").
pub fn with_entries(text: &str, entries: &[&str]) -> String {
    let listed: Vec<String> =
        text.lines().map(|l| l.split('#').next().unwrap_or("").trim().to_lowercase()).collect();
    let mut out = text.trim_end().to_owned();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        if !listed.contains(&entry.to_lowercase())
            && !out.lines().any(|l| l.trim().eq_ignore_ascii_case(entry))
        {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(entry);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(addr: &str, email: &str, body: &str) -> Submission<'static> {
        let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
        Submission { name: "Ann", email: leak(email), url: "", body: leak(body), addr: leak(addr) }
    }

    #[test]
    fn each_kind_of_entry_matches_what_it_names() {
        let list = BlockList::parse(
            "# spammers\n198.51.100.0/24\n2001:db8::/32\n203.0.113.7\nbad@example.com\n@spam.example\nCheap Pills  # words\n",
        );
        assert_eq!(
            list.matches(&from("198.51.100.99", "a@b.c", "hi")).as_deref(),
            Some("address 198.51.100.0/24")
        );
        assert!(list.matches(&from("2001:db8:1::5", "a@b.c", "hi")).is_some());
        assert!(list.matches(&from("203.0.113.7", "a@b.c", "hi")).is_some());
        assert!(list.matches(&from("203.0.113.8", "a@b.c", "hi")).is_none());
        assert!(list.matches(&from("192.0.2.1", "BAD@Example.com", "hi")).is_some());
        assert!(list.matches(&from("192.0.2.1", "x@mail.spam.example", "hi")).is_some());
        assert!(list.matches(&from("192.0.2.1", "x@notspam.example", "hi")).is_none());
        assert!(list.matches(&from("192.0.2.1", "a@b.c", "buy CHEAP PILLS now")).is_some());
        assert!(list.matches(&from("not an address", "a@b.c", "fine")).is_none());
        assert!(BlockList::parse("# only a comment\n\n").is_empty());
    }

    #[test]
    fn entries_are_appended_once() {
        assert_eq!(with_entries("", &["a@b.c", "192.0.2.1"]), "a@b.c\n192.0.2.1");
        assert_eq!(with_entries("A@B.C\n", &["a@b.c", ""]), "A@B.C");
    }
}
