//! The sitemap (`/sitemap.xml` and its parts, checked against the sitemaps.org schemas with
//! xmllint), robots.txt's `Sitemap` line, and the 301s from old slugs, on both backends.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::fixtures::{DAY, HOUR, base, post, slug};
use common::{Backend, TestApp, editor_fields, with};
use folio::domain::content::NewPage;
use folio::domain::dates;
use folio::domain::roles::Role;
use folio::domain::state::Publication;
use rocket::figment::Figment;
use rocket::http::Status;

const BASE: &str = "http://localhost:8000";

/// Validates `xml` against `schema` (a file in tests/sitemaps/) with xmllint; fails, never
/// skips, when xmllint is missing: `.ci/run` installs it.
fn assert_valid(xml: &str, schema: &str) {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.xml");
    std::fs::write(&doc, xml).unwrap();
    let schema = format!("{}/tests/sitemaps/{schema}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema", &schema])
        .arg(&doc)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xmllint ({e}): install libxml2-utils, as .ci/run does"));
    assert!(out.status.success(), "{schema} refuses:\n{}\n{xml}", String::from_utf8_lossy(&out.stderr));
}

/// The text of every `<loc>` (not `<image:loc>`), in order.
fn locs(xml: &str) -> Vec<String> {
    xml.split("<loc>").skip(1).map(|rest| rest[..rest.find("</loc>").unwrap()].to_owned()).collect()
}

/// The `<lastmod>` given beside `<loc>loc</loc>`, if any.
fn lastmod_of(xml: &str, loc: &str) -> Option<String> {
    let needle = format!("<loc>{loc}</loc>");
    let start = xml.find(&needle).unwrap_or_else(|| panic!("no {loc} in:\n{xml}")) + needle.len();
    let entry = &xml[start..];
    let entry = &entry[..entry.find("</url>").or_else(|| entry.find("</sitemap>")).unwrap()];
    let open = entry.find("<lastmod>")?;
    Some(entry[open + 9..entry.find("</lastmod>").unwrap()].to_owned())
}

/// Fetches the index and every part it names, validating each; returns the index and the
/// parts' bodies by path.
async fn crawl(app: &TestApp) -> (String, Vec<(String, String)>) {
    let index = app.get("/sitemap.xml").await;
    assert_eq!(index.status, Status::Ok, "{}", index.body);
    assert_eq!(index.header("Content-Type"), Some("application/xml; charset=utf-8"));
    assert_valid(&index.body, "siteindex.xsd");
    let mut parts = Vec::new();
    for loc in locs(&index.body) {
        let path = loc.strip_prefix(BASE).unwrap().to_owned();
        let part = app.get(&path).await;
        assert_eq!(part.status, Status::Ok, "{path}: {}", part.body);
        assert_valid(&part.body, "urlset.xsd");
        parts.push((path, part.body));
    }
    (index.body, parts)
}

fn all_locs(parts: &[(String, String)], prefix: &str) -> Vec<String> {
    parts.iter().filter(|(path, _)| path.starts_with(prefix)).flat_map(|(_, body)| locs(body)).collect()
}

async fn the_index_splits_kinds_into_valid_parts(backend: Backend) {
    let mut bundle = base();
    bundle.posts = (1..=5).map(|i| post(&format!("Visible {i}"), i * HOUR, &["rust"])).collect();
    let mut covered = post("With a cover", 10 * HOUR, &["design"]);
    covered.cover_image = Some("/media/7/a cover & more.png".into());
    bundle.posts.push(covered);
    bundle.posts.push(post("Unfinished", HOUR, &["news"]).into_draft());
    let mut scheduled = post("Tomorrow's news", 0, &["news"]);
    scheduled.published_at = Some(folio::domain::now() + DAY);
    bundle.posts.push(scheduled);
    let mut hidden = NewPage::published(slug("hidden"), "Hidden", "Not yet.");
    hidden.status = Publication::Draft;
    bundle.pages.push(hidden);
    let app = TestApp::with_config(backend, bundle, Figment::new().merge(("sitemap_urls", 2))).await;

    let (index, parts) = crawl(&app).await;
    let children: Vec<String> = locs(&index).into_iter().map(|l| l.replace(BASE, "")).collect();
    // Six visible posts make three parts of two; the home and About one part; two tags (news
    // has no visible post); one author (Bo wrote nothing); no series (none has a post).
    assert_eq!(
        children,
        [
            "/sitemaps/posts-1.xml",
            "/sitemaps/posts-2.xml",
            "/sitemaps/posts-3.xml",
            "/sitemaps/pages-1.xml",
            "/sitemaps/tags-1.xml",
            "/sitemaps/authors-1.xml",
        ]
    );
    let mut posts = all_locs(&parts, "/sitemaps/posts-");
    posts.sort();
    let expected: Vec<String> =
        ["visible-1", "visible-2", "visible-3", "visible-4", "visible-5", "with-a-cover"]
            .iter()
            .map(|s| format!("{BASE}/posts/{s}"))
            .collect();
    assert_eq!(posts, expected, "no draft, no scheduled post, each post once");
    assert_eq!(all_locs(&parts, "/sitemaps/pages-"), [format!("{BASE}/"), format!("{BASE}/about")]);
    assert_eq!(
        all_locs(&parts, "/sitemaps/tags-"),
        [format!("{BASE}/tags/rust"), format!("{BASE}/tags/design")]
    );
    assert_eq!(all_locs(&parts, "/sitemaps/authors-"), [format!("{BASE}/authors/ada")]);
    let cover = parts.iter().find(|(_, body)| body.contains("with-a-cover")).unwrap();
    assert!(
        cover.1.contains("<image:loc>http://localhost:8000/media/7/a%20cover%20&amp;%20more.png</image:loc>"),
        "{}",
        cover.1
    );
    assert_eq!(parts.iter().map(|(_, body)| body.matches("<image:image>").count()).sum::<usize>(), 1);

    for missing in
        ["/sitemaps/posts-4.xml", "/sitemaps/series-1.xml", "/sitemaps/posts-0.xml", "/sitemaps/drafts-1.xml"]
    {
        assert_eq!(app.get(missing).await.status, Status::NotFound, "{missing}");
    }

    // The scheduled post (and its tag) arrive at their moment.
    app.advance_clock(DAY + HOUR);
    let (index, parts) = crawl(&app).await;
    assert!(index.contains("/sitemaps/posts-4.xml"), "{index}");
    assert!(all_locs(&parts, "/sitemaps/posts-").contains(&format!("{BASE}/posts/tomorrow-s-news")));
    assert!(all_locs(&parts, "/sitemaps/tags-").contains(&format!("{BASE}/tags/news")));
}

async fn lastmod_is_the_true_last_change(backend: Backend) {
    let mut bundle = base();
    let mut first = post("First steps", 3 * DAY, &["rust"]);
    first.series = Some((slug("learn-rust"), 1));
    let mut second = post("Second steps", 2 * DAY, &["rust", "design"]);
    second.series = Some((slug("learn-rust"), 2));
    bundle.posts = vec![first, second, post("A draft", DAY, &["design"]).into_draft()];
    let app = TestApp::with_config(backend, bundle, Figment::new()).await;
    let now = folio::domain::now();
    // The first post was edited after the second was published: it is the newest change.
    let edited = now - DAY / 2;
    app.sql(&format!("UPDATE posts SET updated_at = {edited} WHERE slug = 'first-steps'")).await;
    let second_at = app.count("SELECT published_at FROM posts WHERE slug = 'second-steps'").await;
    // A draft's later edits do not date its tag.
    app.sql(&format!("UPDATE posts SET updated_at = {now} WHERE slug = 'a-draft'")).await;
    app.sql(&format!("UPDATE pages SET updated_at = {} WHERE slug = 'about'", now - 5 * DAY)).await;

    let (index, parts) = crawl(&app).await;
    assert!(!index.contains("1970") && parts.iter().all(|(_, body)| !body.contains("1970")));
    let body = |prefix: &str| parts.iter().find(|(p, _)| p.starts_with(prefix)).unwrap().1.clone();
    let iso = |ts: i64| Some(dates::iso(ts));
    let posts = body("/sitemaps/posts-1");
    assert_eq!(lastmod_of(&posts, &format!("{BASE}/posts/first-steps")), iso(edited));
    assert_eq!(lastmod_of(&posts, &format!("{BASE}/posts/second-steps")), iso(second_at));
    let tags = body("/sitemaps/tags-1");
    assert_eq!(lastmod_of(&tags, &format!("{BASE}/tags/rust")), iso(edited));
    assert_eq!(lastmod_of(&tags, &format!("{BASE}/tags/design")), iso(second_at));
    assert_eq!(lastmod_of(&body("/sitemaps/series-1"), &format!("{BASE}/series/learn-rust")), iso(edited));
    assert_eq!(lastmod_of(&body("/sitemaps/authors-1"), &format!("{BASE}/authors/ada")), iso(edited));
    let pages = body("/sitemaps/pages-1");
    assert_eq!(lastmod_of(&pages, &format!("{BASE}/")), iso(edited));
    assert_eq!(lastmod_of(&pages, &format!("{BASE}/about")), iso(now - 5 * DAY));
    // Each part is dated by its newest entry.
    assert_eq!(lastmod_of(&index, &format!("{BASE}/sitemaps/posts-1.xml")), iso(edited));
    assert_eq!(lastmod_of(&index, &format!("{BASE}/sitemaps/pages-1.xml")), iso(edited));

    // A site with nothing published still has a valid sitemap: the home page, undated.
    app.sql("UPDATE posts SET status = 'draft', published_at = NULL").await;
    let (index, parts) = crawl(&app).await;
    assert_eq!(locs(&index), [format!("{BASE}/sitemaps/pages-1.xml")]);
    assert_eq!(lastmod_of(&parts[0].1, &format!("{BASE}/")), None);
}

async fn robots_names_the_sitemap(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status, Status::Ok);
    assert!(
        robots.body.lines().any(|l| l == "Sitemap: http://localhost:8000/sitemap.xml"),
        "{}",
        robots.body
    );

    let elsewhere = Figment::new().merge(("base_url", "https://example.org/blog/"));
    let app = app.restart(elsewhere).await;
    let robots = app.get("/robots.txt").await;
    assert!(
        robots.body.lines().any(|l| l == "Sitemap: https://example.org/blog/sitemap.xml"),
        "{}",
        robots.body
    );
    let index = app.get("/sitemap.xml").await;
    assert!(
        index.body.contains("<loc>https://example.org/blog/sitemaps/pages-1.xml</loc>"),
        "{}",
        index.body
    );
}

/// Answers 301 to `to` on GET and HEAD.
async fn assert_moved(app: &TestApp, from: &str, to: &str) {
    let got = app.get(from).await;
    assert_eq!(got.status, Status::MovedPermanently, "GET {from}: {}", got.body);
    assert_eq!(got.header("Location"), Some(to), "GET {from}");
    let head = app.client.head(from.to_owned()).dispatch().await;
    assert_eq!(head.status(), Status::MovedPermanently, "HEAD {from}");
    assert_eq!(head.headers().get_one("Location"), Some(to), "HEAD {from}");
}

/// The editor's fields renaming post `id` (at its current version) to `to`, kept published.
async fn rename_post(app: &TestApp, from: &str, to: &str) {
    let id = app.count(&format!("SELECT id FROM posts WHERE slug = '{from}'")).await.to_string();
    let version = app.count(&format!("SELECT version FROM posts WHERE id = {id}")).await.to_string();
    let title = app.text(&format!("SELECT title FROM posts WHERE id = {id}")).await;
    let extra = [("id", id.as_str()), ("version", version.as_str()), ("slug", to)];
    let fields = with(editor_fields(&title, "Renamed.", "save"), &extra);
    let saved = app.submit("/admin/posts/save", &fields).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
}

async fn rename_page(app: &TestApp, from: &str, to: &str, published: bool) {
    let id = app.count(&format!("SELECT id FROM pages WHERE slug = '{from}'")).await.to_string();
    let version = app.count(&format!("SELECT version FROM pages WHERE id = {id}")).await.to_string();
    let mut fields = vec![
        ("id", id.as_str()),
        ("version", &version),
        ("title", "About us"),
        ("slug", to),
        ("body", "Moved."),
        ("seo_title", ""),
        ("seo_description", ""),
    ];
    if published {
        fields.push(("published", "true"));
    }
    let saved = app.submit("/admin/pages/save", &fields).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
}

/// Renames a tag (`vocabulary` "tags") or series ("series") through the admin.
async fn rename_term(app: &TestApp, vocabulary: &str, from: &str, to: &str) {
    let id = app.count(&format!("SELECT id FROM {vocabulary} WHERE slug = '{from}'")).await.to_string();
    let fields = [("id", id.as_str()), ("name", to), ("slug", to), ("description", "")];
    let saved = app.submit(&format!("/admin/{vocabulary}/save"), &fields).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
}

async fn old_slugs_answer_301_for_every_kind(backend: Backend) {
    let mut bundle = base();
    let mut first = post("Hello world", DAY, &["rust"]);
    first.series = Some((slug("learn-rust"), 1));
    bundle.posts = vec![first];
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;

    rename_post(&app, "hello-world", "hello-there").await;
    assert_moved(&app, "/posts/hello-world", "/posts/hello-there").await;
    assert_eq!(app.get("/posts/hello-there").await.status, Status::Ok);

    rename_page(&app, "about", "about-us", true).await;
    assert_moved(&app, "/about", "/about-us").await;
    app.get("/about-us").await.assert_contains("Moved.");

    rename_term(&app, "tags", "rust", "rust-lang").await;
    assert_moved(&app, "/tags/rust", "/tags/rust-lang").await;
    assert_moved(&app, "/tags/rust?page=2", "/tags/rust-lang?page=2").await;
    rename_term(&app, "series", "learn-rust", "rust-course").await;
    assert_moved(&app, "/series/learn-rust", "/series/rust-course").await;

    // Folio has no screen that changes an author's slug yet; the database keeps the old one
    // whatever statement changes it.
    app.sql("UPDATE users SET slug = 'ada-lovelace' WHERE slug = 'ada'").await;
    assert_moved(&app, "/authors/ada", "/authors/ada-lovelace").await;
    assert_moved(&app, "/authors/ada?page=3", "/authors/ada-lovelace?page=3").await;

    // What never existed is still not found.
    for path in ["/posts/nothing", "/nothing", "/tags/nothing", "/series/nothing", "/authors/nobody"] {
        assert_eq!(app.get(path).await.status, Status::NotFound, "{path}");
    }
}

async fn renames_chain_and_old_slugs_can_be_taken(backend: Backend) {
    let mut bundle = base();
    bundle.posts = vec![post("Alpha", DAY, &[]), post("Beta", 2 * DAY, &[])];
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;

    // Twice renamed: both old slugs lead straight (one hop) to the current one.
    rename_post(&app, "alpha", "alpha-2").await;
    rename_post(&app, "alpha-2", "alpha-3").await;
    assert_moved(&app, "/posts/alpha", "/posts/alpha-3").await;
    assert_moved(&app, "/posts/alpha-2", "/posts/alpha-3").await;
    // Back to the first: it is served again, and the others follow it.
    rename_post(&app, "alpha-3", "alpha").await;
    assert_eq!(app.get("/posts/alpha").await.status, Status::Ok);
    assert_moved(&app, "/posts/alpha-3", "/posts/alpha").await;
    assert_moved(&app, "/posts/alpha-2", "/posts/alpha").await;

    // An old slug another post takes serves that post, not a redirect.
    rename_post(&app, "beta", "beta-new").await;
    assert_moved(&app, "/posts/beta", "/posts/beta-new").await;
    rename_post(&app, "alpha", "beta").await;
    let taken = app.get("/posts/beta").await;
    assert_eq!(taken.status, Status::Ok);
    taken.assert_contains("<title>Alpha");
    // ...and the slug Alpha gave up now leads to Alpha.
    assert_moved(&app, "/posts/alpha", "/posts/beta").await;

    // The same for a page taking another page's old slug.
    rename_page(&app, "about", "about-us", true).await;
    app.sql(&format!(
        "INSERT INTO pages (slug, title, body_md, body_html, status, created_at, updated_at)
         VALUES ('about', 'New about', 'x', '<p>New about page</p>', 'published', 1, {})",
        folio::domain::now()
    ))
    .await;
    app.get("/about").await.assert_contains("New about page");

    // A deleted post's old slugs go with it.
    let id = app.count("SELECT id FROM posts WHERE slug = 'beta-new'").await;
    app.sql(&format!("DELETE FROM posts WHERE id = {id}")).await;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM slug_history WHERE kind = 'post' AND target_id = {id}"))
            .await,
        0
    );
    assert_eq!(app.get("/posts/beta-new").await.status, Status::NotFound);
}

async fn redirects_never_reveal_what_readers_cannot_see(backend: Backend) {
    let mut bundle = base();
    let mut later = post("Coming soon", 0, &[]);
    later.published_at = Some(folio::domain::now() + DAY);
    bundle.posts = vec![post("Pulled", DAY, &[]), later];
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;

    // Renamed, then unpublished: neither the old slug nor the new one shows it.
    rename_post(&app, "pulled", "pulled-2").await;
    app.sql("UPDATE posts SET status = 'draft', published_at = NULL WHERE slug = 'pulled-2'").await;
    assert_eq!(app.get("/posts/pulled").await.status, Status::NotFound);
    assert_eq!(app.get("/posts/pulled-2").await.status, Status::NotFound);

    // A scheduled post's old slug leads to it only once it is out.
    app.sql("UPDATE posts SET slug = 'coming-later' WHERE slug = 'coming-soon'").await;
    assert_eq!(app.get("/posts/coming-soon").await.status, Status::NotFound);
    app.advance_clock(DAY + HOUR);
    assert_moved(&app, "/posts/coming-soon", "/posts/coming-later").await;

    // A page made a draft while renamed.
    rename_page(&app, "about", "about-draft", false).await;
    assert_eq!(app.get("/about").await.status, Status::NotFound);

    // A disabled author.
    app.sql(&format!(
        "UPDATE users SET slug = 'bo-2', disabled_at = {} WHERE slug = 'bo'",
        folio::domain::now()
    ))
    .await;
    assert_eq!(app.get("/authors/bo").await.status, Status::NotFound);
}

async fn noindex_pages_stay_out_of_the_sitemap(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let fields = |noindex: &'static str| {
        vec![
            ("id", ""),
            ("version", "0"),
            ("title", "Thanks"),
            ("slug", "thanks"),
            ("body", "Thank you for subscribing."),
            ("seo_title", ""),
            ("seo_description", ""),
            ("published", "true"),
            ("noindex", noindex),
        ]
    };
    let saved = app.submit("/admin/pages/save", &fields("true")).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let editor = app.get(saved.header("Location").unwrap()).await;
    editor.assert_contains(r#"name="noindex" type="checkbox" value="true" checked"#);
    let page = app.get("/thanks").await;
    page.assert_contains(r#"<meta name="robots" content="noindex">"#);
    let (_, parts) = crawl(&app).await;
    assert_eq!(all_locs(&parts, "/sitemaps/pages-"), [format!("{BASE}/"), format!("{BASE}/about")]);

    // Indexable again: listed, and no robots meta.
    let id = app.count("SELECT id FROM pages WHERE slug = 'thanks'").await.to_string();
    let again = [
        ("id", id.as_str()),
        ("version", "1"),
        ("title", "Thanks"),
        ("slug", "thanks"),
        ("body", "Thank you."),
        ("seo_title", ""),
        ("seo_description", ""),
        ("published", "true"),
    ];
    assert_eq!(app.submit("/admin/pages/save", &again).await.status, Status::SeeOther);
    app.get("/thanks").await.assert_lacks(r#"content="noindex""#);
    let (_, parts) = crawl(&app).await;
    assert!(all_locs(&parts, "/sitemaps/pages-").contains(&format!("{BASE}/thanks")));
}

both_backends!(
    noindex_pages_stay_out_of_the_sitemap,
    the_index_splits_kinds_into_valid_parts,
    lastmod_is_the_true_last_change,
    robots_names_the_sitemap,
    old_slugs_answer_301_for_every_kind,
    renames_chain_and_old_slugs_can_be_taken,
    redirects_never_reveal_what_readers_cannot_see,
);
