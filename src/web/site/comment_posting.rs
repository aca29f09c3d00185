//! Taking a comment in: the bot defence (honeypot, fill time, rate limits, block list), the
//! checks, the moderation rules, and the mail a new comment causes, stored with it.

use rocket::http::Status;

use super::comments::{CommentForm, FormState, stamp_purpose};
use crate::db::Db;
use crate::db::comments::{self as store, NewComment};
use crate::db::outbox::NewMail;
use crate::db::posts::PostPage;
use crate::db::users;
use crate::domain::comments::{self as rules, Status as CommentStatus, check_body, check_guest};
use crate::domain::form_stamp::Verdict;
use crate::domain::roles::{Action, Role};
use crate::domain::spam::Submission;
use crate::domain::throttle;
use crate::domain::validation::FieldErrors;
use crate::mail::messages;
use crate::web::account::visit::Visit;
use crate::web::auth::CurrentUser;
use crate::web::error::AppResult;
use crate::web::stamp::Stamper;
use crate::web::view::Site;

/// What the reader is told when their comment waits, is spam, or was dropped by the honeypot:
/// the same words, so a bot learns nothing from them.
pub const HELD: &str = "Thank you. Your comment is awaiting moderation.";

/// What became of a submitted comment.
pub enum Posted {
    /// The form again, with this status (422, or 429 for too many comments).
    Invalid(Box<FormState>, Status),
    /// Approved and shown: its id.
    Shown(i64),
    /// Waiting for a moderator, marked spam, or silently dropped.
    Held,
}

fn again(form: CommentForm, errors: FieldErrors, status: Status) -> Posted {
    Posted::Invalid(Box::new(FormState { form, errors, notice: None }), status)
}

fn refused(form: CommentForm, field: &'static str, message: impl Into<String>, status: Status) -> Posted {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    again(form, errors, status)
}

/// Checks and stores the comment `form` on `post` from the visitor of `visit` (signed in as
/// `member` or a guest).
pub async fn post(
    db: &Db,
    visit: &Visit<'_>,
    stamper: &Stamper,
    member: Option<&CurrentUser>,
    post: &PostPage,
    form: CommentForm,
) -> AppResult<Posted> {
    let site = &visit.site;
    let now = stamper.now();
    let openness =
        super::comments::post_openness(site, post.comment_policy.as_deref(), post.published_at, now);
    if !openness.accepts() {
        return Ok(refused(form, "body", openness.reason(), Status::Forbidden));
    }
    if openness == rules::Openness::Members && member.is_none() {
        let message = "Only members can comment on this post: sign in first, then write your comment.";
        return Ok(refused(form, "body", message, Status::Forbidden));
    }
    // A bot fills every field it finds; it is told what a held comment's author is told.
    if !form.website.is_empty() {
        return Ok(Posted::Held);
    }
    if let Some(message) = stamp_error(stamper.check(&stamp_purpose(post.id), &form.stamp)) {
        return Ok(refused(form, "body", message, Status::UnprocessableEntity));
    }
    let mut errors = FieldErrors::new();
    let body = errors.check("body", check_body(&form.body));
    let guest = match member {
        Some(_) => None,
        None => check_guest(&form.name, &form.email, &form.url, &mut errors),
    };
    let Some(body) = body.filter(|_| errors.is_empty()) else {
        return Ok(again(form, errors, Status::UnprocessableEntity));
    };
    let user_id = member.map(|m| m.user.id);
    if let Some(message) = over_limit(db, user_id, &visit.addr.0, now).await? {
        return Ok(refused(form, "body", message, Status::TooManyRequests));
    }
    let parent_id = match form.parent {
        0 => None,
        id => match store::find(db, id).await? {
            Some(c) if c.post_id == post.id && c.status == "approved" => Some(c.parent_id.unwrap_or(c.id)),
            _ => {
                return Ok(refused(
                    form,
                    "body",
                    "The comment you answered is no longer there.",
                    Status::UnprocessableEntity,
                ));
            }
        },
    };
    let (name, email, url) = match (member, &guest) {
        (Some(m), _) => (m.user.display_name.clone(), m.user.email.clone(), String::new()),
        (None, Some(g)) => (g.name.clone(), g.email.as_str().to_owned(), g.url.clone()),
        (None, None) => return Ok(again(form, errors, Status::UnprocessableEntity)),
    };
    let role = member.map(|m| m.user.role);
    let staff = role.is_some_and(|r| r.can(Action::ModerateComments));
    let (status, held_for) = judge(
        db,
        visit,
        member,
        role,
        &Submission { name: &name, email: &email, url: &url, body: &body, addr: &visit.addr.0 },
    )
    .await?;
    let html = rules::render(&body);
    let mut mails = Vec::new();
    if status != CommentStatus::Spam {
        mails.extend(author_notice(db, visit, post, user_id, &name, &body, status).await?);
    }
    let comment = NewComment {
        post_id: post.id,
        parent_id,
        user_id,
        author_name: &name,
        author_email: &email,
        author_url: &url,
        body_md: &body,
        body_html: &html,
        status,
        held_for: &held_for,
        staff_reply: staff,
        // Only a member's address is confirmed: a guest could sign anyone up for reply mail.
        notify_replies: form.notify && parent_id.is_none() && member.is_some(),
        client_addr: &visit.addr.0,
        user_agent: visit.agent.0,
    };
    if status == CommentStatus::Approved
        && let Some(parent) = parent_id
    {
        mails.extend(reply_notices(db, &visit.site, stamper, &[(parent, email.clone())]).await?);
    }
    let (id, queued) = store::create(db, &comment, &mails, now).await?;
    visit.mailer.queued_all(&queued, &mails);
    Ok(if status == CommentStatus::Approved { Posted::Shown(id) } else { Posted::Held })
}

/// What a reader is told when a public form's stamp fails (`None`: it holds).
pub fn stamp_error(verdict: Verdict) -> Option<&'static str> {
    match verdict {
        Verdict::Fine => None,
        Verdict::TooFast => {
            Some("That was quicker than anyone can read and write. Check your text, then send it again.")
        }
        Verdict::Expired | Verdict::Forged => {
            Some("This form had expired. Your text is kept: send it again.")
        }
    }
}

/// Counts a comment or suggestion from `addr` (and account `user_id`) against the rate limits;
/// the message to show when one is reached.
pub async fn over_limit(
    db: &Db,
    user_id: Option<i64>,
    addr: &str,
    now: crate::domain::Timestamp,
) -> AppResult<Option<String>> {
    let limits = throttle::comment(user_id, addr);
    let crate::db::throttle::Verdict::Refused(wait) = crate::db::throttle::attempt(db, &limits, now).await?
    else {
        return Ok(None);
    };
    let minutes = wait.div_ceil(60).max(1);
    Ok(Some(format!(
        "You have sent many comments in a short time. Your text is kept: send it again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )))
}

/// The status a new comment starts in, and why the rules chose it.
async fn judge(
    db: &Db,
    visit: &Visit<'_>,
    member: Option<&CurrentUser>,
    role: Option<Role>,
    submission: &Submission<'_>,
) -> AppResult<(CommentStatus, String)> {
    let staff = role.is_some_and(|r| r.is_staff());
    if let Some(held) = spam_rules(&visit.site, staff, submission) {
        return Ok(held);
    }
    let before =
        store::approved_before(db, member.map(|m| m.user.id), submission.name, submission.email).await?;
    if rules::needs_approval(visit.site.comment_moderation, before, staff) {
        return Ok((CommentStatus::Pending, "moderation".to_owned()));
    }
    Ok((CommentStatus::Approved, String::new()))
}

/// What the block list and the link limit make of a comment (new or edited) by someone who is
/// `staff` or not: spam, held, or `None` when neither rule applies.
pub fn spam_rules(site: &Site, staff: bool, submission: &Submission<'_>) -> Option<(CommentStatus, String)> {
    if staff {
        return None;
    }
    if let Some(entry) = site.comment_blocklist.matches(submission) {
        return Some((CommentStatus::Spam, format!("block list: {entry}")));
    }
    if rules::link_count(submission.body) > site.comment_link_limit as usize {
        return Some((CommentStatus::Pending, "links".to_owned()));
    }
    None
}

/// The mail telling the post's author of a new comment, if they want it and did not write it.
async fn author_notice(
    db: &Db,
    visit: &Visit<'_>,
    post: &PostPage,
    commenter: Option<i64>,
    name: &str,
    body: &str,
    status: CommentStatus,
) -> AppResult<Option<NewMail>> {
    let Some(author) = users::comment_notice_recipient(db, &post.author_slug).await? else { return Ok(None) };
    if Some(author.0) == commenter {
        return Ok(None);
    }
    let site = &visit.site;
    let (label, url) = if status == CommentStatus::Pending {
        ("Moderate it", site.url("/admin/comments?status=pending"))
    } else {
        ("Read it", site.url(&format!("/posts/{}#comments", post.slug)))
    };
    let content = messages::new_comment(
        &site.title,
        &post.title,
        name,
        body,
        status == CommentStatus::Pending,
        label,
        &url,
    );
    Ok(Some(content.to(&author.1)?))
}

/// The reply notices for replies just approved: for each (parent id, the replier's email), a
/// mail to the parent comment's author when they asked for one and are not the replier.
pub async fn reply_notices(
    db: &Db,
    site: &Site,
    stamper: &Stamper,
    replies: &[(i64, String)],
) -> AppResult<Vec<NewMail>> {
    let mut mails = Vec::new();
    for (parent_id, replier) in replies {
        let Some(parent) = store::find(db, *parent_id).await? else { continue };
        let wanted = parent.notify_replies && parent.deleted_at.is_none() && !parent.author_email.is_empty();
        if !wanted || parent.author_email.eq_ignore_ascii_case(replier) {
            continue;
        }
        let url = site.url(&format!("/comments/{}", parent.id));
        let unsubscribe = site.url(&super::own_comments::unsubscribe_path(stamper, parent.id));
        let content = messages::comment_reply(&site.title, &parent.post_title, &url, &unsubscribe);
        mails.push(content.to(&parent.author_email)?);
    }
    Ok(mails)
}
