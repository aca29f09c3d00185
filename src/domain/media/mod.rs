//! Uploaded files judged by their content: what the first bytes say they are decides whether they
//! are accepted and how they are served, never the name or type the browser claimed.

pub mod animation;
pub mod iso;
pub mod range;
mod refusal;

use super::secrets;
use iso::IsoKind;
pub use refusal::{MAX_PIXELS, Refusal, Unsupported, check_pixels};

/// Widths of the resized copies made of an image, when it is wider than each.
pub const VARIANT_WIDTHS: [u32; 3] = [480, 960, 1600];
pub const ORIGINAL_NAME_MAX: usize = 200;
pub const ALT_MAX: usize = 300;

/// An accepted kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Pdf,
    Mp3,
    /// MPEG-4 audio (an `ftyp` box with the `M4A ` brand).
    M4a,
    Mp4,
    Ogg,
    Zip,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
            FileType::Mp3 => "audio/mpeg",
            FileType::M4a => "audio/mp4",
            FileType::Mp4 => "video/mp4",
            FileType::Ogg => "audio/ogg",
            FileType::Zip => "application/zip",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
            FileType::Mp3 => "mp3",
            FileType::M4a => "m4a",
            FileType::Mp4 => "mp4",
            FileType::Ogg => "ogg",
            FileType::Zip => "zip",
        }
    }

    /// Images are shown inline and get resized copies; everything else is a download.
    pub fn is_image(self) -> bool {
        matches!(self, FileType::Jpeg | FileType::Png | FileType::Gif | FileType::Webp)
    }

    /// The type whose [`FileType::extension`] is `ext`.
    pub fn from_extension(ext: &str) -> Option<FileType> {
        ALL.into_iter().find(|t| t.extension() == ext)
    }
}

const ALL: [FileType; 10] = [
    FileType::Jpeg,
    FileType::Png,
    FileType::Gif,
    FileType::Webp,
    FileType::Pdf,
    FileType::Mp3,
    FileType::M4a,
    FileType::Mp4,
    FileType::Ogg,
    FileType::Zip,
];

/// What the first bytes of `head` show the file to be.
pub fn sniff(head: &[u8]) -> Result<FileType, Refusal> {
    if head.is_empty() {
        return Err(Refusal::Empty);
    }
    let starts = |magic: &[u8]| head.starts_with(magic);
    let kind = if starts(b"\xFF\xD8\xFF") {
        FileType::Jpeg
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        FileType::Png
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        FileType::Gif
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        FileType::Webp
    } else if starts(b"%PDF-") {
        FileType::Pdf
    } else if starts(b"ID3") || (head.len() > 1 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        FileType::Mp3
    } else if head.get(4..8) == Some(b"ftyp") {
        match iso::kind(head) {
            Some(IsoKind::Mp4) => FileType::Mp4,
            Some(IsoKind::M4a) => FileType::M4a,
            Some(IsoKind::Heif) => return Err(Refusal::Unsupported(Unsupported::Heic)),
            Some(IsoKind::Avif) => return Err(Refusal::Unsupported(Unsupported::Avif)),
            Some(IsoKind::QuickTime) => return Err(Refusal::Unsupported(Unsupported::QuickTime)),
            Some(IsoKind::ThreeGp) => return Err(Refusal::Unsupported(Unsupported::ThreeGp)),
            None => return Err(Refusal::Unknown),
        }
    } else if starts(b"OggS") {
        FileType::Ogg
    } else if starts(b"PK\x03\x04") {
        FileType::Zip
    } else if looks_like_svg(head) {
        return Err(Refusal::Svg);
    } else {
        return Err(Refusal::Unknown);
    };
    Ok(kind)
}

fn looks_like_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(1024)]).to_ascii_lowercase();
    text.contains("<svg") || text.trim_start_matches('\u{feff}').trim_start().starts_with("<?xml")
}

/// Checks an upload of `size` bytes beginning with `head` against `limit`.
pub fn check_upload(head: &[u8], size: u64, limit: u64) -> Result<FileType, Refusal> {
    if size == 0 {
        return Err(Refusal::Empty);
    }
    if size > limit {
        return Err(Refusal::TooLarge { limit });
    }
    sniff(head)
}

/// Marks the stored names of images that move. Post bodies are rendered from Markdown, which
/// knows a library image only by its address, and a moving image must get no `srcset` of still
/// copies; a name never changes once served, and neither does whether its image moves.
const MOVING: &str = "-animated";

/// A fresh, unguessable name to store a file under: 20 random hex digits, [`MOVING`] for an
/// image that moves, and the extension of its real type. Nothing of the uploaded name reaches
/// a path.
pub fn stored_name(kind: FileType, moving: bool) -> String {
    let bytes: [u8; 10] = secrets::random_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mark = if moving { MOVING } else { "" };
    format!("{hex}{mark}.{}", kind.extension())
}

/// What a name made by [`stored_name`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredName {
    pub kind: FileType,
    pub moving: bool,
}

impl StoredName {
    /// `None` unless `name` could have come from [`stored_name`] (so it is safe to join to a
    /// directory).
    pub fn parse(name: &str) -> Option<StoredName> {
        let (stem, ext) = name.split_once('.')?;
        let (hex, moving) = match stem.strip_suffix(MOVING) {
            Some(hex) => (hex, true),
            None => (stem, false),
        };
        let hex_ok = hex.len() == 20 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        let kind = FileType::from_extension(ext)?;
        (hex_ok && (!moving || kind.is_image())).then_some(StoredName { kind, moving })
    }

    /// Whether the file has resized copies worth listing in a `srcset`: a still image. (Names
    /// from before moving images were marked may still name one; its copies were removed, and
    /// every width falls back to the original.)
    pub fn has_copies(self) -> bool {
        self.kind.is_image() && !self.moving
    }
}

/// Whether `name` could have come from [`stored_name`].
pub fn is_stored_name(name: &str) -> bool {
    StoredName::parse(name).is_some()
}

/// The uploaded name, kept for people to read: the last path segment, without control
/// characters or text-direction controls (which can make `photo\u{202e}gpj.exe` show as
/// `photoexe.jpg`), at most [`ORIGINAL_NAME_MAX`] characters.
pub fn display_name(uploaded: &str) -> String {
    let last = uploaded.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !crate::domain::validation::is_bidi_control(*c))
        .take(ORIGINAL_NAME_MAX)
        .collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() { "file".to_owned() } else { clean }
}

/// The widths of resized copies worth making of an image `width` pixels wide.
pub fn variant_widths(width: u32) -> Vec<u32> {
    VARIANT_WIDTHS.into_iter().filter(|w| *w < width).collect()
}

/// "1.5 MB".
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{:.1} MB", b / KB / KB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_first_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Ok(FileType::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nIHDR"), Ok(FileType::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Ok(FileType::Webp));
        assert_eq!(sniff(b"%PDF-1.7"), Ok(FileType::Pdf));
        assert_eq!(sniff(b"MZ\x90\0 an executable"), Err(Refusal::Unknown));
        assert_eq!(sniff(b"<html><script>"), Err(Refusal::Unknown));
        assert_eq!(sniff(b"  <?xml version=\"1.0\"?><svg onload=alert(1)>"), Err(Refusal::Svg));
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>"), Err(Refusal::Svg));
        assert_eq!(sniff(b""), Err(Refusal::Empty));
    }

    #[test]
    fn size_is_checked_before_content() {
        assert_eq!(check_upload(b"%PDF-", 0, 10), Err(Refusal::Empty));
        assert_eq!(check_upload(b"%PDF-", 11, 10), Err(Refusal::TooLarge { limit: 10 }));
        assert_eq!(check_upload(b"%PDF-", 10, 10), Ok(FileType::Pdf));
    }

    #[test]
    fn uploaded_names_never_become_paths() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("C:\\Users\\x\\..\\photo.jpg"), "photo.jpg");
        assert_eq!(display_name("..."), "file");
        assert_eq!(display_name(".htaccess"), "htaccess");
        let name = stored_name(FileType::Png, false);
        assert!(is_stored_name(&name), "{name}");
        assert!(!is_stored_name("../0123456789abcdef0123.png"));
        assert!(!is_stored_name("0123456789abcdef0123.svg"));
    }

    #[test]
    fn names_say_whether_an_image_moves() {
        let moving = stored_name(FileType::Webp, true);
        assert!(moving.ends_with("-animated.webp"), "{moving}");
        assert_eq!(StoredName::parse(&moving), Some(StoredName { kind: FileType::Webp, moving: true }));
        assert!(!StoredName::parse(&moving).is_some_and(StoredName::has_copies));
        let still = stored_name(FileType::Gif, false);
        assert!(StoredName::parse(&still).is_some_and(StoredName::has_copies));
        assert!(!StoredName::parse(&stored_name(FileType::Pdf, false)).is_some_and(StoredName::has_copies));
        assert!(!is_stored_name("0123456789abcdef0123-animated.pdf"));
        assert!(!is_stored_name("0123456789abcdef012-animated.gif"));
    }

    #[test]
    fn iso_media_files_are_known_by_their_brand() {
        let ftyp = |brands: &[u8]| [&[0, 0, 0, 24][..], b"ftyp", brands].concat();
        assert_eq!(sniff(&ftyp(b"isom\0\0\x02\0isomavc1")), Ok(FileType::Mp4));
        assert_eq!(sniff(&ftyp(b"M4A \0\0\0\0M4A isom")), Ok(FileType::M4a));
        assert_eq!(sniff(&ftyp(b"heic\0\0\0\0mif1heic")), Err(Refusal::Unsupported(Unsupported::Heic)));
        assert_eq!(sniff(&ftyp(b"avif\0\0\0\0avifmif1")), Err(Refusal::Unsupported(Unsupported::Avif)));
        assert_eq!(sniff(&ftyp(b"qt  \0\0\0\0qt  qt  ")), Err(Refusal::Unsupported(Unsupported::QuickTime)));
        assert_eq!(sniff(&ftyp(b"what\0\0\0\0ever")), Err(Refusal::Unknown));
    }

    #[test]
    fn only_smaller_variants_are_made() {
        assert_eq!(variant_widths(1000), [480, 960]);
        assert!(variant_widths(480).is_empty());
    }
}
