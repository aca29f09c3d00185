//! Removing what a camera writes into a JPEG besides the picture: EXIF (with its GPS position,
//! camera serial and time), XMP, IPTC, comments, and images trailing the file. Lossless: the
//! compressed picture and what renders it (tables, colour profile, Adobe transform) are kept.

/// The JPEG in `bytes` without its metadata, keeping only the EXIF orientation (1–8) when it is
/// not 1, so browsers still turn the picture upright. A file cut short in its picture data is
/// ended properly. `None` when the bytes do not parse as JPEG.
pub fn strip_metadata(bytes: &[u8], orientation: u8) -> Option<Vec<u8>> {
    let rest = bytes.strip_prefix(&[0xFF, 0xD8])?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut at = 0;
    let mut wrote_orientation = orientation == 1;
    // Whether the last segment was a start of scan, which compressed picture data follows.
    let mut in_scan = false;
    loop {
        if in_scan {
            // Entropy-coded data runs to the next marker that is neither stuffing nor a restart.
            // A file cut short (cameras write some) ends here, and gets its end marker back.
            let start = at;
            let scan_end = loop {
                let Some(ff) = rest.get(at..).and_then(|r| r.iter().position(|&b| b == 0xFF)).map(|p| at + p)
                else {
                    break None;
                };
                match rest.get(ff + 1) {
                    None => break None,
                    Some(0x00 | 0xD0..=0xD7) => at = ff + 2,
                    // A fill byte: the marker, if any, follows.
                    Some(0xFF) => at = ff + 1,
                    Some(_) => break Some(ff),
                }
            };
            let Some(end) = scan_end else {
                out.extend_from_slice(&rest[start..]);
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Some(out);
            };
            out.extend_from_slice(&rest[start..end]);
            at = end;
        }
        // Fill bytes (0xFF repeated) may precede a marker.
        while rest.get(at) == Some(&0xFF) && rest.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if rest.get(at) != Some(&0xFF) {
            return None;
        }
        let marker = *rest.get(at + 1)?;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Some(out);
            }
            // Markers that stand alone, without a length.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                at += 2;
                continue;
            }
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([*rest.get(at + 2)?, *rest.get(at + 3)?]));
        let segment = rest.get(at..at + 2 + length).filter(|_| length >= 2)?;
        let payload = &segment[4..];
        if !wrote_orientation && marker != 0xE0 {
            out.extend_from_slice(&orientation_segment(orientation));
            wrote_orientation = true;
        }
        if keep(marker, payload) {
            out.extend_from_slice(segment);
        }
        at += segment.len();
        in_scan = marker == 0xDA;
    }
}

/// Whether a segment is part of the picture rather than metadata about it.
fn keep(marker: u8, payload: &[u8]) -> bool {
    match marker {
        // JFXX holds a thumbnail, perhaps of the picture before it was cropped.
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        0xEE => payload.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true,
    }
}

/// An APP1 segment holding a one-entry EXIF: the orientation tag (0x0112) and nothing else.
fn orientation_segment(orientation: u8) -> Vec<u8> {
    let mut s = vec![0xFF, 0xE1, 0x00, 0x22];
    s.extend_from_slice(b"Exif\0\0");
    s.extend(orientation_exif(orientation));
    s
}

/// EXIF data (a big-endian TIFF header and one IFD, 26 bytes) holding the orientation tag
/// (0x0112) alone, as PNG's `eXIf` and WebP's `EXIF` chunks hold it and JPEG's APP1 after
/// `Exif\0\0`.
pub fn orientation_exif(orientation: u8) -> Vec<u8> {
    let mut s = b"MM\0\x2a\0\0\0\x08".to_vec();
    s.extend_from_slice(&[0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
    s.extend_from_slice(&[0x00, orientation, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    s
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::codecs::jpeg::JpegEncoder;
    use image::{ImageDecoder, RgbImage};

    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(payload.len() + 2).expect("short").to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// A noisy picture (so the scan has stuffed 0xFF bytes) with every kind of metadata added.
    fn camera_jpeg() -> (Vec<u8>, RgbImage) {
        let picture =
            RgbImage::from_fn(64, 32, |x, y| image::Rgb([(x * 37 + y * 91) as u8, ((x ^ y) * 8) as u8, 255]));
        let mut plain = Vec::new();
        JpegEncoder::new_with_quality(&mut plain, 95).encode_image(&picture).expect("encodes");
        let decoded = image::load_from_memory(&plain).expect("decodes").to_rgb8();
        let mut tagged = plain[..2].to_vec();
        tagged.extend(segment(0xE1, b"Exif\0\0MM\0\x2a GPS-SECRET serial 1234"));
        tagged.extend(segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:secret/>"));
        tagged.extend(segment(0xED, b"Photoshop 3.0\0 iptc secret"));
        tagged.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01 profile bytes"));
        tagged.extend(segment(0xE2, b"MPF\0 secret offsets"));
        tagged.extend(segment(0xFE, b"a secret comment"));
        tagged.extend_from_slice(&plain[2..]);
        tagged.extend_from_slice(b"trailing secret image");
        (tagged, decoded)
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn metadata_goes_and_the_picture_stays_exactly() {
        let (tagged, picture) = camera_jpeg();
        let clean = strip_metadata(&tagged, 1).expect("parses");
        for secret in [&b"SECRET"[..], b"secret", b"Exif", b"MPF"] {
            assert!(!contains(&clean, secret), "{} left in", String::from_utf8_lossy(secret));
        }
        assert!(contains(&clean, b"ICC_PROFILE\0"), "the colour profile is part of the picture");
        assert!(clean.ends_with(&[0xFF, 0xD9]));
        let decoded = image::load_from_memory(&clean).expect("still a JPEG").to_rgb8();
        assert_eq!(decoded, picture, "not re-encoded: the same pixels");
    }

    #[test]
    fn the_orientation_is_kept_alone() {
        let (tagged, _) = camera_jpeg();
        let clean = strip_metadata(&tagged, 6).expect("parses");
        assert!(!contains(&clean, b"SECRET"));
        let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&clean)).expect("decoder");
        assert_eq!(decoder.orientation().expect("readable").to_exif(), 6);
    }

    #[test]
    fn files_cut_short_fill_bytes_and_lone_markers_are_handled() {
        let (tagged, _) = camera_jpeg();
        let body_end = tagged.len() - b"trailing secret image".len() - 2;
        let cut = &tagged[..body_end - 10];
        let clean = strip_metadata(cut, 1).expect("a truncated scan still parses");
        assert!(clean.ends_with(&[0xFF, 0xD9]) && !contains(&clean, b"secret"));
        assert!(image::load_from_memory(&clean).is_ok(), "ended properly, it decodes");

        // Fill bytes before the end marker, and a restart marker standing between segments.
        let mut padded = tagged[..body_end].to_vec();
        padded.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xD9]);
        let clean = strip_metadata(&padded, 1).expect("parses");
        assert!(clean.ends_with(&[0xFF, 0xD9]));
        let lone = [0xFF, 0xD8, 0xFF, 0xD0, 0xFF, 0xFE, 0x00, 0x04, b'h', b'i', 0xFF, 0xD9];
        assert_eq!(strip_metadata(&lone, 1), Some(vec![0xFF, 0xD8, 0xFF, 0xD0, 0xFF, 0xD9]));
    }

    #[test]
    fn what_is_not_a_jpeg_is_left_alone() {
        assert_eq!(strip_metadata(b"GIF89a", 1), None);
        assert_eq!(
            strip_metadata(&[0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, 1, 2], 1),
            None,
            "a segment past the end"
        );
        assert_eq!(strip_metadata(&[0xFF, 0xD8, 0x12], 1), None);
    }
}
