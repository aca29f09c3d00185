//! Personal access tokens: what a token may do (its [`Scope`]s), what its secret looks like, and
//! the rules for creating one (name, scopes, expiry). Shared by `/account/tokens` and
//! `folio token create`, so both refuse the same input with the same messages.

use std::fmt;

use super::Timestamp;
use super::roles::{Action, Role};
use super::secrets;
use super::validation::{FieldErrors, TextError, short_text};

/// What every secret starts with, so that secret scanners (GitHub's, for one) and people can tell
/// a Folio token from other strings, and a token pasted into the wrong place is recognisable.
pub const PREFIX: &str = "folio_pat_";

/// The longest token name, in characters.
pub const NAME_MAX: usize = 100;

/// The longest life a token may be given, in days (ten years).
pub const MAX_DAYS: i64 = 3650;

/// Seconds between writes of a token's last-used time: a busy client is not a write per request.
pub const TOUCH_EVERY: i64 = 60;

/// Something a token may be used for. The role of the token's owner still decides each request
/// (`domain::roles`); a scope only narrows what the token may attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read content, drafts included where the role may see them.
    Read,
    /// Create, change, publish and delete posts; create, rename and delete tags and series
    /// (which only sort posts) where the role allows.
    Posts,
    /// Create, change, publish and delete pages.
    Pages,
    /// Upload and delete media.
    Media,
    /// Everything the owner's role allows, every other scope included.
    Admin,
}

impl Scope {
    /// Every scope, in the order forms and lists show them.
    pub const ALL: [Scope; 5] = [Scope::Read, Scope::Posts, Scope::Pages, Scope::Media, Scope::Admin];

    /// The name used in forms, the command line and the database: `read`, `posts`, `pages`,
    /// `media`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Posts => "posts",
            Scope::Pages => "pages",
            Scope::Media => "media",
            Scope::Admin => "admin",
        }
    }

    /// The scope named `name` exactly (lowercase), if any.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// One line saying what the scope allows, for the form.
    pub fn description(self) -> &'static str {
        match self {
            Scope::Read => "Read posts, pages and drafts",
            Scope::Posts => "Write, publish and delete posts (and tags and series, for editors)",
            Scope::Pages => "Write, publish and delete pages (editors and above)",
            Scope::Media => "Upload and delete media",
            Scope::Admin => "Everything your role allows (administrators)",
        }
    }

    /// Whether someone with `role` may give a token this scope: a scope their role could never
    /// use would only mislead. Members have no API access at all.
    pub fn fits(self, role: Role) -> bool {
        match self {
            Scope::Read | Scope::Posts | Scope::Media => role.can(Action::UseAdmin),
            Scope::Pages => role.can(Action::EditAllContent),
            Scope::Admin => role.can(Action::ManageUsers),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token's scopes: a set, kept sorted, stored as names separated by spaces (`"read posts"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// The scopes of `names`, sorted and without repeats.
    pub fn new(names: impl IntoIterator<Item = Scope>) -> Scopes {
        let mut scopes: Vec<Scope> = names.into_iter().collect();
        scopes.sort_unstable();
        scopes.dedup();
        Scopes(scopes)
    }

    /// Reads the stored form. An unknown name (a hand-edited row, a newer version's scope) is
    /// dropped: a token gets less power from what it cannot read, never more.
    pub fn from_stored(stored: &str) -> Scopes {
        Scopes::new(stored.split_whitespace().filter_map(Scope::parse))
    }

    /// The stored form: names in [`Scope::ALL`] order, separated by one space.
    pub fn to_stored(&self) -> String {
        self.0.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// Whether a token with these scopes may do what `needed` covers: it holds `needed`, or
    /// `admin`, which covers every scope.
    pub fn allows(&self, needed: Scope) -> bool {
        self.0.contains(&needed) || self.0.contains(&Scope::Admin)
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A fresh secret: [`PREFIX`] and 256 random bits as 64 lowercase hex digits
/// ([`secrets::token`], the generator of sessions and mailed links). 74 characters.
pub fn new_secret() -> String {
    format!("{PREFIX}{}", secrets::token())
}

/// Whether `value` has the shape of a [`new_secret`]: checked before any lookup, so garbage in
/// an `Authorization` header never reaches the database.
pub fn is_secret(value: &str) -> bool {
    value.strip_prefix(PREFIX).is_some_and(secrets::is_token)
}

/// What is stored and looked up for `secret`: its SHA-256 as hex ([`secrets::digest`]).
pub fn digest(secret: &str) -> String {
    secrets::digest(secret)
}

/// A token's name: 1–[`NAME_MAX`] characters of text, trimmed, so a list of tokens says which
/// is which ("CI release notes").
pub fn name_rule(input: &str) -> Result<String, TextError> {
    short_text(input, NAME_MAX, "a name for the token")
}

/// Days until the token expires, as typed: empty for a token that never expires, else a whole
/// number from 1 to [`MAX_DAYS`].
pub fn days_rule(input: &str) -> Result<Option<i64>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    match input.parse::<i64>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(format!(
            "Enter a whole number of days from 1 to {MAX_DAYS}, or leave it empty for a token that does not expire."
        )),
    }
}

/// When a token made at `now` to last `days` expires (Unix seconds), or `None` for never.
pub fn expires_at(now: Timestamp, days: Option<i64>) -> Option<Timestamp> {
    days.map(|d| now + d * 86_400)
}

/// A request for a new token, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    pub name: String,
    pub scopes: Scopes,
    /// Days until it expires; `None` for never.
    pub days: Option<i64>,
}

impl NewApiToken {
    /// Checks a request from someone holding `role`: `name` by [`name_rule`], `scopes` (names)
    /// known, at least one, each one [`Scope::fits`] the role, and `days` by [`days_rule`].
    /// Errors are keyed by the form's fields `name`, `scopes` and `days`.
    pub fn check(name: &str, scopes: &[String], days: &str, role: Role) -> Result<NewApiToken, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", name_rule(name));
        let mut chosen = Vec::new();
        for raw in scopes {
            match Scope::parse(raw.trim()) {
                Some(scope) if scope.fits(role) => chosen.push(scope),
                Some(scope) => errors.add("scopes", format!("Your role cannot use the {scope} scope.")),
                None => errors.add(
                    "scopes",
                    format!(
                        "Unknown scope “{}”: choose from read, posts, pages, media and admin.",
                        raw.trim()
                    ),
                ),
            }
        }
        if scopes.is_empty() {
            errors.add("scopes", "Choose at least one scope.");
        }
        let days = errors.check("days", days_rule(days));
        match (name, days) {
            (Some(name), Some(days)) if errors.is_empty() => {
                Ok(NewApiToken { name, scopes: Scopes::new(chosen), days })
            }
            _ => Err(errors),
        }
    }
}

/// Whether `actor` (id, role) may revoke a token of user `owner_id`: their own, or anyone's for
/// those who manage users (administrators and the owner).
pub fn may_revoke(actor_id: i64, actor_role: Role, owner_id: i64) -> bool {
    actor_id == owner_id || actor_role.can(Action::ManageUsers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn scopes_round_trip_and_admin_covers_the_rest() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("Read"), None);
        let stored = Scopes::from_stored("posts read posts bogus");
        assert_eq!(stored.to_stored(), "read posts");
        assert!(stored.allows(Scope::Posts) && !stored.allows(Scope::Media));
        assert!(Scopes::new([Scope::Admin]).allows(Scope::Pages));
    }

    #[test]
    fn secrets_have_the_prefix_and_are_recognised() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), PREFIX.len() + 64);
        assert!(is_secret(&a));
        assert!(!is_secret(&a[PREFIX.len()..]), "a session-like token without the prefix");
        assert!(!is_secret(&a[..a.len() - 1]));
        assert_eq!(digest(&a), secrets::digest(&a));
    }

    #[test]
    fn a_request_is_checked_field_by_field() {
        let ok = NewApiToken::check(" CI ", &names(&["posts", "read", "posts"]), "30", Role::Author).unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.scopes.to_stored().as_str(), ok.days),
            ("CI", "read posts", Some(30))
        );
        let never = NewApiToken::check("x", &names(&["admin"]), " ", Role::Admin).unwrap();
        assert_eq!(never.days, None);
        let bad = NewApiToken::check("", &names(&["pages", "write"]), "0", Role::Contributor).unwrap_err();
        assert_eq!(bad.get("name"), Some("Enter a name for the token."));
        assert_eq!(bad.get("scopes"), Some("Your role cannot use the pages scope."));
        assert!(bad.get("days").is_some_and(|m| m.contains("from 1 to 3650")));
        let none = NewApiToken::check("x", &[], "3651", Role::Owner).unwrap_err();
        assert_eq!(none.get("scopes"), Some("Choose at least one scope."));
        assert!(none.get("days").is_some());
        let long = "n".repeat(NAME_MAX + 1);
        assert!(NewApiToken::check(&long, &names(&["read"]), "", Role::Editor).is_err());
    }

    #[test]
    fn members_get_no_scope_and_revoking_is_for_the_owner_or_admins() {
        assert!(Scope::ALL.iter().all(|s| !s.fits(Role::Member)));
        assert!(Scope::Posts.fits(Role::Contributor) && !Scope::Admin.fits(Role::Editor));
        assert_eq!(expires_at(1000, Some(2)), Some(1000 + 2 * 86_400));
        assert!(may_revoke(7, Role::Contributor, 7));
        assert!(!may_revoke(7, Role::Editor, 8));
        assert!(may_revoke(7, Role::Admin, 8));
    }
}
