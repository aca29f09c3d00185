//! Content codings (RFC 9110, section 8.4.1): which one a client's `Accept-Encoding` asks for,
//! which bodies are worth compressing, and the compression itself, in one place so that the page
//! cache of issue 15 can compress each body once per coding instead of once per request.

use std::io::Write;

/// Bodies shorter than this are sent as they are. Under a kilobyte a page fits in one TCP segment
/// (1,460 bytes of payload on Ethernet) with room to spare, so compressing it cannot save a packet
/// or a round trip; it would only cost CPU and add a `Content-Encoding` and a `Vary` header.
/// (Google's PageSpeed guidance cites 150–1,000 bytes as the point below which compressing can
/// even grow the response.)
pub const MIN_SIZE: usize = 1024;

/// A content coding Folio can send. The order of the variants is the server's preference when a
/// client rates several equally (as browsers do, sending no q-values): Brotli makes the smallest
/// pages, zstd is faster to make and nearly as small, gzip is what every client understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Brotli,
    Zstd,
    Gzip,
    Identity,
}

impl Encoding {
    /// The codings that compress, in preference order.
    pub const COMPRESSED: [Encoding; 3] = [Encoding::Brotli, Encoding::Zstd, Encoding::Gzip];

    /// The `Content-Encoding` value, or `None` for identity (no header is sent).
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Zstd => Some("zstd"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    /// What this coding adds to an entity tag (see [`super::conditions::entity_tag`]).
    pub fn tag_suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Zstd => "zst",
            Encoding::Gzip => "gz",
            Encoding::Identity => "",
        }
    }

    /// The coding a token of `Accept-Encoding` names (case-insensitive; `x-gzip` is gzip, RFC
    /// 9110, section 8.4.1.3).
    fn from_token(token: &str) -> Option<Encoding> {
        [
            ("br", Encoding::Brotli),
            ("zstd", Encoding::Zstd),
            ("gzip", Encoding::Gzip),
            ("x-gzip", Encoding::Gzip),
        ]
        .into_iter()
        .chain([("identity", Encoding::Identity)])
        .find(|(name, _)| token.eq_ignore_ascii_case(name))
        .map(|(_, encoding)| encoding)
    }

    /// Compresses `body`. Levels are chosen for compressing on every request: Brotli quality 5
    /// (its default 11 takes tens of milliseconds per page), gzip 6 and zstd 3 (their defaults).
    /// The measured cost is in bench/README.md.
    pub fn compress(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let capacity = body.len() / 3;
        match self {
            Encoding::Brotli => {
                // A 4 KiB working buffer and a 4 MiB window (22 bits, Brotli's default).
                let mut writer = brotli::CompressorWriter::new(Vec::with_capacity(capacity), 4096, 5, 22);
                writer.write_all(body)?;
                writer.flush()?;
                Ok(writer.into_inner())
            }
            Encoding::Zstd => zstd::bulk::compress(body, 3),
            Encoding::Gzip => {
                let mut writer =
                    flate2::write::GzEncoder::new(Vec::with_capacity(capacity), flate2::Compression::new(6));
                writer.write_all(body)?;
                writer.finish()
            }
            Encoding::Identity => Ok(body.to_vec()),
        }
    }
}

/// The coding to send a compressible body in, given the request's `Accept-Encoding` values
/// (RFC 9110, section 12.5.3): the one the client rates highest with a q-value above zero, ties
/// going to [`Encoding`]'s order; a coding it does not name is acceptable only through `*`. No
/// header, an empty one, or nothing acceptable means identity, which is always sent rather than
/// a 406, because an uncompressed page is better than none.
pub fn negotiate<'a>(accept_encoding: impl IntoIterator<Item = &'a str>) -> Encoding {
    // q-values have at most three decimals: keep them as thousandths.
    let mut named: Vec<(Encoding, u16)> = Vec::new();
    let mut any: Option<u16> = None;
    for item in accept_encoding.into_iter().flat_map(|value| value.split(',')) {
        let mut parts = item.split(';').map(str::trim);
        let token = parts.next().unwrap_or_default();
        if token.is_empty() {
            continue;
        }
        let mut q = Some(1000);
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                q = qvalue(value.trim());
            }
        }
        let Some(q) = q else { continue };
        if token == "*" {
            any = Some(q);
        } else if let Some(encoding) = Encoding::from_token(token) {
            named.push((encoding, q));
        }
    }
    let rating =
        |encoding: Encoding| named.iter().find(|(e, _)| *e == encoding).map(|(_, q)| *q).or(any).unwrap_or(0);
    let best = Encoding::COMPRESSED
        .into_iter()
        .map(|e| (e, rating(e)))
        .filter(|(_, q)| *q > 0)
        // max_by_key keeps the last of equals; reversed, the preferred coding is the last.
        .rev()
        .max_by_key(|(_, q)| *q);
    match best {
        // Identity wins only when the client rates it above every compressed coding.
        Some((encoding, q)) if named.iter().all(|(e, iq)| *e != Encoding::Identity || *iq <= q) => encoding,
        _ => Encoding::Identity,
    }
}

/// A q-value (`0`, `0.5`, `1.000`) as thousandths, or `None` when it is not one (RFC 9110,
/// section 12.4.2), in which case the item is ignored.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Whether a body of this media type (`text/html; charset=utf-8`) gains from compression: text,
/// JSON, XML, JavaScript and SVG. Everything else (images, video, audio, fonts like woff2, zip
/// archives, PDFs) is left alone: it is compressed already, or unknown.
pub fn compressible(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some((top, sub)) = essence.split_once('/') else { return false };
    top == "text"
        || sub.ends_with("+json")
        || sub.ends_with("+xml")
        || (top == "application" && matches!(sub, "json" | "xml" | "javascript" | "ecmascript"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values_and_prefers_brotli() {
        use Encoding::*;
        let n = |h: &str| negotiate([h]);
        assert_eq!(negotiate([]), Identity);
        assert_eq!(n(""), Identity);
        assert_eq!(n("gzip, deflate, br, zstd"), Brotli);
        assert_eq!(n("gzip"), Gzip);
        assert_eq!(n("X-GZIP"), Gzip);
        assert_eq!(n("br;q=0, gzip"), Gzip);
        assert_eq!(n("br;q=0.5, gzip;q=0.8"), Gzip);
        assert_eq!(n("br;q=0.5, zstd;q=0.5, gzip;q=0.1"), Brotli);
        assert_eq!(n("zstd, gzip"), Zstd);
        assert_eq!(n("identity"), Identity);
        assert_eq!(n("gzip;q=0.5, identity"), Identity);
        assert_eq!(n("compress, deflate, snappy"), Identity);
        assert_eq!(n("*"), Brotli);
        assert_eq!(n("*;q=0"), Identity);
        assert_eq!(n("gzip;q=0, *"), Brotli);
        assert_eq!(n("br;q=2, gzip;q=abc"), Identity, "bad q-values are ignored");
        assert_eq!(n("br;q=1.000"), Brotli);
        assert_eq!(negotiate(["deflate", "gzip"]), Gzip, "several header lines");
    }

    #[test]
    fn only_text_like_types_compress() {
        for yes in [
            "text/html; charset=utf-8",
            "text/css",
            "application/json",
            "application/rss+xml",
            "application/atom+xml",
            "application/feed+json",
            "image/svg+xml",
            "application/javascript",
        ] {
            assert!(compressible(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "image/webp",
            "video/mp4",
            "font/woff2",
            "application/zip",
            "application/pdf",
            "application/octet-stream",
            "nonsense",
        ] {
            assert!(!compressible(no), "{no}");
        }
    }
}
