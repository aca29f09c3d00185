//! Bulk actions on the post list, and the confirmation page that deleting asks for. The list's
//! form is a plain one even with JavaScript: a dialog in the browser would ask before the server
//! could say that nothing is selected.

use rocket::form::FromForm;
use rocket::{Route, post, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::admin_posts::{self, BULK_MAX, Bulk};
use crate::domain::editor::parse_tags;
use crate::domain::now;
use crate::domain::roles::Action;
use crate::domain::webhooks::Subject;
use crate::web::admin::Desk;
use crate::web::admin::confirm::DeletePrompt;
use crate::web::error::AppResult;
use crate::web::form::Form;
use crate::web::htmx::Html;
use crate::web::redirect::{Answer, done, failed};

#[derive(FromForm)]
pub struct BulkForm {
    action: String,
    ids: Vec<i64>,
    tag: String,
    back: String,
    confirm: bool,
}

#[post("/admin/posts/bulk", data = "<form>")]
async fn apply(db: Connection<FolioDb>, desk: Desk, form: Form<BulkForm>) -> AppResult<Answer> {
    desk.require(Action::WriteOwnPosts)?;
    let back = format!("/admin/posts?{}", form.back.trim_start_matches('?'));
    let back = crate::web::redirect::next_or(&back, "/admin/posts");
    if form.ids.is_empty() {
        return Ok(failed(desk.hx, back, "Select at least one post first."));
    }
    if form.ids.len() > BULK_MAX {
        return Ok(failed(desk.hx, back, format!("Select at most {BULK_MAX} posts at a time.")));
    }
    let action = match form.action.as_str() {
        "publish" => Bulk::Publish,
        "unpublish" => Bulk::Unpublish,
        "delete" => Bulk::Delete,
        "tag" => match parse_tags(&form.tag) {
            Ok(tags) if tags.len() == 1 => match tags.into_iter().next() {
                Some((slug, name)) => Bulk::Tag(slug, name),
                None => return Ok(failed(desk.hx, back, "Type the name of one tag to add.")),
            },
            Ok(_) => return Ok(failed(desk.hx, back, "Type the name of one tag to add.")),
            Err(e) => return Ok(failed(desk.hx, back, e)),
        },
        _ => return Ok(failed(desk.hx, back, "Choose an action.")),
    };
    if matches!(action, Bulk::Publish | Bulk::Unpublish) {
        desk.require(Action::PublishOwnPosts)?;
    }
    if matches!(action, Bulk::Delete) && !form.confirm {
        return confirm_delete(&desk, &form).map(Answer::from);
    }
    let change = action.change();
    let before = crate::webhooks::Before::take(&db, &desk.site.base_url, Subject::Post, &form.ids).await?;
    let changed =
        admin_posts::bulk(&db, &action, &form.ids, |post| desk.may_change(post, change), now()).await?;
    let verb = match &action {
        Bulk::Publish => "published".to_owned(),
        Bulk::Unpublish => "unpublished".to_owned(),
        Bulk::Delete => "deleted".to_owned(),
        Bulk::Tag(_, name) => format!("tagged “{name}”"),
    };
    let subject = if changed == 1 { "1 post".to_owned() } else { format!("{changed} posts") };
    desk.audit(&db, &verb, &subject, "bulk action").await?;
    before.emit(&db, now()).await?;
    let skipped = form.ids.len() as u64 - changed.min(form.ids.len() as u64);
    let mut message = format!("{subject} {verb}.");
    if skipped > 0 {
        message.push_str(&format!(
            " {skipped} left as they were (already in that state, or not yours to change)."
        ));
    }
    Ok(done(desk.hx, back, message))
}

fn confirm_delete(desk: &Desk, form: &BulkForm) -> AppResult<Html> {
    let count = form.ids.len();
    let mut page = DeletePrompt::new(desk, "Delete posts?", "/admin/posts/bulk", "/admin/posts");
    page.message = format!(
        "Delete {} for good? Their revisions go with them; this cannot be undone.",
        if count == 1 { "1 post".to_owned() } else { format!("{count} posts") }
    );
    page.fields = vec![
        ("action".into(), "delete".into()),
        ("tag".into(), String::new()),
        ("back".into(), form.back.clone()),
    ];
    page.fields.extend(form.ids.iter().map(|id| ("ids".to_owned(), id.to_string())));
    page.button = if count == 1 { "Delete the post".into() } else { format!("Delete {count} posts") };
    Html::page(&page)
}

pub fn routes() -> Vec<Route> {
    routes![apply]
}
