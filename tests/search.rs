//! `/search`: ranking, phrases, prefixes, folded accents, what readers may see, the index kept in
//! step by every kind of write, hostile queries and escaped highlighting, on both backends.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{DAY, HOUR, base, post, post_with_body, slug};
use common::{Backend, TestApp, editor_fields, with};
use folio::domain::content::NewPage;
use folio::domain::roles::Role;
use rocket::http::Status;

/// The result titles of `page`, in order.
fn titles(body: &str) -> Vec<String> {
    body.split(r#"<h2 class="search-result__title"><a href=""#)
        .skip(1)
        .map(|rest| {
            let text = &rest[rest.find('>').unwrap() + 1..];
            text[..text.find('<').unwrap()].to_owned()
        })
        .collect()
}

async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let page = app.get(&format!("/search?q={query}")).await;
    assert_eq!(page.status, Status::Ok, "{query}: {}", page.body);
    titles(&page.body)
}

async fn titles_rank_above_bodies_and_phrases_prefixes_and_accents_match(backend: Backend) {
    let mut content = base();
    content.posts = vec![
        post_with_body("Notes from the harbour", "We met Ferris at the harbour."),
        post_with_body("Ferris the crab", "A crab."),
        post_with_body("Exact words", "These are the exact words we wanted."),
        post_with_body("Shuffled", "Words, exact ones, in another order."),
        post_with_body("Crème brûlée", "Dessert at the café."),
    ];
    let app = TestApp::new(backend, content).await;
    assert_eq!(found(&app, "ferris").await, ["Ferris the crab", "Notes from the harbour"], "title first");
    assert_eq!(found(&app, "%22exact+words%22").await, ["Exact words"], "a phrase");
    assert_eq!(found(&app, "exact+words").await.len(), 2, "words in any order");
    assert_eq!(found(&app, "ferr").await.len(), 2, "the last word is a prefix");
    assert_eq!(found(&app, "ferr+").await, Vec::<String>::new(), "a space ends it");
    assert_eq!(found(&app, "cafe").await, ["Crème brûlée"], "accents folded in the body");
    assert_eq!(found(&app, "CREME").await, ["Crème brûlée"], "and in the title, and case");
    assert!(found(&app, "harbours").await.is_empty(), "no stemming: words match whole or by prefix");
    assert_eq!(found(&app, "write").await, ["About us"], "pages too");
    let page = app.get("/search?q=ferris").await;
    page.assert_contains("2 results");
    page.assert_contains(r#"<meta name="robots" content="noindex">"#);
    page.assert_contains("<mark>Ferris</mark> at the harbour");
}

async fn readers_find_only_what_they_can_read(backend: Backend) {
    let mut content = base();
    let soon = post("Scheduled zebra", -2 * HOUR, &[]);
    let draft = post("Draft zebra", DAY, &[]).into_draft();
    content.posts = vec![post("Visible zebra", DAY, &[]), soon, draft];
    let mut hidden = NewPage::published(slug("hidden"), "Hidden zebra page", "zebra");
    hidden.status = folio::domain::state::Publication::Draft;
    content.pages.push(hidden);
    let app = TestApp::new(backend, content).await;
    assert_eq!(found(&app, "zebra").await, ["Visible zebra"]);
    app.advance_clock(3 * HOUR);
    let mut now = found(&app, "zebra").await;
    now.sort();
    assert_eq!(now, ["Scheduled zebra", "Visible zebra"], "a scheduled post at its moment");
}

async fn every_kind_of_write_keeps_the_index_in_step(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let submit =
        |title: &'static str, body: &'static str, intent: &'static str, id: String, version: &'static str| {
            let app = &app;
            async move {
                let extra = [("id", id.as_str()), ("version", version)];
                let page =
                    app.submit("/admin/posts/save", &with(editor_fields(title, body, intent), &extra)).await;
                assert_eq!(page.status, Status::SeeOther, "{}", page.body);
            }
        };
    // Each search is asked before the write too: a cached answer must not outlive it.
    assert!(found(&app, "walrus").await.is_empty());
    submit("Walrus news", "The walrus speaks.", "publish", String::new(), "").await;
    assert_eq!(found(&app, "walrus").await, ["Walrus news"], "published");
    let id = app.count("SELECT id FROM posts WHERE title = 'Walrus news'").await.to_string();
    assert!(found(&app, "narwhal").await.is_empty());
    submit("Walrus news", "The narwhal speaks.", "save", id.clone(), "1").await;
    assert_eq!(found(&app, "narwhal").await, ["Walrus news"], "an edited body");
    assert_eq!(found(&app, "speaks+walrus").await, ["Walrus news"], "the title still");
    assert!(found(&app, "walrus+speaks+the+walrus").await.len() == 1);
    assert_eq!(
        app.get("/search?q=%22walrus+speaks%22").await.body.matches("search-result__title").count(),
        0
    );
    submit("Walrus news", "The narwhal speaks.", "unpublish", id.clone(), "2").await;
    assert!(found(&app, "narwhal").await.is_empty(), "unpublished");
    submit("Walrus news", "The narwhal speaks.", "publish", id.clone(), "3").await;
    assert_eq!(found(&app, "narwhal").await.len(), 1, "published again");
    let delete = app.submit(&format!("/admin/posts/{id}/delete"), &[]).await;
    assert_eq!(delete.status, Status::SeeOther);
    assert!(found(&app, "narwhal").await.is_empty(), "deleted");
    // Pages are written by their own editor.
    let page = [
        ("id", ""),
        ("version", ""),
        ("title", "Contact"),
        ("slug", ""),
        ("body", "Write to the lighthouse."),
        ("seo_title", ""),
        ("seo_description", ""),
        ("published", "true"),
    ];
    assert!(found(&app, "lighthouse").await.is_empty());
    let saved = app.submit("/admin/pages/save", &page).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    assert_eq!(found(&app, "lighthouse").await, ["Contact"]);
}

async fn hostile_queries_never_fail_and_highlighting_stays_text(backend: Backend) {
    let mut content = base();
    content.posts = vec![post_with_body("Markup", "Inline `<b onclick=x>ferris</b>` code.")];
    let app = TestApp::new(backend, content).await;
    let long = "a".repeat(10_000);
    let hostile = [
        "",
        "%22",
        "%22%22",
        "%22unbalanced",
        "(",
        "((a)",
        "a)",
        "NEAR(a+b)",
        "a+AND+b",
        "a+OR",
        "NOT",
        "*",
        "a*",
        "%5E",
        "%5Ea",
        "title%3Aa",
        "a%3A*",
        "-a",
        "a+-b",
        "%26%7C!",
        "%3C-%3E",
        "%00",
        "a%01b",
        "%E2%80%AE",
        "%F0%9F%A6%80",
        long.as_str(),
    ];
    for q in hostile {
        let page = app.get(&format!("/search?q={q}")).await;
        assert!(page.status.code < 500, "{q:.40}: {}", page.status);
    }
    assert_eq!(app.get("/search").await.status, Status::Ok, "no query");
    assert_eq!(app.get("/search?q=ferris&page=x").await.status, Status::NotFound);
    let page = app.get("/search?q=ferris").await;
    // SQLite quotes the text as it is, escaped; PostgreSQL's ts_headline drops what looks like
    // a tag. Neither lets it through as markup.
    page.assert_contains("<mark>ferris</mark>");
    page.assert_lacks("<b onclick");
}

async fn a_common_word_ranks_its_newest_matches_and_says_there_are_more(backend: Backend) {
    let mut content = base();
    // The oldest post has the word in its title; 1,005 newer ones only in their bodies.
    content.posts = vec![post("Heron at dawn", 3_000 * HOUR, &[])];
    content.posts.extend((1..=1_005).map(|n| post_with_body(&format!("Wader {n}"), "A heron stood still.")));
    let app = TestApp::new(backend, content).await;
    let page = app.get("/search?q=heron").await;
    assert_eq!(titles(&page.body)[0], "Heron at dawn", "a title match outranks newer body matches");
    page.assert_contains("1001+ results");
    let last = app.get("/search?q=heron&page=101").await;
    assert_eq!(titles(&last.body).len(), 1, "the title match and the newest 1,000 others are listed");
    last.assert_contains("1001+ results");
    last.assert_lacks(r#"rel="next""#);
    assert_eq!(found(&app, "%22heron+at%22").await, ["Heron at dawn"], "a phrase in a title");
}

async fn results_page_and_update_in_place(backend: Backend) {
    let mut content = base();
    content.posts = (1..=12).map(|n| post(&format!("Otter {n}"), n * HOUR, &[])).collect();
    let app = TestApp::new(backend, content).await;
    let first = app.get("/search?q=otter").await;
    first.assert_contains("12 results");
    assert_eq!(titles(&first.body).len(), 10);
    first.assert_contains(r#"href="/search?q=otter&#38;page=2" rel="next""#);
    assert_eq!(titles(&app.get("/search?q=otter&page=2").await.body).len(), 2);
    // The search page's own box swaps the results only; the header's swaps main.
    let results = app
        .client
        .get("/search?q=otter")
        .header(rocket::http::Header::new("HX-Request", "true"))
        .header(rocket::http::Header::new("HX-Target", "search-results"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(results.contains("12 results") && !results.contains("<html") && !results.contains("search-q"));
    let main = app.get_hx("/search?q=otter").await;
    main.assert_contains(r#"id="search-q""#);
    main.assert_lacks("<html");
    // Every page links the OpenSearch description, which names the absolute search URL.
    app.get("/").await.assert_contains(r#"<link rel="search" type="application/opensearchdescription+xml""#);
    let description = app.get("/opensearch.xml").await;
    assert_eq!(description.header("Content-Type"), Some("application/opensearchdescription+xml"));
    description.assert_contains("/search?q={searchTerms}");
}

both_backends!(
    titles_rank_above_bodies_and_phrases_prefixes_and_accents_match,
    readers_find_only_what_they_can_read,
    every_kind_of_write_keeps_the_index_in_step,
    hostile_queries_never_fail_and_highlighting_stays_text,
    a_common_word_ranks_its_newest_matches_and_says_there_are_more,
    results_page_and_update_in_place,
);
