//! The media library and what a file really is: ISO media files known by their brand (HEIC and
//! AVIF refused with advice, MP4 and M4A stored as what they are), and moving images (animated
//! WebP, APNG, GIF) kept moving, with no still copies in any `srcset`.
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

fn rgb(width: u32, height: u32, shade: u8) -> image::RgbaImage {
    image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, shade, 255])
    })
}

/// A lossless WebP whose two frames differ, written as the WebP container specification
/// describes an animation: `VP8X` with the animation flag, `ANIM`, then one `ANMF` per frame.
fn animated_webp(width: u32, height: u32) -> Vec<u8> {
    let three = |n: u32| n.to_le_bytes()[..3].to_vec();
    let mut body = b"VP8X\x0a\0\0\0\x02\0\0\0".to_vec();
    body.extend([three(width - 1), three(height - 1)].concat());
    body.extend_from_slice(b"ANIM\x06\0\0\0\0\0\0\0\0\0");
    for shade in [0, 200] {
        let mut still = std::io::Cursor::new(Vec::new());
        rgb(width, height, shade).write_to(&mut still, image::ImageFormat::WebP).unwrap();
        let still = still.into_inner();
        assert_eq!(&still[12..16], b"VP8L");
        let mut frame =
            [three(0), three(0), three(width - 1), three(height - 1), three(100), vec![0]].concat();
        frame.extend_from_slice(&still[12..]);
        body.extend_from_slice(b"ANMF");
        body.extend_from_slice(&u32::try_from(frame.len()).unwrap().to_le_bytes());
        body.extend(frame);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend(body);
    out
}

/// An APNG of `frames` frames (one frame: a plain PNG).
fn png(width: u32, height: u32, frames: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    if frames > 1 {
        encoder.set_animated(frames, 0).unwrap();
    }
    let mut writer = encoder.write_header().unwrap();
    for frame in 0..frames {
        let shade = u8::try_from(frame * 90 % 256).unwrap();
        let pixels: Vec<u8> = (0..width * height).flat_map(|i| [(i % 256) as u8, shade, 40]).collect();
        writer.write_image_data(&pixels).unwrap();
    }
    writer.finish().unwrap();
    out
}

fn gif(width: u32, height: u32, frames: u8) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new_with_speed(&mut out, 30);
        for frame in 0..frames {
            let still = image::RgbaImage::from_pixel(width, height, image::Rgba([frame * 90, 20, 20, 255]));
            encoder.encode_frame(image::Frame::new(still)).unwrap();
        }
    }
    out
}

async fn moving_images_keep_their_animation_and_get_no_still_copies(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let moving = [
        ("spinner.webp", animated_webp(1200, 600), "image/webp"),
        ("loading.png", png(1000, 500, 3), "image/png"),
        ("dance.gif", gif(600, 300, 2), "image/gif"),
    ];
    for (filename, bytes, content_type) in &moving {
        let page = app.upload("/admin/media", &[], filename, bytes).await;
        assert_eq!(page.status, Status::SeeOther, "{filename}: {}", page.body);
        let row = format!("FROM media WHERE original_name = '{filename}'");
        let name = app.text(&format!("SELECT stored_name {row}")).await;
        assert_eq!(app.text(&format!("SELECT variants {row}")).await, "", "{filename}: no still copies");
        assert_eq!(app.text(&format!("SELECT content_type {row}")).await, *content_type);
        let id = app.count(&format!("SELECT id {row}")).await;
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM media_blobs WHERE media_id = {id}")).await, 1);
        for path in [format!("/media/{name}"), format!("/media/480/{name}"), format!("/media/960/{name}")] {
            let (status, headers, body) = app.get_bytes(&path).await;
            assert_eq!(status, Status::Ok, "{path}");
            assert!(body == *bytes, "{path} serves the moving original");
            assert_eq!(header(&headers, "Content-Type"), Some(*content_type));
        }
        let library = app.get("/admin/media").await;
        library.assert_contains(&format!("/media/{name}"));
        library.assert_lacks(&format!("/media/480/{name}"));
        let post = folio::domain::markdown::render(&format!("![It moves](/media/{name})")).html;
        assert!(post.contains(&format!("src=\"/media/{name}\"")) && !post.contains("srcset"), "{post}");
    }

    // One frame is a still, whatever the format: copies, and a srcset in posts.
    let stills = [("still.gif", gif(600, 300, 1)), ("still.png", png(600, 300, 1))];
    for (filename, bytes) in &stills {
        let page = app.upload("/admin/media", &[], filename, bytes).await;
        assert_eq!(page.status, Status::SeeOther, "{filename}: {}", page.body);
        let row = format!("FROM media WHERE original_name = '{filename}'");
        assert_eq!(app.text(&format!("SELECT variants {row}")).await, "480", "{filename}");
        let name = app.text(&format!("SELECT stored_name {row}")).await;
        let (_, headers, copy) = app.get_bytes(&format!("/media/480/{name}")).await;
        assert_eq!(header(&headers, "Content-Type"), Some("image/webp"));
        let copy = image::load_from_memory(&copy).unwrap();
        assert_eq!((copy.width(), copy.height()), (480, 240));
        let post = folio::domain::markdown::render(&format!("![Still](/media/{name})")).html;
        assert!(post.contains(&format!("srcset=\"/media/480/{name} 480w")), "{post}");
    }
}

/// Before animation was read from content, an APNG got still copies like any PNG. Migration 0005
/// lists such files and a check after start-up removes the copies of those that move.
async fn moving_images_stored_with_still_copies_lose_them(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    for filename in ["then-moving.png", "still.png"] {
        let page = app.upload("/admin/media", &[], filename, &png(1000, 500, 1)).await;
        assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    }
    // As the old code stored an APNG: a plain name, copies, and the moving original.
    let apng = png(1000, 500, 3);
    let id = app.count("SELECT id FROM media WHERE original_name = 'then-moving.png'").await;
    let name = app.text(&format!("SELECT stored_name FROM media WHERE id = {id}")).await;
    match &app.db {
        folio::db::Db::Sqlite(pool) => {
            sqlx::query("UPDATE media_blobs SET bytes = $1 WHERE media_id = $2 AND variant = 0")
                .bind(&apng)
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ())
        }
        folio::db::Db::Postgres(pool) => {
            sqlx::query("UPDATE media_blobs SET bytes = $1 WHERE media_id = $2 AND variant = 0")
                .bind(&apng)
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ())
        }
    }
    .unwrap();
    app.sql("INSERT INTO media_unchecked (media_id) SELECT id FROM media").await;
    assert_eq!(app.text(&format!("SELECT variants FROM media WHERE id = {id}")).await, "480,960");

    let store = folio::media::Store::Database;
    assert_eq!(folio::media::repair::check_some(&app.db, &store).await.unwrap(), 2);
    assert_eq!(folio::media::repair::check_some(&app.db, &store).await.unwrap(), 0, "each file once");
    assert_eq!(app.text(&format!("SELECT variants FROM media WHERE id = {id}")).await, "");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM media_blobs WHERE media_id = {id}")).await, 1);
    assert_eq!(app.text("SELECT variants FROM media WHERE original_name = 'still.png'").await, "480,960");
    let (status, _, body) = app.get_bytes(&format!("/media/480/{name}")).await;
    assert_eq!(status, Status::Ok);
    assert!(body == apng, "a post's old srcset now gets the moving original");
}

both_backends!(
    iso_media_files_are_stored_as_what_their_brand_says,
    moving_images_keep_their_animation_and_get_no_still_copies,
    moving_images_stored_with_still_copies_lose_them,
);
