//! Feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1) for the site, each tag, author and series, read
//! back by a real feed parser (Python's feedparser, which CI installs from `.ci/run`) and the
//! JSON Feed checked against its schema, on both backends.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::fixtures::{self, DAY, HOUR, post, post_with_body, slug};
use common::{Backend, Page, TestApp, editor_fields, with};
use folio::domain::content::ContentBundle;
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;
use serde_json::Value;

/// The parser check: feedparser parses RSS and Atom on stdin; JSON Feed is validated against the
/// schema named in argv[2]. Prints what the tests look at as JSON, in feedparser's names.
const CHECK: &str = r#"
import json, sys
kind, doc = sys.argv[1], sys.stdin.buffer.read()
if kind == "json":
    # feedparser 6.0 reads no JSON Feed: the schema checks it, and its items are mapped to
    # feedparser's names here so the tests read every format alike.
    import jsonschema
    with open(sys.argv[2]) as f:
        jsonschema.Draft7Validator(json.load(f)).validate(json.loads(doc))
    feed = json.loads(doc)
    print(json.dumps({"bozo": False, "error": None, "version": "json11", "entries": [{
        "id": i["id"], "title": i.get("title"), "link": i.get("url"),
        "author": (i.get("authors") or [{}])[0].get("name"),
        "published": i.get("date_published"), "updated": i.get("date_modified"),
        "tags": i.get("tags", []),
        "enclosures": [{"href": a["url"], "type": a["mime_type"], "length": str(a.get("size_in_bytes", ""))}
                       for a in i.get("attachments", [])],
        "content": [i.get("content_html", i.get("content_text"))], "summary": i.get("summary"),
    } for i in feed["items"]]}))
    sys.exit(0)
import feedparser
d = feedparser.parse(doc)
print(json.dumps({
    "bozo": bool(d.bozo), "error": repr(d.get("bozo_exception")), "version": d.version,
    "entries": [{
        "id": e.get("id"), "title": e.get("title"), "link": e.get("link"), "author": e.get("author"),
        "published": e.get("published"), "updated": e.get("updated"),
        "tags": [t.get("term") for t in e.get("tags", [])],
        "enclosures": [dict(x) for x in e.get("enclosures", [])],
        "content": [c.get("value") for c in e.get("content", [])], "summary": e.get("summary"),
    } for e in d.entries],
}))
"#;

/// The Python with feedparser and jsonschema: `FOLIO_TEST_PYTHON`, else Debian's (where
/// `apt install python3-feedparser python3-jsonschema` puts them, as `.ci/run` does), else
/// `python3`. Missing, the test fails: it is never skipped.
fn python() -> String {
    std::env::var("FOLIO_TEST_PYTHON").unwrap_or_else(|_| {
        if std::path::Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3".into()
        } else {
            "python3".into()
        }
    })
}

/// What feedparser made of `body` (a feed of `kind`: rss, atom or json), failing the test when
/// the parser is missing, the feed is not well-formed (bozo), or JSON Feed breaks its schema.
fn parse(kind: &str, body: &str) -> Value {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas/jsonfeed-1.1.schema.json");
    let mut child = Command::new(python())
        .args(["-c", CHECK, kind, schema])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} for the feed checks ({e}): install Python 3", python()));
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the {kind} feed check failed. If a module is missing, install feedparser and jsonschema \
         (apt install python3-feedparser python3-jsonschema, as .ci/run does, or set FOLIO_TEST_PYTHON \
         to a Python that has them).\n{stderr}\n{body}"
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["bozo"], false, "feedparser: {} in\n{body}", parsed["error"]);
    let version = parsed["version"].as_str().unwrap_or_default();
    let expected = match kind {
        "rss" => "rss20",
        "atom" => "atom10",
        _ => "json11",
    };
    assert_eq!(version, expected, "{body}");
    parsed
}

/// Fetches the feed at `path` and checks its type and its parse; returns the text and the parse.
async fn feed(app: &TestApp, path: &str) -> (String, Value) {
    let page = app.get(path).await;
    assert_eq!(page.status, Status::Ok, "{path}: {}", page.body);
    let (kind, media_type) = if path.ends_with("feed.xml") {
        ("rss", "application/rss+xml; charset=utf-8")
    } else if path.ends_with("atom.xml") {
        ("atom", "application/atom+xml; charset=utf-8")
    } else {
        ("json", "application/feed+json; charset=utf-8")
    };
    assert_eq!(page.header("Content-Type"), Some(media_type), "{path}");
    let parsed = parse(kind, &page.body);
    (page.body, parsed)
}

fn entries(parsed: &Value) -> &Vec<Value> {
    parsed["entries"].as_array().unwrap()
}

fn titles(parsed: &Value) -> Vec<String> {
    entries(parsed).iter().map(|e| e["title"].as_str().unwrap_or_default().to_owned()).collect()
}

const TRICKY: &str = "Tricky </script> ]]> & \u{1}\u{b}\u{fffe} title";

/// A hostile post (markup, CDATA ends, ampersands and forbidden characters in its title and
/// body; relative links, a footnote, a library image with a srcset), in the rust tag and the
/// series, and two plain ones.
fn content() -> ContentBundle {
    let mut c = fixtures::base();
    let mut tricky = post_with_body(
        TRICKY,
        "Body with </script> and ]]> and & and \u{1}\u{b}\u{fffe}.\n\n<script>alert(1)</script>\n\n\
         See [about](/about), [next](next-post) and the note[^1].\n\n\
         ![Photo](/media/0123456789abcdef0123.jpg)\n\n```\n]]>\n```\n\n[^1]: The note.\n",
    );
    tricky.tags = vec![slug("rust"), slug("design")];
    tricky.series = Some((slug("learn-rust"), 1));
    tricky.cover_image = Some("/media/0123456789abcdef0123.jpg".into());
    c.posts = vec![tricky, post("Older story", 3 * DAY, &["rust"]), post("Newest story", HOUR, &["news"])];
    c
}

const FORMATS: [&str; 3] = ["feed.xml", "atom.xml", "feed.json"];

async fn every_feed_parses_cleanly_whatever_the_post_holds(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    app.sql(
        "INSERT INTO media (stored_name, original_name, content_type, kind, byte_size, variants, created_at)
         VALUES ('0123456789abcdef0123.jpg', 'photo.jpg', 'image/jpeg', 'image', 54321, '480,960', 0)",
    )
    .await;
    for (prefix, expected) in
        [("", 3), ("/tags/rust", 2), ("/authors/ada", 3), ("/series/learn-rust", 1), ("/authors/bo", 0)]
    {
        for file in FORMATS {
            let path = format!("{prefix}/{file}");
            let (body, parsed) = feed(&app, &path).await;
            assert_eq!(entries(&parsed).len(), expected, "{path}");
            for forbidden in ['\u{1}', '\u{b}', '\u{fffe}'] {
                assert!(!body.contains(forbidden), "{path} carries {forbidden:?}");
            }
            if expected > 0 && prefix != "/authors/bo" {
                let tricky = entries(&parsed)
                    .iter()
                    .find(|e| e["title"].as_str().unwrap_or_default().starts_with("Tricky"))
                    .unwrap_or_else(|| panic!("{path}: the tricky post is missing"));
                assert_eq!(tricky["title"], "Tricky </script> ]]> &  title", "{path}");
                let content = tricky["content"][0].as_str().unwrap_or_default();
                // Markdown took the `</script>` for raw HTML, which the sanitiser dropped.
                assert!(content.contains("Body with  and ]]&gt; and &amp; and ."), "{path}: {content}");
                assert!(!content.contains("<script"), "{path}: {content}");
                assert_eq!(tricky["author"], "Ada Writer", "{path}");
                let tags: Vec<&str> =
                    tricky["tags"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
                assert_eq!(tags, ["Rust", "Design"], "{path}");
            }
        }
    }
}

async fn urls_inside_entries_are_absolute(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    for file in FORMATS {
        let (raw, parsed) = feed(&app, &format!("/{file}")).await;
        let tricky = &entries(&parsed)[1];
        let url = "http://localhost:8000/posts/tricky-script-and-title";
        assert_eq!(tricky["link"], url, "{file}");
        let content = tricky["content"][0].as_str().unwrap();
        for needle in [
            r#"href="http://localhost:8000/about""#,
            r#"href="http://localhost:8000/posts/next-post""#,
            r#"src="http://localhost:8000/media/0123456789abcdef0123.jpg""#,
            r##"href="http://localhost:8000/posts/tricky-script-and-title#user-content-fn-1""##,
            r##"href="http://localhost:8000/posts/tricky-script-and-title#user-content-fnref-1""##,
        ] {
            assert!(content.contains(needle), "{file}: {needle} not in {content}");
        }
        for relative in [r#"href="/"#, r#"src="/"#, r##"href="#"##] {
            assert!(!content.contains(relative), "{file}: {relative} in {content}");
        }
        // feedparser's sanitiser drops `srcset`, so the document itself is read for it.
        let srcset = "http://localhost:8000/media/480/0123456789abcdef0123.jpg 480w, \
                      http://localhost:8000/media/960/0123456789abcdef0123.jpg 960w";
        assert!(raw.contains(srcset), "{file}: {raw}");
        assert!(!raw.contains(", /media") && !raw.contains("srcset=\"/"), "{file}: {raw}");
        assert!(!raw.contains(r#"srcset=\"/"#) && !raw.contains("srcset=&quot;/"), "{file}: {raw}");
    }
}

fn is_rfc822_numeric(date: &str) -> bool {
    // "Mon, 23 Nov 2026 08:00:00 +0000"
    let b = date.as_bytes();
    b.len() == 31
        && date[3..5] == *", "
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[12..16].iter().all(u8::is_ascii_digit)
        && date.ends_with(" +0000")
}

fn is_rfc3339_utc(date: &str) -> bool {
    // "2026-11-23T08:00:00Z" (chrono, under atom_syndication, writes "+00:00")
    let shape = |d: &str| {
        d.len() == 19
            && d.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                10 => b == b'T',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            })
    };
    date.strip_suffix('Z').or_else(|| date.strip_suffix("+00:00")).is_some_and(shape)
}

/// The text of each `<tag>` element in `xml`, in order.
fn elements<'x>(xml: &'x str, tag: &str) -> Vec<&'x str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open).skip(1).map(|s| &s[..s.find(&close).unwrap()]).collect()
}

async fn ids_are_stable_dates_well_formed_and_updated_follows_edits(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let (rss, _) = feed(&app, "/feed.xml").await;
    let dates = elements(&rss, "pubDate");
    assert_eq!(dates.len(), 3);
    assert!(dates.iter().all(|d| is_rfc822_numeric(d)), "{dates:?}");
    assert!(
        rss.contains(
            r#"<atom:link href="http://localhost:8000/feed.xml" rel="self" type="application/rss+xml"/>"#
        ),
        "{rss}"
    );
    assert!(rss.contains(r#"<guid isPermaLink="false">tag:localhost,"#), "{rss}");
    let (atom, before) = feed(&app, "/atom.xml").await;
    assert!(
        atom.contains(
            r#"<link href="http://localhost:8000/atom.xml" rel="self" type="application/atom+xml"/>"#
        ),
        "{atom}"
    );
    for date in elements(&atom, "published").into_iter().chain(elements(&atom, "updated")) {
        assert!(is_rfc3339_utc(date), "{date}");
    }
    let (_, json_before) = feed(&app, "/feed.json").await;

    // An editor changes the newest post's title and slug through the editor.
    app.signed_in(Role::Editor).await;
    let id = app.count("SELECT id FROM posts WHERE slug = 'newest-story'").await;
    let version = app.count(&format!("SELECT version FROM posts WHERE id = {id}")).await;
    let (id, version) = (id.to_string(), version.to_string());
    let extra =
        [("id", id.as_str()), ("version", version.as_str()), ("slug", "renamed-story"), ("tags", "News")];
    let form = with(editor_fields("Renamed story", "New text.", "save"), &extra);
    let saved = app.submit("/admin/posts/save", &form).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);

    let (_, after) = feed(&app, "/atom.xml").await;
    let (_, json_after) = feed(&app, "/feed.json").await;
    for (before, after) in [(&before, &after), (&json_before, &json_after)] {
        let (old, new) = (&entries(before)[0], &entries(after)[0]);
        assert_eq!(new["title"], "Renamed story");
        assert_eq!(new["id"], old["id"], "the id outlives a new slug and title");
        assert!(new["id"].as_str().unwrap().starts_with("tag:localhost,"), "{new}");
        assert_eq!(new["published"], old["published"], "published stays");
        assert_ne!(new["updated"], old["updated"], "updated moves with the edit");
        assert_eq!(new["link"], "http://localhost:8000/posts/renamed-story");
    }
}

async fn scheduled_posts_appear_at_their_moment_and_drafts_never(backend: Backend) {
    let mut c = fixtures::base();
    c.posts = vec![
        post("Out already", DAY, &["rust"]),
        post("Scheduled story", -HOUR, &["rust"]),
        post("Draft story", DAY, &["rust"]).into_draft(),
    ];
    let app = TestApp::new(backend, c).await;
    for prefix in ["", "/tags/rust", "/authors/ada"] {
        for file in FORMATS {
            let (body, parsed) = feed(&app, &format!("{prefix}/{file}")).await;
            assert_eq!(titles(&parsed), ["Out already"], "{prefix}/{file}");
            assert!(!body.contains("Draft story") && !body.contains("Scheduled story"));
        }
    }
    app.advance_clock(2 * HOUR);
    for prefix in ["", "/tags/rust", "/authors/ada"] {
        for file in FORMATS {
            let (body, parsed) = feed(&app, &format!("{prefix}/{file}")).await;
            assert_eq!(titles(&parsed), ["Scheduled story", "Out already"], "{prefix}/{file}");
            assert!(!body.contains("Draft story"));
        }
    }
}

async fn covers_are_enclosures_with_length_and_type(backend: Backend) {
    let mut c = fixtures::base();
    let mut library = post("Library cover", HOUR, &[]);
    library.cover_image = Some("/media/0123456789abcdef0123.png".into());
    let mut external = post("External cover", DAY, &[]);
    external.cover_image = Some("https://images.example/photo.webp".into());
    c.posts = vec![library, external];
    let app = TestApp::new(backend, c).await;
    app.sql(
        "INSERT INTO media (stored_name, original_name, content_type, kind, byte_size, variants, created_at)
         VALUES ('0123456789abcdef0123.png', 'photo.png', 'image/png', 'image', 54321, '', 0)",
    )
    .await;
    let (rss, parsed) = feed(&app, "/feed.xml").await;
    assert!(rss.contains(r#"<enclosure url="http://localhost:8000/media/0123456789abcdef0123.png" length="54321" type="image/png"/>"#), "{rss}");
    // RSS requires a length: 0 when unknown, as the RSS Advisory Board's profile advises.
    assert!(
        rss.contains(r#"<enclosure url="https://images.example/photo.webp" length="0" type="image/webp"/>"#),
        "{rss}"
    );
    assert_eq!(entries(&parsed)[0]["enclosures"][0]["type"], "image/png");
    let (atom, parsed) = feed(&app, "/atom.xml").await;
    assert!(atom.contains(r#"<link href="http://localhost:8000/media/0123456789abcdef0123.png" rel="enclosure" type="image/png" length="54321"/>"#), "{atom}");
    assert!(
        atom.contains(
            r#"<link href="https://images.example/photo.webp" rel="enclosure" type="image/webp"/>"#
        ),
        "{atom}"
    );
    assert_eq!(entries(&parsed)[0]["enclosures"][0]["length"], "54321");
    let (json, _) = feed(&app, "/feed.json").await;
    let json: Value = serde_json::from_str(&json).unwrap();
    let item = &json["items"][0];
    assert_eq!(item["image"], "http://localhost:8000/media/0123456789abcdef0123.png");
    assert_eq!(item["attachments"][0]["mime_type"], "image/png");
    assert_eq!(item["attachments"][0]["size_in_bytes"], 54321);
    assert!(json["items"][1]["attachments"][0].get("size_in_bytes").is_none());
}

async fn size_and_content_follow_the_settings(backend: Backend) {
    let mut c = fixtures::base();
    c.posts = fixtures::numbered_posts(5);
    let config = Figment::new().merge(("feed_items", 2)).merge(("feed_content", "excerpt"));
    let app = TestApp::with_config(backend, c, config).await;
    for file in FORMATS {
        let (body, parsed) = feed(&app, &format!("/{file}")).await;
        assert_eq!(titles(&parsed), ["Post 1", "Post 2"], "{file}");
        assert!(!body.contains("<h2"), "{file}: excerpts only, not the body's HTML:\n{body}");
    }

    // The admin's settings change both, at once.
    app.signed_in(Role::Owner).await;
    app.get("/admin/settings").await.assert_contains(r#"name="feed_content" value="excerpt" checked"#);
    let form = [
        ("site_title", "Folio"),
        ("site_description", "d"),
        ("logo_url", ""),
        ("posts_per_page", "10"),
        ("feed_items", "4"),
        ("feed_content", "full"),
        ("signup", "open"),
        ("smtp_host", ""),
        ("smtp_port", ""),
        ("smtp_security", "starttls"),
        ("smtp_username", ""),
        ("smtp_password", ""),
        ("mail_from", ""),
    ];
    let bad = app
        .submit(
            "/admin/settings",
            &[&form[..4], &[("feed_items", "0"), ("feed_content", "all")], &form[6..]].concat(),
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("Choose what feeds carry.");
    let saved = app.submit("/admin/settings", &form).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    for file in FORMATS {
        let (body, parsed) = feed(&app, &format!("/{file}")).await;
        assert_eq!(entries(&parsed).len(), 4, "{file}");
        assert!(body.contains("<h2") || body.contains("&lt;h2"), "{file}: the whole post:\n{body}");
    }
}

async fn unknown_feeds_are_not_found(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    for path in [
        "/tags/nope/feed.xml",
        "/authors/nobody/atom.xml",
        "/series/none/feed.json",
        "/tags/rust/rss.xml",
        "/tags/Not%20A%20Slug/feed.xml",
    ] {
        let page: Page = app.get(path).await;
        assert_eq!(page.status, Status::NotFound, "{path}");
        page.assert_contains("<html");
    }
}

async fn pages_link_their_feeds(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let site_links = [
        r#"<link rel="alternate" type="application/rss+xml" title="Folio (RSS)" href="http://localhost:8000/feed.xml">"#,
        r#"<link rel="alternate" type="application/atom+xml" title="Folio (Atom)" href="http://localhost:8000/atom.xml">"#,
        r#"<link rel="alternate" type="application/feed+json" title="Folio (JSON Feed)" href="http://localhost:8000/feed.json">"#,
    ];
    for path in ["/", "/about", "/posts/older-story", "/tags/rust", "/sign-in"] {
        let page = app.get(path).await;
        assert_eq!(page.status, Status::Ok, "{path}");
        for link in site_links {
            page.assert_contains(link);
        }
        page.assert_contains(r#"<a href="/feed.xml">Subscribe via RSS</a>"#);
    }
    for (path, name) in
        [("/tags/rust", "Rust"), ("/authors/ada", "Ada Writer"), ("/series/learn-rust", "Learn Rust")]
    {
        let page = app.get(path).await;
        for (kind, file, label) in [
            ("rss+xml", "feed.xml", "RSS"),
            ("atom+xml", "atom.xml", "Atom"),
            ("feed+json", "feed.json", "JSON Feed"),
        ] {
            page.assert_contains(&format!(
                r#"<link rel="alternate" type="application/{kind}" title="{name} — Folio ({label})" href="http://localhost:8000{path}/{file}">"#
            ));
        }
        page.assert_contains(&format!(r#"<a href="{path}/feed.xml">Subscribe via RSS</a>"#));
    }
    app.get("/").await.assert_lacks("/tags/rust/feed.xml");
}

both_backends!(
    every_feed_parses_cleanly_whatever_the_post_holds,
    urls_inside_entries_are_absolute,
    ids_are_stable_dates_well_formed_and_updated_follows_edits,
    scheduled_posts_appear_at_their_moment_and_drafts_never,
    covers_are_enclosures_with_length_and_type,
    size_and_content_follow_the_settings,
    unknown_feeds_are_not_found,
    pages_link_their_feeds,
);
