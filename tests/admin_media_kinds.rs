//! The media library and what a file really is: ISO media files known by their brand (HEIC and
//! AVIF refused with advice, MP4 and M4A stored as what they are).
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, TestApp};
use folio::domain::roles::Role;
use rocket::http::Status;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// An ISO base media file: an `ftyp` box with `major` and `compatible` brands, then `rest`.
fn iso(major: &[u8; 4], compatible: &[&[u8; 4]], rest: &[u8]) -> Vec<u8> {
    let size = u32::try_from(16 + 4 * compatible.len()).unwrap();
    let mut out = size.to_be_bytes().to_vec();
    out.extend_from_slice(b"ftyp");
    out.extend_from_slice(major);
    out.extend_from_slice(&[0, 0, 0, 0]);
    for brand in compatible {
        out.extend_from_slice(*brand);
    }
    out.extend_from_slice(rest);
    out
}

async fn iso_media_files_are_stored_as_what_their_brand_says(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    // The first boxes of an iPhone photo, a generic HEIF naming HEIC, and AVIF files.
    let meta = b"\0\0\0\x21meta\0\0\0\0\0\0\0\x21hdlr\0\0\0\0\0\0\0\0pict";
    let refused: [(&str, Vec<u8>, &str); 5] = [
        (
            "IMG_4032.HEIC",
            iso(b"heic", &[b"mif1", b"heic"], meta),
            "HEIC photos (the iPhone’s default) cannot be used yet",
        ),
        ("photo.heif", iso(b"mif1", &[b"mif1", b"heic", b"miaf"], meta), "Most Compatible"),
        (
            "picture.avif",
            iso(b"avif", &[b"avif", b"mif1", b"miaf", b"MA1B"], meta),
            "AVIF images cannot be used yet",
        ),
        (
            "sequence.avif",
            iso(b"avis", &[b"avis", b"msf1", b"iso8", b"mif1", b"miaf"], meta),
            "Save the image as JPEG, PNG or WebP",
        ),
        ("clip.mov", iso(b"qt  ", &[b"qt  "], b"\0\0\0\x08wide"), "QuickTime (.mov) videos are not accepted"),
    ];
    for (filename, bytes, message) in refused {
        let page = app.upload("/admin/media", &[], filename, &bytes).await;
        assert_eq!(page.status, Status::UnprocessableEntity, "{filename}: {}", page.body);
        page.assert_contains(message);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 0, "nothing stored as video");

    let mp4 = iso(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"], b"\0\0\0\x08free\0\0\0\x10mdat12345678");
    let m4a = iso(b"M4A ", &[b"M4A ", b"mp42", b"isom"], b"\0\0\0\x08free");
    for (filename, bytes, extension, content_type) in
        [("clip.mp4", &mp4, ".mp4", "video/mp4"), ("episode.m4a", &m4a, ".m4a", "audio/mp4")]
    {
        let page = app.upload("/admin/media", &[], filename, bytes).await;
        assert_eq!(page.status, Status::SeeOther, "{filename}: {}", page.body);
        let name =
            app.text(&format!("SELECT stored_name FROM media WHERE original_name = '{filename}'")).await;
        assert!(name.ends_with(extension), "{name}");
        let (status, headers, body) = app.get_bytes(&format!("/media/{name}")).await;
        assert_eq!((status, &body), (Status::Ok, bytes));
        assert_eq!(header(&headers, "Content-Type"), Some(content_type));
        assert!(header(&headers, "Content-Disposition").unwrap().starts_with("attachment"));
    }
}

both_backends!(iso_media_files_are_stored_as_what_their_brand_says);
