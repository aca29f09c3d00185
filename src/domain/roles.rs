//! Roles and what each may do. Every route asks [`Role::can`]; nothing else decides access.

use std::fmt;

use super::editor::Intent;
use super::state::Publication;

/// A user's role, from most to least powerful. There is exactly one owner once setup has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Author,
    Contributor,
    Member,
}

/// Something a user may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Enter the admin at all.
    UseAdmin,
    /// Write drafts of one's own posts.
    WriteOwnPosts,
    /// Publish or schedule one's own posts.
    PublishOwnPosts,
    /// Edit, publish and delete anyone's posts and pages.
    EditAllContent,
    /// Create, rename and delete tags and series.
    ManageTaxonomy,
    /// Approve, mark as spam and delete comments.
    ModerateComments,
    /// See the user list, invite staff, change roles, disable and delete users.
    ManageUsers,
    /// Change site settings.
    ManageSettings,
    /// Choose the mail server. Owner only: whoever controls it reads every password-reset link,
    /// the owner's included.
    ManageMail,
    /// Hand the owner role to someone else.
    TransferOwnership,
    /// Comment and subscribe as a reader.
    Comment,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 6] =
        [Role::Owner, Role::Admin, Role::Editor, Role::Author, Role::Contributor, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Administrator",
            Role::Editor => "Editor",
            Role::Author => "Author",
            Role::Contributor => "Contributor",
            Role::Member => "Member",
        }
    }

    /// Staff write or run the site; members only read and comment.
    pub fn is_staff(self) -> bool {
        self != Role::Member
    }

    pub fn can(self, action: Action) -> bool {
        use Action::*;
        match action {
            Comment => true,
            UseAdmin | WriteOwnPosts => self.is_staff(),
            PublishOwnPosts => self <= Role::Author,
            EditAllContent | ManageTaxonomy | ModerateComments => self <= Role::Editor,
            ManageUsers | ManageSettings => self <= Role::Admin,
            TransferOwnership | ManageMail => self == Role::Owner,
        }
    }

    /// Whether a user with this role may give `target` (currently holding `current`) the role
    /// `new`. Only a transfer of ownership makes or unmakes an owner; admins manage everyone below
    /// the owner, including other admins.
    pub fn may_assign(self, current: Role, new: Role) -> bool {
        self.can(Action::ManageUsers) && current != Role::Owner && new != Role::Owner
    }

    /// Whether this role may manage (disable, delete, change) an account holding `other`.
    pub fn may_manage(self, other: Role) -> bool {
        self.can(Action::ManageUsers) && other != Role::Owner
    }
}

/// Something done to one post. Every path that changes a post (the editor's save and autosave,
/// bulk actions, restoring a revision, deleting, and later the API) asks [`may_change_post`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostChange {
    /// Change its text, fields or tags, or restore a revision.
    Edit,
    /// Publish, schedule or unpublish it.
    Publish,
    /// Delete it for good.
    Delete,
}

/// The facts about a post that decide who may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostOwnership {
    /// The user whose post it is.
    pub author_id: i64,
    /// Published or scheduled: out of a contributor's hands.
    pub published: bool,
}

/// Whether the user `user_id` holding `role` may make `change` to a post with `post`'s facts.
///
/// Editors and above may do anything to any post. Everyone else only touches their own: a
/// contributor edits and deletes drafts, and once a post is published (or scheduled) only those
/// who may publish their own posts (authors) may edit, unpublish or delete it. A new post is
/// `PostOwnership { author_id: user_id, published: false }`.
pub fn may_change_post(role: Role, user_id: i64, post: PostOwnership, change: PostChange) -> bool {
    if role.can(Action::EditAllContent) {
        return true;
    }
    if post.author_id != user_id || !role.can(Action::WriteOwnPosts) {
        return false;
    }
    match change {
        PostChange::Publish => role.can(Action::PublishOwnPosts),
        PostChange::Edit | PostChange::Delete => !post.published || role.can(Action::PublishOwnPosts),
    }
}

/// Whether the user may save a post with `post`'s facts as the editor's button `intent` asks:
/// every save edits it ([`PostChange::Edit`]), and publishing, scheduling or unpublishing also
/// needs [`PostChange::Publish`]. A new post is `PostOwnership { author_id: user_id, published:
/// false }`, as for [`may_change_post`], which decides both.
pub fn may_save_post(role: Role, user_id: i64, post: PostOwnership, intent: Intent) -> bool {
    may_change_post(role, user_id, post, PostChange::Edit)
        && (intent == Intent::Save || may_change_post(role, user_id, post, PostChange::Publish))
}

/// Whose comments the user `user_id` holding `role` moderates: `Some(None)` every post's
/// (editors and above), `Some(Some(user_id))` only those on their own posts (authors), `None`
/// nobody's (contributors and members).
pub fn comment_scope(role: Role, user_id: i64) -> Option<Option<i64>> {
    if role.can(Action::ModerateComments) {
        Some(None)
    } else if role.can(Action::PublishOwnPosts) {
        Some(Some(user_id))
    } else {
        None
    }
}

/// Whether the editor autosaves a post in `state` (`None`: not saved yet). Only drafts are:
/// saving a published post changes what readers see, which takes a deliberate click.
pub fn autosaves(state: Option<Publication>) -> bool {
    state.is_none_or(|s| s == Publication::Draft)
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_moderate_their_own_posts_only() {
        assert_eq!(comment_scope(Role::Editor, 7), Some(None));
        assert_eq!(comment_scope(Role::Owner, 7), Some(None));
        assert_eq!(comment_scope(Role::Author, 7), Some(Some(7)));
        assert_eq!(comment_scope(Role::Contributor, 7), None);
        assert_eq!(comment_scope(Role::Member, 7), None);
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Owner"), None);
    }

    #[test]
    fn permissions_follow_the_role_ladder() {
        use Action::*;
        let table = [
            (UseAdmin, "OAEAC-"),
            (WriteOwnPosts, "OAEAC-"),
            (PublishOwnPosts, "OAEA--"),
            (EditAllContent, "OAE---"),
            (ManageTaxonomy, "OAE---"),
            (ModerateComments, "OAE---"),
            (ManageUsers, "OA----"),
            (ManageSettings, "OA----"),
            (TransferOwnership, "O-----"),
            (ManageMail, "O-----"),
            (Comment, "OAEACM"),
        ];
        for (action, allowed) in table {
            for (role, mark) in Role::ALL.into_iter().zip(allowed.chars()) {
                assert_eq!(role.can(action), mark != '-', "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn post_changes_follow_ownership_and_publication() {
        use PostChange::*;
        let own_draft = PostOwnership { author_id: 7, published: false };
        let own_live = PostOwnership { author_id: 7, published: true };
        let theirs = PostOwnership { author_id: 8, published: false };
        for change in [Edit, Publish, Delete] {
            assert!(may_change_post(Role::Editor, 7, theirs, change));
            assert!(may_change_post(Role::Author, 7, own_live, change));
            assert!(!may_change_post(Role::Author, 7, theirs, change));
            assert!(!may_change_post(Role::Contributor, 7, own_live, change), "{change:?}");
            assert!(!may_change_post(Role::Contributor, 7, theirs, change));
            assert!(!may_change_post(Role::Member, 7, own_draft, change));
        }
        assert!(may_change_post(Role::Contributor, 7, own_draft, Edit));
        assert!(may_change_post(Role::Contributor, 7, own_draft, Delete));
        assert!(!may_change_post(Role::Contributor, 7, own_draft, Publish));
    }

    #[test]
    fn saving_as_asked_needs_the_right_to_publish_unless_it_only_saves() {
        let own_draft = PostOwnership { author_id: 7, published: false };
        let own_live = PostOwnership { author_id: 7, published: true };
        assert!(may_save_post(Role::Contributor, 7, own_draft, Intent::Save));
        for intent in [Intent::Publish, Intent::Schedule, Intent::Unpublish] {
            assert!(!may_save_post(Role::Contributor, 7, own_draft, intent), "{intent:?}");
            assert!(may_save_post(Role::Author, 7, own_draft, intent), "{intent:?}");
        }
        assert!(!may_save_post(Role::Contributor, 7, own_live, Intent::Save));
        assert!(may_save_post(Role::Author, 7, own_live, Intent::Save));
        assert!(autosaves(None) && autosaves(Some(Publication::Draft)));
        assert!(!autosaves(Some(Publication::Published)));
    }

    #[test]
    fn nobody_assigns_or_removes_the_owner_role() {
        assert!(Role::Admin.may_assign(Role::Editor, Role::Admin));
        assert!(!Role::Admin.may_assign(Role::Owner, Role::Admin));
        assert!(!Role::Owner.may_assign(Role::Admin, Role::Owner));
        assert!(!Role::Editor.may_assign(Role::Member, Role::Author));
        assert!(!Role::Admin.may_manage(Role::Owner));
        assert!(Role::Owner.may_manage(Role::Admin));
    }
}
