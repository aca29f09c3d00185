//! `/sitemap.xml`, an index of child sitemaps, and the children `/sitemaps/<kind>-<n>.xml`
//! (posts, pages, tags, authors, series; a kind past `sitemap_urls` URLs gets more parts).
//!
//! Written with quick-xml's writer rather than an Askama template: it escapes every text and
//! attribute itself and always nests elements, so no template branch can emit broken XML, and
//! the two shapes (index, urlset) are a few lines of Rust each.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rocket::http::ContentType;
use rocket::{State, get};
use rocket_db_pools::Connection;

use crate::config::Config;
use crate::db::FolioDb;
use crate::db::sitemap::{self, Entry};
use crate::domain::addresses::Kind;
use crate::domain::clock::Clock;
use crate::domain::sitemap::{Part, clean_url};
use crate::domain::{Timestamp, dates};
use crate::web::error::{AppError, AppResult};
use crate::web::view::{Site, SiteRef};

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const IMAGE_NS: &str = "http://www.google.com/schemas/sitemap-image/1.1";

/// An XML document, served as `application/xml`.
#[derive(rocket::Responder)]
pub struct Xml(String, ContentType);

impl Xml {
    fn new(bytes: Vec<u8>) -> AppResult<Xml> {
        let text = String::from_utf8(bytes).map_err(AppError::internal)?;
        Ok(Xml(text, ContentType::new("application", "xml").with_params(("charset", "utf-8"))))
    }
}

/// The index: every non-empty part of every kind, each dated by its newest entry. Never empty:
/// the pages' first part always holds the home page.
#[get("/sitemap.xml")]
pub async fn index(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    config: &State<Config>,
) -> AppResult<Xml> {
    let (now, per_part) = (clock.now(), config.settings.sitemap_urls);
    let mut children = Vec::new();
    for kind in Kind::ALL {
        let parts = sitemap::parts(&db, kind, now, per_part).await?;
        children.extend((1..).zip(parts).map(|(number, lastmod)| (Part { kind, number }, lastmod)));
    }
    Xml::new(write_index(&site, &children).map_err(AppError::internal)?)
}

/// One part; a part past the last (or of a kind with nothing to list) is not found.
#[get("/sitemaps/<file>")]
pub async fn part(
    db: Connection<FolioDb>,
    site: SiteRef,
    clock: &State<Clock>,
    config: &State<Config>,
    file: &str,
) -> AppResult<Xml> {
    let part = Part::parse(file).ok_or_else(AppError::not_found)?;
    let per_part = config.settings.sitemap_urls;
    let entries = sitemap::entries(&db, part.kind, clock.now(), per_part, part.offset(per_part)).await?;
    if entries.is_empty() {
        return Err(AppError::not_found());
    }
    Xml::new(write_urlset(&site, part.kind, &entries).map_err(AppError::internal)?)
}

fn declaration(w: &mut Writer<Vec<u8>>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
}

/// `<loc>` and, when known, `<lastmod>` (RFC 3339 in UTC, a W3C Datetime).
fn loc_and_lastmod(w: &mut Writer<Vec<u8>>, loc: &str, lastmod: Option<Timestamp>) -> io::Result<()> {
    w.create_element("loc").write_text_content(BytesText::new(loc))?;
    if let Some(at) = lastmod {
        w.create_element("lastmod").write_text_content(BytesText::new(&dates::iso(at)))?;
    }
    Ok(())
}

fn write_index(site: &Site, children: &[(Part, Option<Timestamp>)]) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    declaration(&mut w)?;
    w.create_element("sitemapindex").with_attribute(("xmlns", SITEMAP_NS)).write_inner_content(|w| {
        for (part, lastmod) in children {
            w.create_element("sitemap")
                .write_inner_content(|w| loc_and_lastmod(w, &site.url(&part.path()), *lastmod))?;
        }
        Ok(())
    })?;
    Ok(w.into_inner())
}

fn write_urlset(site: &Site, kind: Kind, entries: &[Entry]) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    declaration(&mut w)?;
    w.create_element("urlset")
        .with_attribute(("xmlns", SITEMAP_NS))
        .with_attribute(("xmlns:image", IMAGE_NS))
        .write_inner_content(|w| {
            for entry in entries {
                w.create_element("url").write_inner_content(|w| {
                    loc_and_lastmod(w, &site.url(&kind.path(&entry.slug)), entry.lastmod)?;
                    // A cover whose address cannot be made a URL is left out, not the post.
                    if let Some(image) = entry.image.as_deref().and_then(|src| clean_url(&site.absolute(src)))
                    {
                        w.create_element("image:image").write_inner_content(|w| {
                            w.create_element("image:loc").write_text_content(BytesText::new(&image))?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(w.into_inner())
}
