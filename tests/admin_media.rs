//! The media library: uploads judged by content, resized copies, serving, alt text, deletion,
//! both storage places, and who may do what.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::base;
use common::{Backend, PASSWORD, TestApp};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

fn png(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

async fn stored_name(app: &TestApp, original: &str) -> String {
    app.text(&format!("SELECT stored_name FROM media WHERE original_name = '{original}'")).await
}

async fn images_are_stored_resized_and_served_with_srcset(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let bytes = png(1200, 600);
    let page = app.upload("/admin/media", &[], "Harbour at dusk.png", &bytes).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let name = stored_name(&app, "Harbour at dusk.png").await;
    assert!(name.ends_with(".png") && name.len() == 24, "{name}");
    assert_eq!(app.text("SELECT variants FROM media").await, "480,960");
    assert_eq!(app.count("SELECT width FROM media").await, 1200);

    let (status, headers, body) = app.get_bytes(&format!("/media/{name}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, bytes);
    assert_eq!(header(&headers, "Content-Type"), Some("image/png"));
    assert_eq!(header(&headers, "Cache-Control"), Some("public, max-age=31536000, immutable"));
    assert!(header(&headers, "Content-Disposition").unwrap().starts_with("inline"));
    assert_eq!(header(&headers, "Content-Security-Policy"), Some("default-src 'none'; sandbox"));
    let (status, headers, small) = app.get_bytes(&format!("/media/480/{name}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(header(&headers, "Content-Type"), Some("image/webp"), "PNG copies are lossless WebP");
    let small = image::load_from_memory(&small).unwrap();
    assert_eq!((small.width(), small.height()), (480, 240));
    let (_, _, missing_width) = app.get_bytes(&format!("/media/1600/{name}")).await;
    assert_eq!(missing_width, bytes, "a width never made falls back to the original");

    let library = app.get("/admin/media").await;
    library.assert_contains(&format!("/media/480/{name} 480w, /media/960/{name} 960w, /media/{name} 1200w"));
    library.assert_contains(&format!("![](/media/{name})"));
    let id = app.count("SELECT id FROM media").await;
    let alt = app.submit(&format!("/admin/media/{id}/alt"), &[("alt", "Boats in a harbour")]).await;
    assert_eq!(alt.status, Status::SeeOther);
    app.get("/admin/media").await.assert_contains(&format!("![Boats in a harbour](/media/{name})"));
    app.get("/admin/media?q=boats").await.assert_contains("Harbour at dusk.png");
    app.get("/admin/media?q=nothing-like-it").await.assert_contains("No files match");
}

/// A 1200×600 JPEG as a phone writes it: stored sideways (EXIF orientation 6, a quarter turn)
/// with the place it was taken and a comment.
fn phone_photo() -> Vec<u8> {
    let mut plain = Vec::new();
    let picture = image::RgbImage::from_fn(1200, 600, |x, _| image::Rgb([(x % 256) as u8, 90, 30]));
    image::codecs::jpeg::JpegEncoder::new(&mut plain).encode_image(&picture).unwrap();
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPS 51.5007N 0.1246W");
    let mut photo = plain[..2].to_vec();
    for (marker, payload) in [(0xE1, &exif[..]), (0xFE, &b"Shot on a PhoneCam X"[..])] {
        photo.extend_from_slice(&[0xFF, marker]);
        photo.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        photo.extend_from_slice(payload);
    }
    photo.extend_from_slice(&plain[2..]);
    photo
}

async fn photos_are_turned_upright_and_lose_where_they_were_taken(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let photo = phone_photo();
    assert_eq!(app.upload("/admin/media", &[], "IMG_0001.jpg", &photo).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT width FROM media").await, 600, "upright, the photo is tall");
    assert_eq!(app.count("SELECT height FROM media").await, 1200);
    let name = stored_name(&app, "IMG_0001.jpg").await;
    let (_, _, original) = app.get_bytes(&format!("/media/{name}")).await;
    let text = String::from_utf8_lossy(&original);
    assert!(!text.contains("GPS") && !text.contains("PhoneCam"), "metadata left in the original");
    assert_eq!(app.count("SELECT byte_size FROM media").await, original.len() as i64);
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&original)).unwrap();
    assert_eq!(image::ImageDecoder::orientation(&mut decoder).unwrap().to_exif(), 6, "the orientation stays");
    let (_, _, copy) = app.get_bytes(&format!("/media/480/{name}")).await;
    let copy = image::load_from_memory(&copy).unwrap();
    assert_eq!((copy.width(), copy.height()), (480, 960), "copies are turned upright");
}

async fn uploads_are_refused_by_content_size_and_kind(backend: Backend) {
    let app = TestApp::with_config(backend, base(), Figment::new().merge(("upload_limit", 2_000))).await;
    app.signed_in(Role::Editor).await;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("photo.jpg", b"MZ\x90\x00\x03 this is really an executable".to_vec(), "This kind of file is not accepted"),
        ("big.pdf", [b"%PDF-1.7\n".as_slice(), &[b'x'; 3_000]].concat(), "larger than the limit of 2 KB"),
        ("logo.svg", br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec(), "SVG files can carry scripts"),
        ("empty.png", Vec::new(), "The file is empty."),
        ("broken.png", b"\x89PNG\r\n\x1a\nthis is not image data at all".to_vec(), "The image could not be read"),
    ];
    for (filename, bytes, message) in cases {
        let page = app.upload("/admin/media", &[], filename, &bytes).await;
        assert_eq!(page.status, Status::UnprocessableEntity, "{filename}");
        page.assert_contains(message);
        page.assert_contains(r#"aria-invalid="true""#);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM media_blobs").await, 0);

    // A file name is data, never a path.
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let page = app.upload("/admin/media", &[], "../../etc/passwd.pdf", &pdf).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let name = app.text("SELECT stored_name FROM media").await;
    assert!(!name.contains('/') && name.ends_with(".pdf"), "{name}");
    assert_eq!(app.text("SELECT original_name FROM media").await, "passwd.pdf");
    let (status, headers, body) = app.get_bytes(&format!("/media/{name}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, pdf);
    assert_eq!(header(&headers, "Content-Disposition"), Some("attachment; filename=\"passwd.pdf\""));
    // Text-direction controls cannot make a name show as something it is not
    // ("photo\u{202e}fdp.exe" would read "photoexe.pdf").
    let page = app.upload("/admin/media", &[], "photo\u{202e}fdp.exe\u{2066}.pdf", &pdf).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM media WHERE original_name = 'photofdp.exe.pdf'").await, 1);
    app.get("/admin/media").await.assert_lacks("\u{202e}");
    assert_eq!(header(&headers, "Content-Type"), Some("application/pdf"));
    for path in ["/media/..%2F..%2Fetc%2Fpasswd", "/media/0123456789abcdef0123.pdf", "/media/w/..%2Fx.pdf"] {
        assert_eq!(app.get_bytes(path).await.0, Status::NotFound, "{path}");
    }
    // Rocket refuses dot segments before any route sees them.
    assert_ne!(app.get_bytes("/media/../Cargo.toml").await.0, Status::Ok);
}

async fn deleting_asks_and_only_owners_or_editors_may(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let contributor = app.signed_in(Role::Contributor).await;
    assert_eq!(app.upload("/admin/media", &[], "mine.png", &png(10, 10)).await.status, Status::SeeOther);
    let editor = app.user(Role::Editor, "editor@example.org").await;
    app.submit("/sign-out", &[]).await;
    app.sign_in(&editor.email, PASSWORD).await;
    assert_eq!(app.upload("/admin/media", &[], "theirs.png", &png(10, 10)).await.status, Status::SeeOther);
    let theirs = app.count("SELECT id FROM media WHERE original_name = 'theirs.png'").await;
    let mine = app.count("SELECT id FROM media WHERE original_name = 'mine.png'").await;

    app.submit("/sign-out", &[]).await;
    app.sign_in(&contributor.email, PASSWORD).await;
    assert_eq!(app.get(&format!("/admin/media/{theirs}/delete")).await.status, Status::Forbidden);
    assert_eq!(app.submit(&format!("/admin/media/{theirs}/delete"), &[]).await.status, Status::Forbidden);
    assert_eq!(
        app.submit(&format!("/admin/media/{theirs}/alt"), &[("alt", "x")]).await.status,
        Status::Forbidden
    );
    let ask = app.get(&format!("/admin/media/{mine}/delete")).await;
    assert_eq!(ask.status, Status::Ok);
    ask.assert_contains("Delete the file");
    let name = stored_name(&app, "mine.png").await;
    assert_eq!(
        app.submit(&format!("/admin/media/{mine}/delete"), &[("confirm", "true")]).await.status,
        Status::SeeOther
    );
    assert_eq!(app.get_bytes(&format!("/media/{name}")).await.0, Status::NotFound);
    assert_eq!(app.count("SELECT COUNT(*) FROM media_blobs").await, 1, "theirs alone is left");

    app.submit("/sign-out", &[]).await;
    assert_eq!(app.get("/admin/media").await.status, Status::SeeOther, "signed out: to the sign-in page");
    app.user(Role::Member, "member@example.org").await;
    app.sign_in("member@example.org", PASSWORD).await;
    assert_eq!(app.upload("/admin/media", &[], "m.png", &png(5, 5)).await.status, Status::Forbidden);
}

async fn media_may_live_in_a_shared_directory(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config = Figment::new().merge(("media_dir", dir.path().display().to_string()));
    let app = TestApp::with_config(backend, base(), config).await;
    app.signed_in(Role::Editor).await;
    let bytes = png(1000, 100);
    assert_eq!(app.upload("/admin/media", &[], "wide.png", &bytes).await.status, Status::SeeOther);
    let name = stored_name(&app, "wide.png").await;
    assert_eq!(std::fs::read(dir.path().join(&name)).unwrap(), bytes);
    assert!(dir.path().join(format!("w480-{name}")).exists());
    for file in [name.clone(), format!("w480-{name}"), format!("w960-{name}")] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(&file)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o640, 0, "{file} is {mode:o}: at most 0640, nothing for other users");
        assert_eq!(mode & 0o600, 0o600, "{file} is {mode:o}");
    }
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".partial"));
    assert_eq!(leftovers.count(), 0, "no temporary files left");
    assert_eq!(app.count("SELECT COUNT(*) FROM media_blobs").await, 0, "nothing in the database");
    let (status, _, body) = app.get_bytes(&format!("/media/{name}")).await;
    assert_eq!((status, body), (Status::Ok, bytes));
    let id = app.count("SELECT id FROM media").await;
    app.submit(&format!("/admin/media/{id}/delete"), &[("confirm", "true")]).await;
    assert!(!dir.path().join(&name).exists());
    assert!(!dir.path().join(format!("w960-{name}")).exists());
}

/// A PNG chunk: length, type, data and CRC, as the PNG specification (section 5.3) lays it out.
fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32fast::hash(&out[4..]).to_be_bytes());
    out
}

/// A PNG as a phone or an editor writes it: the place in EXIF, text, XMP and the time it was
/// saved, before and after the picture, and bytes trailing its end.
fn tagged_png() -> Vec<u8> {
    let plain = png(600, 300);
    let ihdr_end = 8 + 12 + 13;
    let mut out = plain[..ihdr_end].to_vec();
    out.extend(png_chunk(b"eXIf", b"MM\0\x2a\0\0\0\x08\0\0\0\0\0\0 GPS 51.5007N 0.1246W"));
    out.extend(png_chunk(b"tEXt", b"Comment\0Shot on a PhoneCam X"));
    out.extend(png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>GPS secret</x:xmpmeta>"));
    out.extend(png_chunk(b"tIME", &[7, 234, 11, 30, 12, 0, 0]));
    let iend = plain.len() - 12;
    out.extend_from_slice(&plain[ihdr_end..iend]);
    out.extend(png_chunk(b"tEXt", b"Location\0GPS home address"));
    out.extend_from_slice(&plain[iend..]);
    out.extend_from_slice(b"trailing PhoneCam bytes");
    out
}

/// An extended WebP (lossless picture, `VP8X` saying EXIF and XMP follow), then both.
fn tagged_webp() -> (Vec<u8>, Vec<u8>) {
    let picture =
        image::RgbaImage::from_fn(600, 300, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 9, 255]));
    let mut plain = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut plain, image::ImageFormat::WebP).unwrap();
    let plain = plain.into_inner();
    let three = |n: u32| n.to_le_bytes()[..3].to_vec();
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut c = kind.to_vec();
        c.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    };
    let mut body = b"WEBP".to_vec();
    body.extend(chunk(b"VP8X", &[[0x0C, 0, 0, 0].to_vec(), three(599), three(299)].concat()));
    body.extend_from_slice(&plain[12..]);
    body.extend(chunk(b"EXIF", b"MM\0\x2a\0\0\0\x08\0\0\0\0\0\0 GPS 51.5007N 0.1246W"));
    body.extend(chunk(b"XMP ", b"<x:xmpmeta>PhoneCam secret</x:xmpmeta>"));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    out.extend(body);
    (out, picture.into_raw())
}

async fn png_and_webp_originals_lose_their_metadata_losslessly(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let (webp, webp_pixels) = tagged_webp();
    let png_pixels = image::load_from_memory(&png(600, 300)).unwrap().to_rgba8().into_raw();
    for (filename, bytes, pixels) in [("map.png", tagged_png(), png_pixels), ("map.webp", webp, webp_pixels)]
    {
        assert!(image::load_from_memory(&bytes).is_ok(), "{filename}: the test file is valid");
        let page = app.upload("/admin/media", &[], filename, &bytes).await;
        assert_eq!(page.status, Status::SeeOther, "{filename}: {}", page.body);
        let name = stored_name(&app, filename).await;
        let (_, _, original) = app.get_bytes(&format!("/media/{name}")).await;
        let text = String::from_utf8_lossy(&original);
        for secret in ["GPS", "PhoneCam", "tIME", "xmpmeta"] {
            assert!(!text.contains(secret), "{filename}: {secret} left in the original");
        }
        let size = app.count(&format!("SELECT byte_size FROM media WHERE stored_name = '{name}'")).await;
        assert_eq!(size, original.len() as i64, "{filename}");
        let decoded = image::load_from_memory(&original).unwrap().to_rgba8().into_raw();
        assert!(decoded == pixels, "{filename}: the same pixels");
    }
    let name = stored_name(&app, "map.webp").await;
    let (_, _, webp) = app.get_bytes(&format!("/media/{name}")).await;
    let riff_size = u32::from_le_bytes(webp[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff_size, webp.len() - 8, "the RIFF size is fixed");
    assert_eq!(&webp[12..16], b"VP8X");
    assert_eq!(webp[20] & 0x0C, 0, "VP8X no longer promises EXIF or XMP");
}

/// A looping two-frame GIF as an editor saves it: a comment and XMP (an application extension)
/// before the frames. Returns it and the same GIF without them.
fn tagged_gif() -> (Vec<u8>, Vec<u8>) {
    let mut plain = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut plain);
        encoder.set_repeat(image::codecs::gif::Repeat::Infinite).unwrap();
        for shade in [0, 200] {
            let frame = image::RgbaImage::from_pixel(40, 20, image::Rgba([shade, 30, 30, 255]));
            encoder.encode_frame(image::Frame::new(frame)).unwrap();
        }
    }
    let packed = plain[10];
    let header_end = 13 + if packed & 0x80 != 0 { 3 << ((packed & 7) + 1) } else { 0 };
    let mut tagged = plain[..header_end].to_vec();
    tagged.extend_from_slice(b"\x21\xFE\x14Shot on a PhoneCam X\x00");
    tagged.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP\x20<x:xmpmeta>GPS 51.5N</x:xmpmeta>\x00");
    tagged.extend_from_slice(&plain[header_end..]);
    (tagged, plain)
}

async fn gif_originals_lose_comments_and_xmp(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let (tagged, plain) = tagged_gif();
    assert!(String::from_utf8_lossy(&plain).contains("NETSCAPE2.0"), "the test GIF loops");
    let page = app.upload("/admin/media", &[], "loop.gif", &tagged).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let name = stored_name(&app, "loop.gif").await;
    let (_, _, original) = app.get_bytes(&format!("/media/{name}")).await;
    assert!(original == plain, "the comment and XMP go, and every other byte stays, the loop too");
}

both_backends!(
    images_are_stored_resized_and_served_with_srcset,
    photos_are_turned_upright_and_lose_where_they_were_taken,
    uploads_are_refused_by_content_size_and_kind,
    deleting_asks_and_only_owners_or_editors_may,
    media_may_live_in_a_shared_directory,
    png_and_webp_originals_lose_their_metadata_losslessly,
    gif_originals_lose_comments_and_xmp,
);
