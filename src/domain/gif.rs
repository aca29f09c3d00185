//! Removing what a GIF carries besides the picture: comment extensions and application
//! extensions other than those that make it play (XMP lives in one, as `XMP DataXMP`), and bytes
//! after its trailer. Lossless: the screen, colour tables, frames, their timing (graphic control)
//! and the loop count (`NETSCAPE2.0`, `ANIMEXTS1.0`) are kept byte for byte and in order.

/// Application extensions that change how the picture plays or looks, kept: the loop count
/// (Netscape's, and AnimExts' copy of it) and an ICC colour profile.
const KEPT_APPLICATIONS: [&[u8; 11]; 3] = [b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];

/// The GIF in `bytes` without its metadata (GIF89a specification, sections 17–27). A file that
/// stops between blocks, as some writers leave it, gets its trailer. `None` when the bytes do
/// not parse as GIF blocks.
pub fn strip_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    if !(bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        return None;
    }
    // Header and logical screen descriptor, then the global colour table.
    let mut at = 13 + color_table(*bytes.get(10)?);
    let mut out = bytes.get(..at)?.to_vec();
    loop {
        match bytes.get(at) {
            None | Some(0x3B) => {
                out.push(0x3B);
                return Some(out);
            }
            Some(0x21) => {
                let label = *bytes.get(at + 1)?;
                let end = sub_blocks_end(bytes, at + 2)?;
                let keep = match label {
                    0xFE => false,
                    // The first sub-block holds the application's name and code (11 bytes).
                    0xFF => bytes
                        .get(at + 3..at + 14)
                        .is_some_and(|id| KEPT_APPLICATIONS.iter().any(|k| k.as_slice() == id)),
                    _ => true,
                };
                if keep {
                    out.extend_from_slice(&bytes[at..end]);
                }
                at = end;
            }
            Some(0x2C) => {
                // Image descriptor (10 bytes), local colour table, LZW code size, data sub-blocks.
                let table = color_table(*bytes.get(at + 9)?);
                let end = sub_blocks_end(bytes, at + 10 + table + 1)?;
                out.extend_from_slice(&bytes[at..end]);
                at = end;
            }
            Some(_) => return None,
        }
    }
}

/// Bytes of the colour table a packed field announces.
fn color_table(packed: u8) -> usize {
    if packed & 0x80 == 0 { 0 } else { 3 << ((packed & 0x07) + 1) }
}

/// Where the data sub-blocks starting at `at` end, after their zero-length terminator.
fn sub_blocks_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let size = usize::from(*bytes.get(at)?);
        at += 1 + size;
        if size == 0 {
            return Some(at);
        }
        bytes.get(at - 1)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GIF89a, a 1×1 screen with a two-colour global table, then `blocks`.
    fn gif(blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00".to_vec();
        for block in blocks {
            out.extend_from_slice(block);
        }
        out
    }

    const LOOP: &[u8] = b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00";
    const TIMING: &[u8] = b"\x21\xF9\x04\x00\x0a\x00\x00\x00";
    const FRAME: &[u8] = b"\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00";

    #[test]
    fn comments_and_unknown_applications_go_and_the_frames_stay() {
        let tagged = gif(&[
            b"\x21\xFE\x06secret\x03GPS\x00",
            LOOP,
            b"\x21\xFF\x0BXMP DataXMP\x06secret\x00",
            TIMING,
            FRAME,
            TIMING,
            FRAME,
            b"\x3Btrailing secret",
        ]);
        assert_eq!(strip_metadata(&tagged), Some(gif(&[LOOP, TIMING, FRAME, TIMING, FRAME, b"\x3B"])));
    }

    #[test]
    fn a_file_ending_between_blocks_gets_its_trailer() {
        assert_eq!(strip_metadata(&gif(&[FRAME])), Some(gif(&[FRAME, b"\x3B"])));
    }

    #[test]
    fn what_is_not_a_whole_gif_is_left_alone() {
        assert_eq!(strip_metadata(b"\x89PNG"), None);
        assert_eq!(strip_metadata(&gif(&[&FRAME[..FRAME.len() - 2]])), None, "cut inside a frame");
        assert_eq!(strip_metadata(&gif(&[b"\x21\xFE\x09short"])), None, "a sub-block past the end");
        assert_eq!(strip_metadata(&gif(&[b"\x99"])), None, "an unknown block");
    }
}
