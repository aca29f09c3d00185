//! Why an upload is refused, in words a writer can act on.

use super::human_size;

/// Why an upload was refused; the message is shown next to the file field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLarge {
        limit: u64,
    },
    Svg,
    Unknown,
    /// A kind of file recognised, but not one Folio can use; the message says what to upload.
    Unsupported(Unsupported),
    /// An image with more pixels than [`MAX_PIXELS`], refused before it is decoded.
    TooManyPixels {
        width: u32,
        height: u32,
    },
    /// An image whose resizing would need more memory than the server sets aside for all
    /// image work at once (`image_memory`).
    TooLargeToResize {
        width: u32,
        height: u32,
    },
    /// Other uploads used the image memory for longer than an upload may wait (`image_wait`).
    Busy,
}

/// Kinds of file that are recognised and refused, each with its own advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {
    /// HEIF and HEIC photos. No decoder Folio would trust with uploads exists on crates.io yet:
    /// the pure-Rust ones are months old, and libheif would add a C library (and its HEVC
    /// decoder) to a one-binary server.
    Heic,
    /// AVIF images, for the same reason (image's `avif-native` needs the C library dav1d).
    Avif,
    QuickTime,
    ThreeGp,
}

/// Pillow's decompression-bomb threshold: it warns above 89,478,485 pixels (1 GiB / 4 bytes /
/// 3, `PIL.Image.MAX_IMAGE_PIXELS`) and refuses above twice that. Folio refuses above it, read
/// from the header before a pixel is decoded: an 89-megapixel RGB image already decodes to
/// 268 MB. A 12-megapixel phone photo is an eighth of it.
pub const MAX_PIXELS: u64 = 89_478_485;

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Empty => f.write_str("The file is empty."),
            Refusal::TooLarge { limit } => {
                write!(f, "The file is larger than the limit of {}.", human_size(*limit))
            }
            Refusal::Svg => f.write_str(
                "SVG files can carry scripts, so they are not accepted. Upload a PNG or WebP instead.",
            ),
            Refusal::Unknown => f.write_str(
                "This kind of file is not accepted. Upload JPEG, PNG, GIF or WebP images, or PDF, MP3, M4A, MP4, Ogg or ZIP files.",
            ),
            Refusal::Unsupported(Unsupported::Heic) => f.write_str(
                "HEIC photos (the iPhone’s default) cannot be used yet. Export the photo as JPEG and upload that; \
                 on an iPhone, Settings → Camera → Formats → Most Compatible makes the camera save JPEG.",
            ),
            Refusal::Unsupported(Unsupported::Avif) => f.write_str(
                "AVIF images cannot be used yet. Save the image as JPEG, PNG or WebP and upload that.",
            ),
            Refusal::Unsupported(Unsupported::QuickTime) => f.write_str(
                "QuickTime (.mov) videos are not accepted. Export the video as MP4 and upload that.",
            ),
            Refusal::Unsupported(Unsupported::ThreeGp) => {
                f.write_str("3GP videos are not accepted. Convert the video to MP4 and upload that.")
            }
            Refusal::TooManyPixels { width, height } => write!(
                f,
                "This image is {} × {} pixels ({} megapixels); images of up to {} megapixels are accepted. \
                 Scale it down and upload it again.",
                thousands(*width),
                thousands(*height),
                megapixels(*width, *height),
                MAX_PIXELS / 1_000_000,
            ),
            Refusal::TooLargeToResize { width, height } => write!(
                f,
                "This image is {} × {} pixels ({} megapixels), more than this server can resize. \
                 Scale it down and upload it again.",
                thousands(*width),
                thousands(*height),
                megapixels(*width, *height),
            ),
            Refusal::Busy => f.write_str(
                "The server is busy resizing other images, so nothing was uploaded. \
                 Choose the file again and upload it in a minute.",
            ),
        }
    }
}

/// Checks `width` × `height` against [`MAX_PIXELS`].
pub fn check_pixels(width: u32, height: u32) -> Result<(), Refusal> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        Err(Refusal::TooManyPixels { width, height })
    } else {
        Ok(())
    }
}

fn megapixels(width: u32, height: u32) -> u64 {
    (u64::from(width) * u64::from(height)).div_ceil(1_000_000)
}

/// "11,999".
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_cap_is_pillows() {
        assert_eq!(check_pixels(9_459, 9_459), Ok(()));
        assert_eq!(check_pixels(9_460, 9_460), Err(Refusal::TooManyPixels { width: 9_460, height: 9_460 }));
        let message = Refusal::TooManyPixels { width: 11_999, height: 11_999 }.to_string();
        assert!(message.contains("11,999 × 11,999 pixels (144 megapixels)"), "{message}");
        assert!(message.contains("up to 89 megapixels"), "{message}");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
