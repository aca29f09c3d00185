//! New content as plain data: what an import (the demo, later the admin and API) hands the database.

use super::Timestamp;
use super::markdown::{self, Rendered};
use super::slug::Slug;
use super::state::Publication;

#[derive(Debug, Clone)]
pub struct NewAuthor {
    pub email: String,
    pub display_name: String,
    pub slug: Slug,
    pub bio: String,
    pub role: String,
}

#[derive(Debug, Clone)]
pub struct NewTag {
    pub slug: Slug,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct NewSeries {
    pub slug: Slug,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct NewPage {
    pub slug: Slug,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    pub body_text: String,
    pub status: Publication,
    pub author: Option<Slug>,
}

impl NewPage {
    pub fn published(slug: Slug, title: &str, body_md: &str) -> NewPage {
        let rendered = markdown::render(body_md);
        NewPage {
            slug,
            title: title.to_owned(),
            body_html: rendered.html,
            body_text: rendered.text,
            body_md: body_md.to_owned(),
            status: Publication::Published,
            author: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewPost {
    pub slug: Slug,
    pub title: String,
    pub body_md: String,
    pub rendered: Rendered,
    /// Shown in listings and as the meta description when no SEO description is set.
    pub excerpt: String,
    pub cover_image: Option<String>,
    pub cover_alt: String,
    pub status: Publication,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub author: Slug,
    pub tags: Vec<Slug>,
    /// The series and the post's position in it.
    pub series: Option<(Slug, i64)>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
}

impl NewPost {
    /// A post published at `published_at`, its slug taken from the title and its excerpt from the body.
    pub fn published(title: &str, body_md: &str, author: Slug, published_at: Timestamp) -> NewPost {
        let rendered = markdown::render(body_md);
        NewPost {
            slug: Slug::from_title(title).unwrap_or_else(|| Slug::from_title("post").expect("static slug")),
            title: title.to_owned(),
            body_md: body_md.to_owned(),
            excerpt: rendered.excerpt.clone(),
            rendered,
            cover_image: None,
            cover_alt: String::new(),
            status: Publication::Published,
            published_at: Some(published_at),
            created_at: published_at,
            updated_at: published_at,
            author,
            tags: Vec::new(),
            series: None,
            seo_title: None,
            seo_description: None,
        }
    }

    /// The same post as an unpublished draft.
    pub fn into_draft(mut self) -> NewPost {
        self.status = Publication::Draft;
        self.published_at = None;
        self
    }

    /// When tag pages may list this post: its publication time if published, else never.
    pub fn visible_at(&self) -> Option<Timestamp> {
        match self.status {
            Publication::Published => self.published_at,
            Publication::Draft => None,
        }
    }
}

/// A self-contained set of content; posts and pages refer to authors, tags and series by slug.
#[derive(Debug, Clone, Default)]
pub struct ContentBundle {
    pub authors: Vec<NewAuthor>,
    pub tags: Vec<NewTag>,
    pub series: Vec<NewSeries>,
    pub pages: Vec<NewPage>,
    pub posts: Vec<NewPost>,
}
