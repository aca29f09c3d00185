//! The rules of the page editor and of the tag and series forms: what a page or a term must be
//! before it is stored. The post editor's are in [`super::editor`].

use super::editor::{BODY_MAX, SEO_DESCRIPTION_MAX, SEO_TITLE_MAX, TAG_NAME_MAX, TITLE_MAX, slug_for};
use super::markdown;
use super::slug::Slug;
use super::state::Publication;
use super::validation::{FieldErrors, long_text, short_text};

/// The page editor's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct PageInput {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub seo_title: String,
    pub seo_description: String,
    pub published: bool,
    /// Ask search engines not to index the page (and leave it out of the sitemap).
    pub noindex: bool,
}

/// A page that passed every rule.
#[derive(Debug, Clone)]
pub struct PageDraft {
    pub title: String,
    pub slug: Slug,
    pub body_md: String,
    pub body_html: String,
    /// The body's plain text, for search ([`markdown::Rendered::text`]).
    pub body_text: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub status: Publication,
    pub noindex: bool,
}

/// Checks a page; its slug is a root path, so Folio's own paths are refused.
pub fn check_page(input: &PageInput) -> Result<PageDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = errors.check("title", short_text(&input.title, TITLE_MAX, "a title"));
    let slug =
        slug_for(&input.slug, title.as_deref(), Slug::parse_page).and_then(|s| errors.check("slug", s));
    let body_md = errors.check("body", long_text(&input.body, BODY_MAX, "the body"));
    let seo_title = errors.check("seo_title", long_text(&input.seo_title, SEO_TITLE_MAX, "the SEO title"));
    let seo_description = errors.check(
        "seo_description",
        long_text(&input.seo_description, SEO_DESCRIPTION_MAX, "the SEO description"),
    );
    match (title, slug, body_md, seo_title, seo_description) {
        (Some(title), Some(slug), Some(body_md), Some(seo_title), Some(seo_description))
            if errors.is_empty() =>
        {
            let rendered = markdown::render(&body_md);
            Ok(PageDraft {
                title,
                slug,
                body_html: rendered.html,
                body_text: rendered.text,
                body_md,
                seo_title: Some(seo_title).filter(|s| !s.is_empty()),
                seo_description: Some(seo_description).filter(|s| !s.is_empty()),
                status: if input.published { Publication::Published } else { Publication::Draft },
                noindex: input.noindex,
            })
        }
        _ => Err(errors),
    }
}

/// A name and slug for a tag or series, as typed in their forms.
pub fn check_term(name: &str, slug: &str, description: &str) -> Result<(String, Slug, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", short_text(name, TAG_NAME_MAX.max(120), "a name"));
    let slug = slug_for(slug, name.as_deref(), Slug::parse).and_then(|s| errors.check("slug", s));
    let description = errors.check("description", long_text(description, 2_000, "the description"));
    match (name, slug, description) {
        (Some(n), Some(s), Some(d)) if errors.is_empty() => Ok((n, s, d)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_slugs_may_not_take_folio_paths() {
        let page = PageInput { title: "Admin".into(), slug: "admin".into(), ..PageInput::default() };
        assert!(check_page(&page).unwrap_err().get("slug").is_some());
    }
}
