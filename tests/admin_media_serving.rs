//! Serving media to readers: `Range` requests (RFC 9110 section 14) answered from the database
//! and from a directory, and large downloads streamed and capped.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, TestApp};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::{Header, Status};

/// A PDF of `len` bytes: its header, then bytes that differ from their neighbours, so a range
/// served from the wrong place shows.
fn big_pdf(len: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    out.extend((out.len()..len).map(|i| (i % 251) as u8));
    out
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

async fn get(app: &TestApp, path: &str, range: Option<&str>) -> (Status, Vec<(String, String)>, Vec<u8>) {
    let mut req = app.client.get(path.to_owned());
    if let Some(range) = range {
        req = req.header(Header::new("Range", range.to_owned()));
    }
    let res = req.dispatch().await;
    let status = res.status();
    let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
    (status, headers, res.into_bytes().await.unwrap_or_default())
}

async fn upload(app: &TestApp, filename: &str, bytes: &[u8]) -> String {
    let page = app.upload("/admin/media", &[], filename, bytes).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    app.text(&format!("SELECT stored_name FROM media WHERE original_name = '{filename}'")).await
}

async fn ranges_are_answered_from_either_store(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    for config in [Figment::new(), Figment::new().merge(("media_dir", dir.path().display().to_string()))] {
        let app = TestApp::with_config(backend, base(), config).await;
        app.signed_in(Role::Editor).await;
        let pdf = big_pdf(3 * 1024 * 1024 + 7);
        let len = pdf.len();
        let name = upload(&app, "manual.pdf", &pdf).await;
        let path = format!("/media/{name}");

        let (status, headers, body) = get(&app, &path, None).await;
        assert_eq!(status, Status::Ok);
        assert!(body == pdf, "the whole file");
        assert_eq!(header(&headers, "Accept-Ranges"), Some("bytes"));

        let cases: [(&str, usize, usize); 5] = [
            ("bytes=0-99", 0, 99),
            ("bytes=1000000-", 1_000_000, len - 1),
            ("bytes=-500", len - 500, len - 1),
            ("bytes=3000000-9999999", 3_000_000, len - 1),
            ("bytes=5-5", 5, 5),
        ];
        for (range, first, last) in cases {
            let (status, headers, body) = get(&app, &path, Some(range)).await;
            assert_eq!(status, Status::PartialContent, "{range}");
            assert_eq!(body.len(), last + 1 - first, "{range}");
            assert!(body == pdf[first..=last], "{range}: the bytes asked for");
            let content_range = format!("bytes {first}-{last}/{len}");
            assert_eq!(header(&headers, "Content-Range"), Some(content_range.as_str()), "{range}");
            assert_eq!(header(&headers, "Content-Type"), Some("application/pdf"));
            assert_eq!(header(&headers, "Accept-Ranges"), Some("bytes"));
            assert_eq!(header(&headers, "Cache-Control"), Some("public, max-age=31536000, immutable"));
            assert_eq!(header(&headers, "Content-Security-Policy"), Some("default-src 'none'; sandbox"));
            assert_eq!(header(&headers, "Content-Disposition"), Some("attachment; filename=\"manual.pdf\""));
        }

        let whole = format!("bytes */{len}");
        for range in
            [format!("bytes={len}-"), format!("bytes={}-{}", len + 10, len + 20), "bytes=-0".to_owned()]
        {
            let (status, headers, _) = get(&app, &path, Some(&range)).await;
            assert_eq!(status, Status::RangeNotSatisfiable, "{range}");
            assert_eq!(header(&headers, "Content-Range"), Some(whole.as_str()), "{range}");
        }
        // Several ranges get the whole file; what is not a byte range is ignored (section 14.2).
        for range in ["bytes=0-0,5-9", "bytes=abc", "items=0-9", "bytes=9-5", "bytes=--5"] {
            let (status, _, body) = get(&app, &path, Some(range)).await;
            assert_eq!(status, Status::Ok, "{range}");
            assert!(body == pdf, "{range}: the whole file");
        }
    }
}

async fn large_downloads_are_capped(backend: Backend) {
    let config = Figment::new().merge(("large_downloads", 1));
    let app = TestApp::with_config(backend, base(), config).await;
    app.signed_in(Role::Editor).await;
    let pdf = big_pdf(2 * 1024 * 1024);
    let big = upload(&app, "big.pdf", &pdf).await;
    let small = upload(&app, "small.pdf", &big_pdf(1000)).await;

    // A reader still downloading holds the one place.
    let first = app.client.get(format!("/media/{big}")).dispatch().await;
    assert_eq!(first.status(), Status::Ok);
    let (status, headers, _) = get(&app, &format!("/media/{big}"), None).await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert!(header(&headers, "Retry-After").is_some());
    let (status, _, _) = get(&app, &format!("/media/{big}"), Some("bytes=0-99")).await;
    assert_eq!(status, Status::PartialContent, "a small range is not a large download");
    assert_eq!(get(&app, &format!("/media/{small}"), None).await.0, Status::Ok, "small files pass");

    assert!(first.into_bytes().await.unwrap() == pdf);
    let (status, _, body) = get(&app, &format!("/media/{big}"), None).await;
    assert_eq!(status, Status::Ok, "the place is free again");
    assert!(body == pdf);
}

both_backends!(ranges_are_answered_from_either_store, large_downloads_are_capped);
