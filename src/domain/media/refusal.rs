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
        }
    }
}
