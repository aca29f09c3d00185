//! Removing what a WebP carries besides the picture: its `EXIF` chunk (with a phone's GPS
//! position) and its `XMP ` chunk, and bytes trailing the RIFF container. Lossless: every other
//! chunk is kept byte for byte and in order; the `VP8X` flags stop promising what is gone and the
//! RIFF size is fixed (RFC 9649, sections 2.5 and 2.7).

/// `VP8X` flag bits (RFC 9649, section 2.7): EXIF and XMP metadata present.
const EXIF_FLAG: u8 = 0x08;
const XMP_FLAG: u8 = 0x04;

/// The WebP in `bytes` without its metadata, keeping only the EXIF orientation (1–8) when it is
/// not 1 and the file is extended (`VP8X`, which alone may announce EXIF), as an `EXIF` chunk of
/// that tag alone where the old one stood. `None` when the bytes do not parse as a RIFF WebP.
pub fn strip_metadata(bytes: &[u8], orientation: u8) -> Option<Vec<u8>> {
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    let riff_size = usize::try_from(u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?)).ok()?;
    let body = bytes.get(12..riff_size.checked_add(8)?)?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    // Where the VP8X flags byte is in `out`, and whether an EXIF chunk was written.
    let mut flags_at = None;
    let mut kept_exif = false;
    let mut at = 0;
    while at < body.len() {
        let header = body.get(at..at + 8)?;
        let size = usize::try_from(u32::from_le_bytes(header[4..8].try_into().ok()?)).ok()?;
        let data = body.get(at + 8..(at + 8).checked_add(size)?)?;
        // Odd-sized chunks are followed by a padding byte; a writer may leave the last one out.
        let padded = size + (size & 1);
        match &header[..4] {
            b"EXIF" => {
                if orientation != 1 && !kept_exif && flags_at.is_some() {
                    push_chunk(&mut out, b"EXIF", &super::jpeg::orientation_exif(orientation));
                    kept_exif = true;
                }
            }
            b"XMP " => {}
            kind => {
                if kind == b"VP8X" && !data.is_empty() {
                    flags_at = Some(out.len() + 8);
                }
                push_chunk(&mut out, header[..4].try_into().ok()?, data);
            }
        }
        at += 8 + padded;
    }
    if let Some(flags) = flags_at.and_then(|i| out.get_mut(i)) {
        *flags &= !XMP_FLAG;
        if !kept_exif {
            *flags &= !EXIF_FLAG;
        }
    }
    let size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Some(out)
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(kind);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webp(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (kind, data) in chunks {
            push_chunk(&mut body, kind, data);
        }
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&u32::try_from(body.len() + 4).expect("small").to_le_bytes());
        out.extend_from_slice(b"WEBP");
        out.extend(body);
        out
    }

    const VP8X: [u8; 10] = [0x3E, 0, 0, 0, 9, 0, 0, 9, 0, 0];

    #[test]
    fn exif_and_xmp_go_their_flags_are_cleared_and_the_size_fixed() {
        let mut tagged = webp(&[
            (b"VP8X", &VP8X),
            (b"ICCP", b"profile"),
            (b"ANIM", b"loop"),
            (b"ANMF", b"frame"),
            (b"EXIF", b"MM GPS secret"),
            (b"XMP ", b"<secret/>"),
        ]);
        tagged.extend_from_slice(b"trailing secret");
        let mut flags = VP8X;
        flags[0] = 0x32;
        let expected =
            webp(&[(b"VP8X", &flags), (b"ICCP", b"profile"), (b"ANIM", b"loop"), (b"ANMF", b"frame")]);
        assert_eq!(strip_metadata(&tagged, 1), Some(expected));
    }

    #[test]
    fn the_orientation_is_kept_alone_in_an_extended_file() {
        let tagged = webp(&[(b"VP8X", &VP8X), (b"VP8L", b"pixels"), (b"EXIF", b"MM GPS secret")]);
        let exif = super::super::jpeg::orientation_exif(8);
        let mut flags = VP8X;
        flags[0] = 0x3A;
        let expected = webp(&[(b"VP8X", &flags), (b"VP8L", b"pixels"), (b"EXIF", &exif)]);
        assert_eq!(strip_metadata(&tagged, 8), Some(expected));
        let simple = webp(&[(b"VP8L", b"pixels")]);
        assert_eq!(strip_metadata(&simple, 8), Some(simple.clone()), "nothing to announce it with");
    }

    #[test]
    fn what_is_not_a_whole_webp_is_left_alone() {
        assert_eq!(strip_metadata(b"GIF89a", 1), None);
        let mut long = webp(&[(b"VP8L", b"pixels")]);
        long[16] = 0xFF;
        assert_eq!(strip_metadata(&long, 1), None, "a chunk past the end");
        let mut short = webp(&[(b"VP8L", b"pixels")]);
        short[4] = 0xFF;
        assert_eq!(strip_metadata(&short, 1), None, "a RIFF size past the end");
    }
}
