//! ISO base media files (ISO/IEC 14496-12): MP4 video, M4A audio, HEIF/HEIC and AVIF images,
//! 3GP and QuickTime all begin with the same `ftyp` box. Only its brands say which one a file
//! is, so the kind is read from them and never from the box alone.

/// What the brands of an `ftyp` box say the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsoKind {
    /// MP4 video (`isom`, `iso2`…, `mp41`, `mp42`, `avc1`, `M4V `, `dash`…).
    Mp4,
    /// MPEG-4 audio (`M4A `, `M4B `).
    M4a,
    /// HEIF images, HEIC among them (`heic`, `heix`, `mif1`, `msf1`…): what iPhones take.
    Heif,
    /// AVIF images (`avif`, `avis`).
    Avif,
    /// 3GPP and 3GPP2 video (`3gp4`…, `3g2a`…), from older phones.
    ThreeGp,
    /// QuickTime movies (`qt  `).
    QuickTime,
}

/// Whether a brand names its kind exactly, or only the family a more exact brand may narrow:
/// an AVIF file lists the generic HEIF brand `mif1`, and some list the ISO brand `iso8` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brand {
    Exact(IsoKind),
    Family(IsoKind),
}

/// Brands from the MP4 registration authority's list (mp4ra.org), the HEIF standard (ISO/IEC
/// 23008-12, annex B) and the AVIF specification (section 9).
fn brand(code: &[u8]) -> Option<Brand> {
    use Brand::{Exact, Family};
    Some(match code {
        b"avif" | b"avis" | b"avio" => Exact(IsoKind::Avif),
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => Exact(IsoKind::Heif),
        b"mif1" | b"mif2" | b"msf1" | b"miaf" => Family(IsoKind::Heif),
        b"M4A " | b"M4B " => Exact(IsoKind::M4a),
        b"M4V " | b"M4VH" | b"M4VP" | b"avc1" | b"mp71" | b"f4v " => Exact(IsoKind::Mp4),
        b"isom" | b"iso2" | b"iso3" | b"iso4" | b"iso5" | b"iso6" | b"iso7" | b"iso8" | b"iso9" | b"mp41"
        | b"mp42" | b"mmp4" | b"dash" | b"msdh" | b"msix" => Family(IsoKind::Mp4),
        [b'3', b'g', b'p' | b'2', _] => Exact(IsoKind::ThreeGp),
        b"qt  " => Exact(IsoKind::QuickTime),
        _ => return None,
    })
}

/// The kind of the ISO base media file beginning with `head`, from the brands of its leading
/// `ftyp` box: the first exact brand among the major and compatible ones decides, else the
/// first family brand. `None` when `head` does not begin with an `ftyp` box or no brand is known.
pub fn kind(head: &[u8]) -> Option<IsoKind> {
    if head.get(4..8) != Some(b"ftyp") {
        return None;
    }
    let declared = head.get(0..4).map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize);
    // The box holds the major brand (8..12), a minor version (12..16), then compatible brands.
    let end = declared.clamp(12, head.len().max(12)).min(head.len());
    let major = head.get(8..12)?;
    let compatible = head.get(16..end).unwrap_or_default().chunks_exact(4);
    let brands: Vec<Brand> = std::iter::once(major).chain(compatible).filter_map(brand).collect();
    let exact = brands.iter().find_map(|b| match b {
        Brand::Exact(kind) => Some(*kind),
        Brand::Family(_) => None,
    });
    exact.or_else(|| {
        brands.iter().find_map(|b| match b {
            Brand::Family(kind) => Some(*kind),
            Brand::Exact(_) => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut out = u32::try_from(size).expect("small").to_be_bytes().to_vec();
        out.extend_from_slice(b"ftyp");
        out.extend_from_slice(major);
        out.extend_from_slice(&[0, 0, 0, 0]);
        for brand in compatible {
            out.extend_from_slice(*brand);
        }
        out.extend_from_slice(b"\0\0\0\x08free");
        out
    }

    #[test]
    fn the_brands_decide() {
        assert_eq!(kind(&ftyp(b"heic", &[b"mif1", b"heic"])), Some(IsoKind::Heif));
        assert_eq!(kind(&ftyp(b"mif1", &[b"mif1", b"heic"])), Some(IsoKind::Heif));
        assert_eq!(kind(&ftyp(b"avif", &[b"avif", b"mif1", b"miaf"])), Some(IsoKind::Avif));
        assert_eq!(kind(&ftyp(b"mif1", &[b"mif1", b"miaf", b"iso8", b"avif"])), Some(IsoKind::Avif));
        assert_eq!(kind(&ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"])), Some(IsoKind::Mp4));
        assert_eq!(kind(&ftyp(b"mp42", &[b"mp42", b"isom"])), Some(IsoKind::Mp4));
        assert_eq!(kind(&ftyp(b"M4A ", &[b"M4A ", b"mp42", b"isom"])), Some(IsoKind::M4a));
        assert_eq!(kind(&ftyp(b"3gp5", &[b"3gp5", b"isom"])), Some(IsoKind::ThreeGp));
        assert_eq!(kind(&ftyp(b"qt  ", &[b"qt  "])), Some(IsoKind::QuickTime));
        assert_eq!(kind(&ftyp(b"crx ", &[b"crx "])), None);
        assert_eq!(kind(b"\0\0\0\x20moov"), None);
    }

    #[test]
    fn cut_short_or_lying_boxes_read_only_what_is_there() {
        assert_eq!(kind(b"\0\0\0\x18ftyp"), None);
        assert_eq!(kind(b"\0\0\0\x18ftypheic"), Some(IsoKind::Heif));
        assert_eq!(kind(b"\xff\xff\xff\xffftypisom\0\0\0\0avif"), Some(IsoKind::Avif));
        assert_eq!(kind(b"\0\0\0\x01ftypisom\0\0\0\0heic"), Some(IsoKind::Mp4), "the box ends at 12");
    }
}
