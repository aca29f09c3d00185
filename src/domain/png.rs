//! Removing what a PNG carries besides the picture: EXIF (`eXIf`, with a phone's GPS position),
//! text (`tEXt`, `zTXt`, `iTXt`, where XMP lives too), the time it was saved (`tIME`), and bytes
//! trailing its end. Lossless: every other chunk (the picture, palette, transparency, colour
//! space, animation) is kept byte for byte and in order.

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Chunk types that describe the picture rather than make it (PNG specification, 3rd edition,
/// sections 11.3.3 and 11.3.6).
const METADATA: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

/// The PNG in `bytes` without its metadata, keeping only the EXIF orientation (1–8) when it is
/// not 1, as an `eXIf` chunk of that tag alone where the old one stood. Chunk CRCs are copied,
/// not checked (the decoder checks them). `None` when the bytes do not parse as PNG chunks
/// ending with `IEND`.
pub fn strip_metadata(bytes: &[u8], orientation: u8) -> Option<Vec<u8>> {
    let mut rest = bytes.strip_prefix(SIGNATURE)?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let mut wrote_orientation = orientation == 1;
    loop {
        let length = usize::try_from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)).ok()?;
        let chunk = rest.get(..length.checked_add(12)?)?;
        let kind = &chunk[4..8];
        if kind == b"eXIf" && !wrote_orientation {
            out.extend(chunk_of(b"eXIf", &super::jpeg::orientation_exif(orientation)));
            wrote_orientation = true;
        } else if !METADATA.iter().any(|m| m.as_slice() == kind) {
            out.extend_from_slice(chunk);
        }
        rest = &rest[chunk.len()..];
        if kind == b"IEND" {
            return Some(out);
        }
    }
}

/// A chunk of `kind` holding `data`, with its CRC-32 over type and data (section 5.3).
fn chunk_of(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[4..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        for (kind, data) in chunks {
            out.extend(chunk_of(kind, data));
        }
        out
    }

    #[test]
    fn metadata_chunks_go_and_the_rest_stays_in_order() {
        let picture: [(&[u8; 4], &[u8]); 3] =
            [(b"IHDR", b"13 bytes here"), (b"IDAT", b"pixels"), (b"IEND", b"")];
        let tagged = png_with(&[
            picture[0],
            (b"eXIf", b"MM GPS"),
            (b"tEXt", b"Comment\0secret"),
            (b"zTXt", b"Author\0\0compressed secret"),
            (b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0secret"),
            (b"tIME", b"\x07\xea\x0b\x1e\x0c\0\0"),
            (b"acTL", b"animation"),
            picture[1],
            picture[2],
        ]);
        let mut trailing = tagged.clone();
        trailing.extend_from_slice(b"trailing secret");
        let expected = png_with(&[picture[0], (b"acTL", b"animation"), picture[1], picture[2]]);
        assert_eq!(strip_metadata(&trailing, 1), Some(expected));
    }

    #[test]
    fn the_orientation_is_kept_alone_where_the_exif_was() {
        let tagged = png_with(&[(b"IHDR", b"header"), (b"eXIf", b"MM GPS secret"), (b"IEND", b"")]);
        let clean = strip_metadata(&tagged, 6).expect("parses");
        let exif = super::super::jpeg::orientation_exif(6);
        assert_eq!(clean, png_with(&[(b"IHDR", b"header"), (b"eXIf", &exif), (b"IEND", b"")]));
    }

    #[test]
    fn what_is_not_a_whole_png_is_left_alone() {
        assert_eq!(strip_metadata(b"GIF89a", 1), None);
        let cut = png_with(&[(b"IHDR", b"header"), (b"IDAT", b"pixels")]);
        assert_eq!(strip_metadata(&cut, 1), None, "no IEND");
        let mut long = png_with(&[(b"IHDR", b"header")]);
        long.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T']);
        assert_eq!(strip_metadata(&long, 1), None, "a chunk past the end");
    }
}
