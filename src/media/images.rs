//! Reading uploaded images and making their resized copies for `srcset`. An image is first
//! probed (its header only), so the memory its work needs is known before a pixel is decoded;
//! then it is decoded once, and copies are made without a second full-size buffer.

use std::io::Cursor;

use fast_image_resize::{FilterType as Filter, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{ColorType, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::domain::media::animation::is_animated;
use crate::domain::media::{FileType, variant_widths};

const JPEG_QUALITY: u8 = 82;
const REDRAWN_QUALITY: u8 = 92;
/// Encoders' buffers and the resizer's bookkeeping, on top of the pixel buffers counted.
const OVERHEAD: u64 = 4 * 1024 * 1024;

/// A resized copy.
pub struct Variant {
    pub width: u32,
    pub kind: FileType,
    pub bytes: Vec<u8>,
}

/// The bytes did not decode as the image their first bytes promised.
#[derive(Debug)]
pub struct Unreadable;

/// What an image's header says, read without decoding its pixels.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// Width and height as stored, before the EXIF orientation turns them.
    stored: (u32, u32),
    /// Width and height upright, as shown.
    pub size: (u32, u32),
    pub orientation: Orientation,
    /// Bytes a decoded pixel takes (1 for 8-bit grey up to 8 for 16-bit RGBA).
    bytes_per_pixel: u64,
    /// More than one frame: the original is kept alone, since a copy would be a still.
    pub moving: bool,
}

/// Reads the header of `bytes` (known by its magic bytes to be `kind`): size, orientation (phones
/// store pictures sideways and say so), pixel format, and whether it moves.
pub fn probe(bytes: &[u8], kind: FileType) -> Result<Probe, Unreadable> {
    let mut decoder = reader(bytes, kind, Limits::default())?.into_decoder().map_err(|_| Unreadable)?;
    let stored = decoder.dimensions();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let size = if turns_sideways(orientation) { (stored.1, stored.0) } else { stored };
    Ok(Probe {
        stored,
        size,
        orientation,
        bytes_per_pixel: u64::from(decoder.color_type().bytes_per_pixel()),
        moving: is_animated(bytes, kind),
    })
}

/// The most memory [`process`] takes for `probe`, in bytes: the decoded picture, then the larger
/// of what the largest copy needs (the resizer's intermediate, as wide as the picture and as
/// tall as the copy, then the copy, turned upright, and in the encoder's pixel format) and what
/// redrawing needs (the picture turned upright).
pub fn working_memory(probe: &Probe, redraw: bool) -> u64 {
    let (width, height) = (u64::from(probe.stored.0), u64::from(probe.stored.1));
    let decoded = width * height * probe.bytes_per_pixel;
    let largest = variant_widths(probe.size.0).last().copied().filter(|_| !probe.moving);
    let resizing = largest.map_or(0, |w| {
        let (copy_w, copy_h) = stored_copy_size(probe, w);
        (width + 3 * u64::from(copy_w)) * u64::from(copy_h) * probe.bytes_per_pixel
    });
    let redrawing = if redraw { decoded } else { 0 };
    decoded + resizing.max(redrawing) + OVERHEAD
}

/// An image that decoded, with its resized copies and, when asked for, itself drawn again.
pub struct Processed {
    pub variants: Vec<Variant>,
    /// The picture as a new JPEG, upright and at high quality: the original's stand-in when its
    /// metadata cannot be taken out losslessly.
    pub redrawn: Option<Vec<u8>>,
}

/// Copies of JPEGs stay JPEG; everything else becomes lossless WebP, which keeps transparency and
/// is smaller than PNG.
pub fn variant_kind(original: FileType) -> FileType {
    if original == FileType::Jpeg { FileType::Jpeg } else { FileType::Webp }
}

/// Decodes `bytes` as `probe` found them, and makes an upright copy at each width below the
/// image's own: the largest from the picture, each smaller one from the copy above it. A moving
/// image is only decoded (its first frame, to be sure it is whole) and gets no copies. `redraw`
/// asks for [`Processed::redrawn`] too.
pub fn process(bytes: &[u8], kind: FileType, probe: &Probe, redraw: bool) -> Result<Processed, Unreadable> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(probe.stored.0);
    limits.max_image_height = Some(probe.stored.1);
    limits.max_alloc = Some(working_memory(probe, redraw));
    let decoder = reader(bytes, kind, limits)?.into_decoder().map_err(|_| Unreadable)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| Unreadable)?;
    if probe.moving {
        return Ok(Processed { variants: Vec::new(), redrawn: None });
    }
    let out = variant_kind(kind);
    let mut variants = Vec::new();
    let mut source: Option<DynamicImage> = None;
    for width in variant_widths(probe.size.0).into_iter().rev() {
        let (w, h) = stored_copy_size(probe, width);
        let copy = resize(source.as_ref().unwrap_or(&picture), w, h)?;
        let mut upright = copy.clone();
        upright.apply_orientation(probe.orientation);
        variants.push(Variant { width, kind: out, bytes: encode(&upright, out)? });
        source = Some(copy);
    }
    variants.reverse();
    let redrawn = if redraw {
        picture.apply_orientation(probe.orientation);
        Some(jpeg(&picture, REDRAWN_QUALITY)?)
    } else {
        None
    };
    Ok(Processed { variants, redrawn })
}

fn reader(bytes: &[u8], kind: FileType, limits: Limits) -> Result<ImageReader<Cursor<&[u8]>>, Unreadable> {
    let format = match kind {
        FileType::Jpeg => ImageFormat::Jpeg,
        FileType::Png => ImageFormat::Png,
        FileType::Gif => ImageFormat::Gif,
        FileType::Webp => ImageFormat::WebP,
        _ => return Err(Unreadable),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    Ok(reader)
}

fn turns_sideways(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The stored (not yet upright) size of the copy `width` pixels wide upright.
fn stored_copy_size(probe: &Probe, width: u32) -> (u32, u32) {
    let (w, h) = probe.size;
    let height = (u64::from(h) * u64::from(width) / u64::from(w.max(1))).max(1);
    let height = u32::try_from(height).unwrap_or(u32::MAX);
    if turns_sideways(probe.orientation) { (height, width) } else { (width, height) }
}

/// `image` scaled to `width` × `height` with a Catmull-Rom filter. The resizer's intermediate
/// holds 8-bit pixels for 8-bit images, a quarter of the `image` crate's 32-bit float one.
/// Alpha is not premultiplied, as before, which would take a full-size copy of the picture.
fn resize(image: &DynamicImage, width: u32, height: u32) -> Result<DynamicImage, Unreadable> {
    let mut copy = DynamicImage::new(width, height, image.color());
    let options =
        ResizeOptions::new().resize_alg(ResizeAlg::Convolution(Filter::CatmullRom)).use_alpha(false);
    Resizer::new().resize(image, &mut copy, &options).map_err(|_| Unreadable)?;
    Ok(copy)
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

/// `image` as JPEG; 8-bit RGB and grey pictures are encoded as they are, without a copy.
fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Unreadable> {
    let mut buffer = Cursor::new(Vec::new());
    let encoder = JpegEncoder::new_with_quality(&mut buffer, quality);
    let written = match image.color() {
        ColorType::Rgb8 | ColorType::L8 => image.write_with_encoder(encoder),
        _ => DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder),
    };
    written.map_err(|_| Unreadable)?;
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

    fn run(bytes: &[u8], kind: FileType, redraw: bool) -> (Probe, Processed) {
        let probe = probe(bytes, kind).expect("probes");
        let done = process(bytes, kind, &probe, redraw).expect("decodes");
        (probe, done)
    }

    #[test]
    fn wide_images_get_smaller_copies_of_the_same_shape() {
        let (probe, done) = run(&png(1000, 500), FileType::Png, false);
        assert_eq!(probe.size, (1000, 500));
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
        let (probe, done) = run(&turned, FileType::Jpeg, false);
        assert_eq!((probe.size, probe.orientation.to_exif()), ((600, 1200), 6));
        let copy = image::load_from_memory(&done.variants[0].bytes).expect("valid jpeg");
        assert_eq!((copy.width(), copy.height()), (480, 960));
    }

    #[test]
    fn a_redrawn_jpeg_is_upright_and_carries_nothing_else() {
        let mut jpeg = Vec::new();
        JpegEncoder::new(&mut jpeg).encode_image(&image::RgbImage::new(40, 20)).expect("encodes");
        let mut tagged = crate::domain::jpeg::strip_metadata(&jpeg, 6).expect("parses");
        tagged.extend_from_slice(b"GPS trailing");
        let (_, done) = run(&tagged, FileType::Jpeg, true);
        let redrawn = done.redrawn.expect("redrawn");
        assert!(!redrawn.windows(4).any(|w| w == b"Exif" || w == b"GPS "));
        let copy = image::load_from_memory(&redrawn).expect("valid jpeg");
        assert_eq!((copy.width(), copy.height()), (20, 40));
    }

    #[test]
    fn memory_is_known_before_decoding() {
        let probe = probe(&png(2000, 1000), FileType::Png).expect("probes");
        // RGBA: the picture (8 MB), then 2000 + 3 × 1600 wide by 800 rows for the 1600 copy.
        let expected = 2000 * 1000 * 4 + (2000 + 4800) * 800 * 4 + OVERHEAD;
        assert_eq!(working_memory(&probe, false), expected);
        assert_eq!(working_memory(&probe, true), expected, "resizing needs more than redrawing");
    }

    #[test]
    fn bytes_that_only_look_like_an_image_are_refused() {
        assert!(probe(b"\x89PNG\r\n\x1a\nnot really", FileType::Png).is_err());
    }
}
