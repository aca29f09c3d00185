//! Whether an image moves, read from its content: any GIF, PNG or WebP may hold one frame or
//! many, so the format alone says nothing. Only the structure is walked (block and chunk
//! headers); no pixel is decoded.

use super::FileType;

/// Whether `bytes`, an image of type `kind`, holds more than one frame: a GIF with two image
/// descriptors, a PNG with an `acTL` chunk before its first `IDAT` announcing two frames or
/// more (APNG), a WebP with two `ANMF` frames or more (its `VP8X` header flags the animation).
/// JPEG never moves. A file cut short counts the frames it has.
pub fn is_animated(bytes: &[u8], kind: FileType) -> bool {
    match kind {
        FileType::Gif => gif_frames(bytes) > 1,
        FileType::Png => apng_frames(bytes) > 1,
        FileType::Webp => webp_frames(bytes) > 1,
        _ => false,
    }
}

/// Image descriptors in a GIF (GIF89a specification, sections 18–27), counting up to 2.
fn gif_frames(bytes: &[u8]) -> u32 {
    const HEADER: usize = 6 + 7;
    let Some(&packed) = bytes.get(10) else { return 0 };
    let mut at = HEADER + colour_table(packed);
    let mut frames = 0;
    while frames < 2 {
        match bytes.get(at) {
            // An extension: its label, then data sub-blocks.
            Some(0x21) => at = skip_sub_blocks(bytes, at + 2),
            // An image: its descriptor, local colour table, LZW code size, then data sub-blocks.
            Some(0x2C) => {
                frames += 1;
                let Some(&packed) = bytes.get(at + 9) else { break };
                at = skip_sub_blocks(bytes, at + 10 + colour_table(packed) + 1);
            }
            _ => break,
        }
    }
    frames
}

/// Bytes of the colour table a GIF's packed field announces.
fn colour_table(packed: u8) -> usize {
    if packed & 0x80 == 0 { 0 } else { 3 << ((packed & 0x07) + 1) }
}

/// The position after the sub-blocks starting at `at` (each a length byte, then that many bytes;
/// a zero length ends them), or past the end when they are cut short.
fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> usize {
    loop {
        match bytes.get(at) {
            Some(0) => return at + 1,
            Some(&len) => at += 1 + usize::from(len),
            None => return usize::MAX,
        }
    }
}

/// The frame count an APNG's `acTL` chunk announces (APNG specification, "Structure": it must
/// come before the first `IDAT`); 1 for a PNG without one.
fn apng_frames(bytes: &[u8]) -> u32 {
    let mut at = 8;
    while let (Some(len), Some(kind)) = (be32(bytes, at), bytes.get(at + 4..at + 8)) {
        match kind {
            b"acTL" => return be32(bytes, at + 8).unwrap_or(1),
            b"IDAT" | b"IEND" => break,
            _ => at = at.saturating_add(12).saturating_add(len as usize),
        }
    }
    1
}

/// `ANMF` chunks in a WebP (WebP container specification, "Extended file format"), counting
/// up to 2; only a `VP8X` file with its animation flag may hold them.
fn webp_frames(bytes: &[u8]) -> u32 {
    const ANIMATION_FLAG: u8 = 0x02;
    if bytes.get(12..16) != Some(b"VP8X") || bytes.get(20).is_none_or(|f| f & ANIMATION_FLAG == 0) {
        return 1;
    }
    let mut at = 12;
    let mut frames = 0;
    while frames < 2 {
        let (Some(kind), Some(len)) = (bytes.get(at..at + 4), le32(bytes, at + 4)) else { break };
        if kind == b"ANMF" {
            frames += 1;
        }
        // Chunks are padded to an even length.
        at = at.saturating_add(8).saturating_add(len as usize + (len as usize & 1));
    }
    frames
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at.checked_add(4)?).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at.checked_add(4)?).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gif(frames: usize) -> Vec<u8> {
        // A 1×1 GIF89a with a 2-colour global table; each frame a graphic control extension
        // and an image with a one-byte LZW stream.
        let mut out = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff".to_vec();
        for _ in 0..frames {
            out.extend_from_slice(b"\x21\xf9\x04\0\x0a\0\0\0");
            out.extend_from_slice(b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0");
        }
        out.push(0x3B);
        out
    }

    #[test]
    fn gifs_move_when_they_hold_two_images() {
        assert!(!is_animated(&gif(1), FileType::Gif));
        assert!(is_animated(&gif(2), FileType::Gif));
        assert!(!is_animated(&gif(2)[..30], FileType::Gif), "cut short after one frame");
        assert!(!is_animated(b"GIF89a", FileType::Gif));
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len()).expect("small").to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&[0; 4]);
        out
    }

    #[test]
    fn pngs_move_when_an_actl_before_the_pixels_says_so() {
        let png = |extra: &[Vec<u8>]| {
            let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
            out.extend(chunk(b"IHDR", &[0; 13]));
            out.extend(extra.concat());
            out.extend(chunk(b"IDAT", &[0; 4]));
            out.extend(chunk(b"IEND", &[]));
            out
        };
        let actl = |frames: u32| chunk(b"acTL", &[frames.to_be_bytes(), [0; 4]].concat());
        assert!(!is_animated(&png(&[]), FileType::Png));
        assert!(is_animated(&png(&[chunk(b"gAMA", &[0; 4]), actl(3)]), FileType::Png));
        assert!(!is_animated(&png(&[actl(1)]), FileType::Png), "one frame is a still");
        let mut late = png(&[]);
        late.truncate(late.len() - 12);
        late.extend(actl(3));
        assert!(!is_animated(&late, FileType::Png), "an acTL after IDAT is ignored");
    }

    #[test]
    fn webps_move_when_flagged_and_holding_two_frames() {
        let webp = |flags: u8, frames: usize| {
            let mut body = b"VP8X\x0a\0\0\0".to_vec();
            body.extend_from_slice(&[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            body.extend_from_slice(b"ANIM\x06\0\0\0\0\0\0\0\0\0");
            for _ in 0..frames {
                body.extend_from_slice(b"ANMF\x03\0\0\0abc\0");
            }
            let mut out = b"RIFF".to_vec();
            out.extend_from_slice(&u32::try_from(body.len() + 4).expect("small").to_le_bytes());
            out.extend_from_slice(b"WEBP");
            out.extend(body);
            out
        };
        assert!(is_animated(&webp(0x02, 2), FileType::Webp));
        assert!(!is_animated(&webp(0x02, 1), FileType::Webp));
        assert!(!is_animated(&webp(0x00, 2), FileType::Webp), "no animation flag");
        assert!(!is_animated(b"RIFF\0\0\0\0WEBPVP8L", FileType::Webp));
        assert!(!is_animated(b"\xff\xd8\xff", FileType::Jpeg));
    }
}
