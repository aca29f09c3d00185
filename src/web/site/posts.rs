//! The article page.

use askama::Template;
use rocket::request::FlashMessage;
use rocket::{State, get};
use rocket_db_pools::Connection;
use serde_json::json;

use crate::db::FolioDb;
use crate::db::posts::{self, PostPage, Surroundings, TagRef};
use crate::domain::addresses::Kind;
use crate::domain::clock::Clock;
use crate::domain::{self, corrections, dates};
use crate::web::error::{AppError, AppResult};
use crate::web::forms::Notice;
use crate::web::headers::Private;
use crate::web::htmx::Html;
use crate::web::params::SlugParam;
use crate::web::redirect::Shown;
use crate::web::site::comments::Discussion;
use crate::web::view::{Dated, Meta, Site, SiteRef, breadcrumbs, json_ld_graph};

#[derive(Template)]
#[template(path = "site/post.html")]
pub struct PostView<'a> {
    site: &'a Site,
    meta: Meta,
    post: PostPage,
    tags: Vec<TagRef>,
    around: Surroundings,
    /// The comments section; none on a preview.
    discussion: Option<Discussion>,
    /// Correction notices: ("Correction, 3 December 2026:", text), oldest first.
    corrections: Vec<(String, String)>,
    /// A one-time notice after posting a comment (the page is then not cached: the flash
    /// cookie makes it this visitor's).
    notice: Option<Notice>,
}

/// The highest page of comments asked for before looking: 100 million comments.
const MAX_COMMENT_PAGE: i64 = 1_000_000;

/// `comments` is the page of comments (1, the newest, when absent).
#[get("/posts/<slug>?<comments>")]
pub async fn show(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    slug: SlugParam,
    comments: Option<i64>,
    flash: Option<FlashMessage<'_>>,
) -> AppResult<Shown> {
    let site: &Site = &site;
    let now = clock.now();
    let slug = slug.get()?;
    // Both statements on one connection: one release to the pool instead of two.
    let mut held = db.hold().await?;
    let Some(post) = posts::find_visible(&mut held, slug, now).await? else {
        drop(held);
        return super::moved(&db, Kind::Post, slug, now, "").await;
    };
    let (tag_ids, tags): (Vec<i64>, Vec<TagRef>) = post.tags().into_iter().unzip();
    let around = posts::surroundings(&mut held, &post, &tag_ids, now).await?;
    drop(held);
    // Pages of comments are counted from 1; a number no thread reaches is not found (and never
    // reaches arithmetic that could overflow).
    let page = comments.unwrap_or(1);
    if !(1..=MAX_COMMENT_PAGE).contains(&page) {
        return Err(AppError::not_found());
    }
    let discussion = Discussion::load(&db, site, &post, page, now).await?;
    if discussion.page > discussion.pages {
        return Err(AppError::not_found());
    }
    let notices = post.corrections();
    let meta = with_corrections(post_meta(site, &post, &tags), &notices);
    let corrections = notices.iter().map(|(at, body)| (corrections::heading(*at), body.clone())).collect();
    // The post's own last change (a scheduled post changes when it appears), a correction notice
    // (which updates the post) or any change to its comments. What surrounds it (neighbours, the
    // site's name) may change later without moving this date; clients that kept the page send
    // its ETag too, and If-None-Match then decides alone.
    let changed = post.updated_at.max(post.published_at).max(post.comments_changed_at.unwrap_or(0));
    let expires = discussion.expires;
    let notice = Notice::from_flash(flash);
    let view = PostView { site, meta, post, tags, around, discussion: Some(discussion), corrections, notice };
    Ok(Html::page(&view)?.last_modified(changed).expires(expires).into())
}

/// A post (draft, scheduled or published) shown to whoever holds its private preview link.
/// Never indexed; the link stops working when a new one is made.
#[get("/preview/<token>")]
pub async fn preview(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    token: &str,
    _private: Private,
) -> AppResult<Html> {
    let site: &Site = &site;
    if !domain::secrets::is_token(token) {
        return Err(AppError::not_found());
    }
    let now = clock.now();
    let post = posts::find_by_preview_token(&db, token, now).await?.ok_or_else(AppError::not_found)?;
    let (_, tags): (Vec<i64>, Vec<TagRef>) = post.tags().into_iter().unzip();
    let mut meta = post_meta(site, &post, &tags);
    meta.noindex = true;
    meta.json_ld = String::new();
    meta.canonical = site.url(&format!("/preview/{token}"));
    let around = Surroundings::default();
    let corrections = Vec::new();
    Html::page(&PostView { site, meta, post, tags, around, discussion: None, corrections, notice: None })
}

/// Adds the notices to the article's JSON-LD as schema.org `correction`s (`CorrectionComment`).
fn with_corrections(meta: Meta, notices: &[(crate::domain::Timestamp, String)]) -> Meta {
    if notices.is_empty() {
        return meta;
    }
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&meta.json_ld) else { return meta };
    if let Some(article) = json.pointer_mut("/@graph/0").and_then(serde_json::Value::as_object_mut) {
        let list: Vec<serde_json::Value> = notices
            .iter()
            .map(|(at, text)| json!({"@type": "CorrectionComment", "text": text, "datePublished": dates::iso(*at)}))
            .collect();
        article.insert("correction".to_owned(), serde_json::Value::Array(list));
    }
    meta.with_json_ld(json)
}

fn post_meta(site: &Site, post: &PostPage, tags: &[TagRef]) -> Meta {
    let path = format!("/posts/{}", post.slug);
    let headline = post.seo_title.as_deref().filter(|t| !t.is_empty()).unwrap_or(&post.title);
    let description = post.seo_description.as_deref().filter(|d| !d.is_empty()).unwrap_or(&post.excerpt);
    let mut meta = Meta::new(site, headline, description, &path);
    meta.og_type = "article";
    meta.image = post.cover_image.as_deref().map(|src| site.absolute(src));
    meta.published_time = Some(post.iso_date());
    meta.modified_time = Some(dates::iso(post.updated_at));
    let author_path = format!("/authors/{}", post.author_slug);
    let mut trail: Vec<(&str, String)> = Vec::new();
    if let Some(tag) = tags.first() {
        trail.push((&tag.name, format!("/tags/{}", tag.slug)));
    }
    trail.push((&post.title, path.clone()));
    let trail: Vec<(&str, &str)> = trail.iter().map(|(n, p)| (*n, p.as_str())).collect();
    let article = json!({
        "@type": "BlogPosting",
        "headline": post.title,
        "description": description,
        "url": site.url(&path),
        "mainEntityOfPage": site.url(&path),
        "datePublished": post.iso_date(),
        "dateModified": dates::iso(post.updated_at),
        "inLanguage": site.language,
        "keywords": tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "author": {"@type": "Person", "name": post.author_name, "url": site.url(&author_path)},
        "publisher": {"@type": "Organization", "name": site.title, "url": site.url("/")},
        "image": meta.image,
        "timeRequired": format!("PT{}M", post.reading_minutes),
        "commentCount": post.comment_count,
    });
    meta.with_json_ld(json_ld_graph(vec![article, breadcrumbs(site, &trail)]))
}
