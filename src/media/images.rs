//! Reading uploaded images and making their resized copies for `srcset`.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::domain::media::animation::is_animated;
use crate::domain::media::{FileType, variant_widths};

/// Images larger than this in either dimension are refused before decoding (decompression bombs).
const MAX_DIMENSION: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;
const REDRAWN_QUALITY: u8 = 92;

/// A resized copy.
pub struct Variant {
    pub width: u32,
    pub kind: FileType,
    pub bytes: Vec<u8>,
}

/// The bytes did not decode as the image their first bytes promised (or were too large to).
#[derive(Debug)]
pub struct Unreadable;

/// An image that decoded: its size upright, its EXIF orientation (1–8), whether it moves, and
/// its resized copies.
pub struct Processed {
    pub size: (u32, u32),
    pub orientation: u8,
    /// More than one frame: the original is kept alone, since a copy would be a still.
    pub moving: bool,
    pub variants: Vec<Variant>,
}

/// Copies of JPEGs stay JPEG; everything else becomes lossless WebP, which keeps transparency and
/// is smaller than PNG.
pub fn variant_kind(original: FileType) -> FileType {
    if original == FileType::Jpeg { FileType::Jpeg } else { FileType::Webp }
}

/// Decodes `bytes` (known by its magic bytes to be `kind`), turns it upright as its EXIF
/// orientation says (phones store pictures sideways and say so), and resizes it to each width
/// below its own. A moving image (GIF, APNG or WebP with more than one frame) keeps only the
/// original, which would otherwise lose its animation; its first frame is decoded all the same,
/// to be sure the file is whole.
pub fn process(bytes: &[u8], kind: FileType) -> Result<Processed, Unreadable> {
    let (image, orientation) = decode(bytes, kind)?;
    let size = (image.width(), image.height());
    if is_animated(bytes, kind) {
        return Ok(Processed { size, orientation, moving: true, variants: Vec::new() });
    }
    let out = variant_kind(kind);
    let mut variants = Vec::new();
    for width in variant_widths(size.0) {
        let height = (u64::from(size.1) * u64::from(width) / u64::from(size.0)).max(1) as u32;
        let resized = image.resize_exact(width, height, FilterType::CatmullRom);
        variants.push(Variant { width, kind: out, bytes: encode(&resized, out)? });
    }
    Ok(Processed { size, orientation, moving: false, variants })
}

/// A JPEG drawn again from its pixels, upright and at high quality: the original's stand-in when
/// its metadata cannot be taken out losslessly.
pub fn redrawn_jpeg(bytes: &[u8]) -> Result<Vec<u8>, Unreadable> {
    let (image, _) = decode(bytes, FileType::Jpeg)?;
    jpeg(&image, REDRAWN_QUALITY)
}

/// The picture upright, and the EXIF orientation it was stored with (1–8), within the limits.
fn decode(bytes: &[u8], kind: FileType) -> Result<(DynamicImage, u8), Unreadable> {
    let format = match kind {
        FileType::Jpeg => ImageFormat::Jpeg,
        FileType::Png => ImageFormat::Png,
        FileType::Gif => ImageFormat::Gif,
        FileType::Webp => ImageFormat::WebP,
        _ => return Err(Unreadable),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| Unreadable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| Unreadable)?;
    image.apply_orientation(orientation);
    Ok((image, orientation.to_exif()))
}

fn encode(image: &DynamicImage, kind: FileType) -> Result<Vec<u8>, Unreadable> {
    if kind == FileType::Jpeg {
        return jpeg(image, JPEG_QUALITY);
    }
    // The WebP encoder takes 8-bit pixels only.
    let pixels = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8())
    };
    let mut buffer = Cursor::new(Vec::new());
    pixels.write_to(&mut buffer, ImageFormat::WebP).map_err(|_| Unreadable)?;
    Ok(buffer.into_inner())
}

fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Unreadable> {
    let mut buffer = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image.to_rgb8())
        .write_with_encoder(JpegEncoder::new_with_quality(&mut buffer, quality))
        .map_err(|_| Unreadable)?;
    Ok(buffer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::new_rgba8(width, height);
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).expect("encode");
        out.into_inner()
    }

    #[test]
    fn wide_images_get_smaller_copies_of_the_same_shape() {
        let done = process(&png(1000, 500), FileType::Png).expect("decodes");
        assert_eq!(done.size, (1000, 500));
        let widths: Vec<u32> = done.variants.iter().map(|v| v.width).collect();
        assert_eq!(widths, [480, 960]);
        assert_eq!(done.variants[0].kind, FileType::Webp);
        let copy = image::load_from_memory(&done.variants[0].bytes).expect("valid webp");
        assert_eq!(image::guess_format(&done.variants[0].bytes).expect("known"), ImageFormat::WebP);
        assert_eq!((copy.width(), copy.height()), (480, 240));
        assert!(copy.color().has_alpha(), "transparency is kept");
    }

    #[test]
    fn sideways_photos_are_turned_upright() {
        let mut jpeg = Vec::new();
        JpegEncoder::new(&mut jpeg).encode_image(&image::RgbImage::new(1200, 600)).expect("encodes");
        // Stored 1200×600, shown rotated a quarter turn (orientation 6): upright it is 600×1200.
        let turned = crate::domain::jpeg::strip_metadata(&jpeg, 6).expect("parses");
        let done = process(&turned, FileType::Jpeg).expect("decodes");
        assert_eq!((done.size, done.orientation), ((600, 1200), 6));
        let copy = image::load_from_memory(&done.variants[0].bytes).expect("valid jpeg");
        assert_eq!((copy.width(), copy.height()), (480, 960));
    }

    #[test]
    fn a_redrawn_jpeg_is_upright_and_carries_nothing_else() {
        let mut jpeg = Vec::new();
        JpegEncoder::new(&mut jpeg).encode_image(&image::RgbImage::new(40, 20)).expect("encodes");
        let mut tagged = crate::domain::jpeg::strip_metadata(&jpeg, 6).expect("parses");
        tagged.extend_from_slice(b"GPS trailing");
        let redrawn = redrawn_jpeg(&tagged).expect("redraws");
        assert!(!redrawn.windows(4).any(|w| w == b"Exif" || w == b"GPS "));
        let copy = image::load_from_memory(&redrawn).expect("valid jpeg");
        assert_eq!((copy.width(), copy.height()), (20, 40));
    }

    #[test]
    fn bytes_that_only_look_like_an_image_are_refused() {
        assert!(process(b"\x89PNG\r\n\x1a\nnot really", FileType::Png).is_err());
    }
}
