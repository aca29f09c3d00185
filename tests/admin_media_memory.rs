//! Image uploads within a memory budget: too many pixels are refused from the header, before any
//! decoding; work beyond the process's image memory waits its turn (holding none while it
//! waits), then is refused as busy; and an image needing more than all of it is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;

use common::fixtures::base;
use common::{Backend, TestApp};
use folio::domain::roles::Role;
use folio::media::Budget;
use rocket::figment::Figment;
use rocket::http::Status;

/// A valid 8-bit RGB PNG of one colour, written row by row: small on disk (an 11,999 × 11,999
/// one is 2 MB at this fast compression, 420 KB at zlib's best), whatever it takes decoded.
fn flat_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![90u8; width as usize * 3];
        for _ in 0..height {
            stream.write_all(&row).unwrap();
        }
        stream.finish().unwrap();
    }
    out
}

async fn images_with_too_many_pixels_are_refused_before_decoding(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Contributor).await;
    let bomb = flat_png(11_999, 11_999);
    assert!(bomb.len() < 4 * 1024 * 1024, "{} bytes", bomb.len());
    let page = app.upload("/admin/media", &[], "bomb.png", &bomb).await;
    assert_eq!(page.status, Status::UnprocessableEntity, "{}", page.body);
    page.assert_contains("This image is 11,999 × 11,999 pixels (144 megapixels)");
    page.assert_contains("images of up to 89 megapixels are accepted");
    // Just over Pillow's decompression-bomb threshold of 89,478,485 pixels.
    let page = app.upload("/admin/media", &[], "big.png", &flat_png(9_460, 9_460)).await;
    assert_eq!(page.status, Status::UnprocessableEntity, "{}", page.body);
    page.assert_contains("9,460 × 9,460 pixels");
    assert_eq!(app.count("SELECT COUNT(*) FROM media").await, 0);
    let page = app.upload("/admin/media", &[], "fine.png", &flat_png(1200, 800)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
}

async fn image_work_waits_for_memory_then_is_refused_as_busy(backend: Backend) {
    let config = Figment::new().merge(("image_memory", 64 * 1024 * 1024)).merge(("image_wait", 1));
    let app = TestApp::with_config(backend, base(), config).await;
    app.signed_in(Role::Author).await;
    let budget = app.client.rocket().state::<Budget>().unwrap();
    assert_eq!(budget.total_bytes(), 64 * 1024 * 1024);

    // Other uploads hold all of it for longer than an upload waits.
    let held = budget.reserve(budget.total_bytes(), budget.deadline()).await.unwrap();
    let started = std::time::Instant::now();
    let page = app.upload("/admin/media", &[], "harbour.png", &flat_png(1200, 600)).await;
    assert_eq!(page.status, Status::UnprocessableEntity, "{}", page.body);
    page.assert_contains("The server is busy resizing other images, so nothing was uploaded");
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "it waited its turn first");
    // Files that are not images need no image memory.
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    assert_eq!(app.upload("/admin/media", &[], "notes.pdf", &pdf).await.status, Status::SeeOther);
    drop(held);

    let page = app.upload("/admin/media", &[], "harbour.png", &flat_png(1200, 600)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    assert_eq!(budget.available_mib(), 64, "the memory is given back");

    // Others hold all but 2 MiB: the file's bytes fit, decoding it does not, so the upload gives
    // its share back and waits for the whole, which it gets when the others finish.
    let held = budget.reserve(62 * 1024 * 1024, budget.deadline()).await.unwrap();
    let others = rocket::tokio::spawn(async move {
        rocket::tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(held);
    });
    let page = app.upload("/admin/media", &[], "queued.png", &flat_png(1200, 600)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    others.await.unwrap();
    assert_eq!(budget.available_mib(), 64);

    // 4,000 × 3,000 RGB decodes to 36 MB and its 1600-wide copy needs 32 MB more: over 64 MiB.
    let page = app.upload("/admin/media", &[], "poster.png", &flat_png(4_000, 3_000)).await;
    assert_eq!(page.status, Status::UnprocessableEntity, "{}", page.body);
    page.assert_contains(
        "This image is 4,000 × 3,000 pixels (12 megapixels), more than this server can resize",
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM media WHERE kind = 'image'").await, 2);
}

both_backends!(
    images_with_too_many_pixels_are_refused_before_decoding,
    image_work_waits_for_memory_then_is_refused_as_busy,
);
