//! Conditional requests, HEAD and compression (issue 13, "HTTP"): validators and 304s on public
//! pages, none on per-visitor ones, HEAD on every GET route, and `Accept-Encoding` negotiation.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;

use common::fixtures::{self, DAY};
use common::{Backend, TestApp};
use folio::domain::content::ContentBundle;
use folio::domain::roles::Role;
use rocket::http::{Header, Method, Status};

/// A response read whole, as bytes.
struct Raw {
    status: Status,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn etag(&self) -> String {
        self.header("ETag").unwrap_or_else(|| panic!("no ETag: {:?}", self.headers)).to_owned()
    }

    /// The body decoded from its `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.header("Content-Encoding") {
            None => out.clone_from(&self.body),
            Some("br") => {
                brotli::Decompressor::new(&self.body[..], 4096).read_to_end(&mut out).unwrap();
            }
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..]).read_to_end(&mut out).unwrap();
            }
            Some("zstd") => out = zstd::decode_all(&self.body[..]).unwrap(),
            Some(other) => panic!("unexpected coding {other}"),
        }
        out
    }
}

async fn request(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut req = app.client.req(method, path.to_owned());
    for (name, value) in headers {
        req = req.header(Header::new(name.to_string(), value.to_string()));
    }
    let res = req.dispatch().await;
    let status = res.status();
    let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
    Raw { status, headers, body: res.into_bytes().await.unwrap_or_default() }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Raw {
    request(app, Method::Get, path, headers).await
}

/// Enough posts that the home page is well over the compression threshold.
fn content() -> ContentBundle {
    let mut content = fixtures::base();
    content.posts = fixtures::numbered_posts(5);
    content.posts.push(fixtures::post("First Story", DAY, &["design"]));
    content
}

const PUBLIC: &str = "public, max-age=0, must-revalidate";

async fn public_pages_answer_304_to_their_etag(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let page = get(&app, "/", &[]).await;
    assert_eq!(page.status, Status::Ok);
    let etag = page.etag();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34, "strong, 128-bit: {etag}");
    assert_eq!(page.header("Cache-Control"), Some(PUBLIC));
    assert_eq!(get(&app, "/", &[]).await.etag(), etag, "the same body, the same tag");

    for condition in [etag.clone(), format!("W/{etag}"), format!("\"nope\", {etag}"), "*".to_owned()] {
        let again = get(&app, "/", &[("If-None-Match", &condition)]).await;
        assert_eq!(again.status, Status::NotModified, "{condition}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("ETag"), Some(etag.as_str()));
        assert_eq!(again.header("Cache-Control"), Some(PUBLIC));
        assert_eq!(again.header("Vary"), Some("HX-Request, Accept-Encoding"));
        assert_eq!(again.header("Content-Type"), None);
    }
    let other = get(&app, "/", &[("If-None-Match", "\"nope\"")]).await;
    assert_eq!(other.status, Status::Ok);
    assert_eq!(other.body, page.body);
    // Tags, authors, static pages and robots.txt get them too.
    for path in ["/tags/design", "/authors/ada", "/about", "/robots.txt"] {
        let page = get(&app, path, &[]).await;
        assert_eq!(page.status, Status::Ok, "{path}");
        assert_eq!(page.header("Cache-Control"), Some(PUBLIC), "{path}");
        let again = get(&app, path, &[("If-None-Match", &page.etag())]).await;
        assert_eq!(again.status, Status::NotModified, "{path}");
    }
}

async fn articles_and_feeds_answer_if_modified_since_when_no_etag_is_sent(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let page = get(&app, "/posts/first-story", &[]).await;
    assert_eq!(page.status, Status::Ok);
    let modified = page.header("Last-Modified").unwrap().to_owned();
    assert!(modified.ends_with(" GMT"), "{modified}");
    let since = |app, date: String| async move {
        get(app, "/posts/first-story", &[("If-Modified-Since", &date)]).await
    };
    assert_eq!(since(&app, modified.clone()).await.status, Status::NotModified);
    let later = httpdate::fmt_http_date(
        httpdate::parse_http_date(&modified).unwrap() + std::time::Duration::from_secs(60),
    );
    assert_eq!(since(&app, later.clone()).await.status, Status::NotModified);
    let earlier = httpdate::fmt_http_date(
        httpdate::parse_http_date(&modified).unwrap() - std::time::Duration::from_secs(1),
    );
    assert_eq!(since(&app, earlier).await.status, Status::Ok);
    assert_eq!(since(&app, "not a date".to_owned()).await.status, Status::Ok);
    assert_eq!(since(&app, "Fri, 01 Jan 2100 00:00:00 GMT".to_owned()).await.status, Status::Ok, "future");
    // If-None-Match decides alone when both are sent (RFC 9110, section 13.2.2).
    let both =
        get(&app, "/posts/first-story", &[("If-None-Match", "\"stale\""), ("If-Modified-Since", &later)])
            .await;
    assert_eq!(both.status, Status::Ok);
    // A feed's date is its newest entry's (the one it states as lastBuildDate or updated).
    for path in ["/feed.xml", "/atom.xml", "/feed.json", "/tags/design/feed.xml"] {
        let feed = get(&app, path, &[]).await;
        let modified = feed.header("Last-Modified").unwrap_or_else(|| panic!("{path}")).to_owned();
        let feed_since = get(&app, path, &[("If-Modified-Since", &modified)]).await;
        assert_eq!(feed_since.status, Status::NotModified, "{path}");
    }
    let newest = app.count("SELECT MAX(CASE WHEN updated_at > published_at THEN updated_at ELSE published_at END) FROM posts WHERE status = 'published'").await;
    let feed = get(&app, "/feed.xml", &[]).await;
    assert_eq!(feed.header("Last-Modified"), Some(folio::web::http::conditions::http_date(newest).as_str()));
    // A page without a known date has no Last-Modified, so the condition cannot hold.
    let home = get(&app, "/", &[("If-Modified-Since", &later)]).await;
    assert_eq!(home.status, Status::Ok);
    assert_eq!(home.header("Last-Modified"), None);
}

async fn the_etag_changes_when_the_content_does(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let before = get(&app, "/posts/first-story", &[]).await;
    let home_before = get(&app, "/", &[]).await;
    let now = app.text("SELECT CAST(MAX(updated_at) + 100 AS TEXT) FROM posts").await;
    app.sql(&format!(
        "UPDATE posts SET title = 'First Story, Revised', updated_at = {now} WHERE slug = 'first-story'"
    ))
    .await;
    let after = get(&app, "/posts/first-story", &[("If-None-Match", &before.etag())]).await;
    assert_eq!(after.status, Status::Ok, "the old tag no longer matches");
    assert!(String::from_utf8_lossy(&after.body).contains("First Story, Revised"));
    assert_ne!(after.etag(), before.etag());
    assert_ne!(after.header("Last-Modified"), before.header("Last-Modified"));
    let since = before.header("Last-Modified").unwrap();
    assert_eq!(get(&app, "/posts/first-story", &[("If-Modified-Since", since)]).await.status, Status::Ok);
    let home = get(&app, "/", &[("If-None-Match", &home_before.etag())]).await;
    assert_eq!(home.status, Status::Ok, "the home page lists the new title");
}

async fn per_visitor_responses_get_no_validators_nor_compression(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    // A form with a CSRF token, to a visitor who is not signed in.
    let form = get(&app, "/sign-in", &[("Accept-Encoding", "br, gzip")]).await;
    assert_eq!(form.status, Status::Ok);
    assert_private(&form, "/sign-in");
    assert_eq!(get(&app, "/sign-in", &[("If-None-Match", "*")]).await.status, Status::Ok);
    // A draft's preview is for whoever holds the link: no shared cache may keep it.
    let token = "ab".repeat(32);
    app.sql(&format!("UPDATE posts SET preview_token = '{token}' WHERE slug = 'first-story'")).await;
    let preview = get(&app, &format!("/preview/{token}"), &[("Accept-Encoding", "br")]).await;
    assert_eq!(preview.status, Status::Ok);
    assert_private(&preview, "/preview");

    app.signed_in(Role::Owner).await;
    let paths = app.route_paths(|m| m == Method::Get);
    let mut checked = 0;
    for path in &paths {
        let res = get(&app, path, &[("Accept-Encoding", "br, gzip"), ("If-None-Match", "*")]).await;
        let private = path.starts_with("/admin") || path.starts_with("/account");
        if private && res.status == Status::Ok {
            assert_private(&res, path);
            checked += 1;
        }
        // Whatever the path, a private answer carries nothing a shared cache could use.
        if res.header("Cache-Control").is_some_and(|c| c.contains("private")) {
            assert_private(&res, path);
        }
    }
    assert!(checked >= 10, "{checked} private pages among {paths:?}");
}

fn assert_private(res: &Raw, path: &str) {
    assert_eq!(res.header("Cache-Control"), Some("private, no-store"), "{path}");
    assert_eq!(res.header("ETag"), None, "{path}");
    assert_eq!(res.header("Last-Modified"), None, "{path}");
    assert_eq!(res.header("Content-Encoding"), None, "{path}");
    assert_ne!(res.status, Status::NotModified, "{path}");
}

async fn head_works_on_every_get_route(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let paths = app.route_paths(|m| m == Method::Get);
    assert!(paths.len() >= 30, "{paths:?}");
    let mut ok = 0;
    for signed_in in [false, true] {
        if signed_in {
            app.signed_in(Role::Owner).await;
        }
        for path in
            paths.iter().map(String::as_str).chain(["/", "/posts/first-story", "/static/css/site.css"])
        {
            let headers = [("Accept-Encoding", "br")];
            // A one-time notice left by an earlier path's redirect (the 401's "sign in first") is
            // shown, and so spent, by the first page that shows notices: the first GET.
            request(&app, Method::Get, path, &headers).await;
            let get = request(&app, Method::Get, path, &headers).await;
            let head = request(&app, Method::Head, path, &headers).await;
            assert_eq!(head.status, get.status, "{path}");
            assert!(head.body.is_empty(), "HEAD {path} has a body");
            // The CSRF cookie is made afresh for each page that needs one, and each request has
            // an id of its own: their values differ.
            let same = |r: &Raw| {
                let own = |n: &str| n == "Set-Cookie" || n == "X-Request-Id";
                r.headers.iter().filter(|(n, _)| !own(n)).cloned().collect::<Vec<_>>()
            };
            assert_eq!(same(&head), same(&get), "{path}");
            if get.status == Status::Ok {
                ok += 1;
            }
        }
    }
    assert!(ok >= 20, "only {ok} routes answered 200");
    let head = request(&app, Method::Head, "/posts/first-story", &[("Accept-Encoding", "gzip")]).await;
    assert!(head.header("Last-Modified").is_some());
    assert_eq!(head.header("Content-Encoding"), Some("gzip"), "the headers GET would send");
    assert!(head.etag().ends_with("-gz\""));
    let unchanged = request(
        &app,
        Method::Head,
        "/posts/first-story",
        &[("If-None-Match", &head.etag()), ("Accept-Encoding", "gzip")],
    )
    .await;
    assert_eq!(unchanged.status, Status::NotModified);
}

async fn compression_follows_accept_encoding(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let plain = get(&app, "/", &[]).await;
    assert_eq!(plain.header("Content-Encoding"), None);
    assert_eq!(plain.header("Vary"), Some("HX-Request, Accept-Encoding"));
    assert!(plain.body.len() > 2048, "the home page is large enough to compress");
    let cases = [
        ("gzip, deflate, br, zstd", Some("br"), "-br\""),
        ("br", Some("br"), "-br\""),
        ("gzip", Some("gzip"), "-gz\""),
        ("x-gzip", Some("gzip"), "-gz\""),
        ("zstd", Some("zstd"), "-zst\""),
        ("br;q=0, gzip", Some("gzip"), "-gz\""),
        ("br;q=0.2, gzip;q=0.9", Some("gzip"), "-gz\""),
        ("*", Some("br"), "-br\""),
        ("identity", None, ""),
        ("br;q=0, gzip;q=0, zstd;q=0", None, ""),
        ("*;q=0", None, ""),
        ("compress, deflate, snappy", None, ""),
        ("gzip;q=0.5, identity", None, ""),
        ("", None, ""),
    ];
    let mut tags = std::collections::HashSet::new();
    for (accept, coding, suffix) in cases {
        let res = get(&app, "/", &[("Accept-Encoding", accept)]).await;
        assert_eq!(res.status, Status::Ok, "{accept}");
        assert_eq!(res.header("Content-Encoding"), coding, "{accept}");
        assert_eq!(res.header("Vary"), Some("HX-Request, Accept-Encoding"), "{accept}");
        let etag = res.etag();
        assert!(etag.ends_with(suffix) && (coding.is_some() || !etag.contains('-')), "{accept}: {etag}");
        assert_eq!(res.decoded(), plain.body, "{accept}");
        if coding.is_some() {
            assert!(res.body.len() * 2 < plain.body.len(), "{accept} compresses");
        }
        tags.insert(etag);
    }
    assert_eq!(tags.len(), 4, "one tag per coding: {tags:?}");

    // A tag names one coding: the client's Brotli copy is not current for a gzip-only request.
    let br = get(&app, "/", &[("Accept-Encoding", "br")]).await.etag();
    let gz = get(&app, "/", &[("Accept-Encoding", "gzip"), ("If-None-Match", &br)]).await;
    assert_eq!(gz.status, Status::Ok);
    assert_eq!(gz.header("Content-Encoding"), Some("gzip"));
    let current = get(&app, "/", &[("Accept-Encoding", "br"), ("If-None-Match", &br)]).await;
    assert_eq!(current.status, Status::NotModified);
    assert!(current.body.is_empty());
    assert_eq!(current.header("ETag"), Some(br.as_str()));
    let plain_tag = plain.etag();
    let identity = get(&app, "/", &[("Accept-Encoding", "br"), ("If-None-Match", &plain_tag)]).await;
    assert_eq!(identity.status, Status::Ok);

    // htmx fragments are compressed as whole pages are.
    let fragment =
        request(&app, Method::Get, "/", &[("HX-Request", "true"), ("Accept-Encoding", "gzip")]).await;
    assert_eq!(fragment.status, Status::Ok);
    assert_eq!(fragment.header("Vary"), Some("HX-Request, Accept-Encoding"));
}

async fn small_bodies_and_media_are_left_alone(backend: Backend) {
    let app = TestApp::new(backend, content()).await;
    let robots = get(&app, "/robots.txt", &[("Accept-Encoding", "br, gzip")]).await;
    assert!(robots.body.len() < 1024, "robots.txt is small: {}", robots.body.len());
    assert_eq!(robots.header("Content-Encoding"), None);
    assert_eq!(robots.header("Vary"), None, "it never varies");
    assert!(!robots.etag().contains('-'));

    // Static files keep their own caching and tag, with the coding added to it.
    let css_plain = get(&app, "/static/css/site.css", &[]).await;
    let css = get(&app, "/static/css/site.css", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(css.header("Cache-Control"), Some("public, max-age=3600"));
    assert_eq!(css.header("Content-Encoding"), Some("gzip"));
    assert_eq!(css.etag(), format!("{}-gz\"", css_plain.etag().trim_end_matches('"')));
    assert_eq!(css.decoded(), css_plain.body);
    let again =
        get(&app, "/static/css/site.css", &[("Accept-Encoding", "gzip"), ("If-None-Match", &css.etag())])
            .await;
    assert_eq!(again.status, Status::NotModified);
    let svg = get(&app, "/static/img/favicon.svg", &[("Accept-Encoding", "br")]).await;
    assert_eq!(svg.header("Content-Encoding"), None, "under the threshold");

    // Uploaded images are compressed already and served in byte ranges: untouched.
    app.signed_in(Role::Editor).await;
    let png = {
        let image = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 128]));
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let page = app.upload("/admin/media", &[], "square.png", &png).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let name = app.text("SELECT stored_name FROM media WHERE original_name = 'square.png'").await;
    let image = get(&app, &format!("/media/{name}"), &[("Accept-Encoding", "br, gzip, zstd")]).await;
    assert_eq!(image.status, Status::Ok);
    assert_eq!(image.header("Content-Encoding"), None);
    assert_eq!(image.header("Vary"), None);
    assert_eq!(image.header("Accept-Ranges"), Some("bytes"));
    assert_eq!(image.header("Cache-Control"), Some("public, max-age=31536000, immutable"));
}

both_backends!(
    public_pages_answer_304_to_their_etag,
    articles_and_feeds_answer_if_modified_since_when_no_etag_is_sent,
    the_etag_changes_when_the_content_does,
    per_visitor_responses_get_no_validators_nor_compression,
    head_works_on_every_get_route,
    compression_follows_accept_encoding,
    small_bodies_and_media_are_left_alone,
);

/// A 304 carries no `Content-Length` but the 200's (RFC 9110, section 8.6): Rocket gave its empty
/// body a length of 0, which tells a cache the representation is now empty. Seen on the wire
/// only, since Rocket's local client never reaches hyper; from the page cache and rendered.
#[test]
fn a_304_on_the_wire_has_no_length_but_the_200s() {
    for cache in ["67108864", "0"] {
        let mut served = common::served::Served::start(&[("ROCKET_PAGE_CACHE", cache)], |_| {});
        let mut conn = served.connect();
        for path in ["/", "/feed.xml", "/robots.txt"] {
            let (status, head) = common::served::exchange(&mut conn, &common::served::get(path, ""));
            assert_eq!(status, 200, "{path}");
            let header = |head: &str, name: &str| {
                head.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned())
            };
            let etag = header(&head, "etag: ").unwrap_or_else(|| panic!("{path}: no ETag in {head}"));
            let length = header(&head, "content-length: ");
            let revalidate = format!("If-None-Match: {etag}\r\n");
            let (status, head) = common::served::exchange(&mut conn, &common::served::get(path, &revalidate));
            assert_eq!(status, 304, "{path} (page cache {cache})");
            let sent = header(&head, "content-length: ");
            assert!(
                sent.is_none() || sent == length,
                "{path} (page cache {cache}): 304 with {sent:?}, 200 had {length:?}"
            );
        }
        served.terminate();
    }
}
