//! Small, explicit content sets for tests.

use folio::domain::content::{ContentBundle, NewAuthor, NewPage, NewPost, NewSeries, NewTag};
use folio::domain::slug::Slug;
use folio::domain::{Timestamp, now};

pub fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

pub const HOUR: Timestamp = 3600;
pub const DAY: Timestamp = 86_400;

/// Two authors, three tags, one series and an About page; no posts.
pub fn base() -> ContentBundle {
    ContentBundle {
        authors: vec![author("ada", "Ada Writer"), author("bo", "Bo Editor")],
        tags: ["rust", "design", "news"]
            .iter()
            .map(|t| NewTag { slug: slug(t), name: capitalise(t), description: format!("All about {t}.") })
            .collect(),
        series: vec![NewSeries {
            slug: slug("learn-rust"),
            title: "Learn Rust".into(),
            description: "A course.".into(),
        }],
        pages: vec![NewPage::published(slug("about"), "About us", "We **write** things.")],
        posts: vec![],
    }
}

pub fn author(slug_: &str, name: &str) -> NewAuthor {
    NewAuthor {
        email: format!("{slug_}@example.com"),
        display_name: name.into(),
        slug: slug(slug_),
        bio: format!("{name} writes here."),
        role: "author".into(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// A published post by Ada, `age` seconds old, with the given tags.
pub fn post(title: &str, age: Timestamp, tags: &[&str]) -> NewPost {
    let mut p = NewPost::published(
        title,
        &format!("Body of *{title}*.\n\n## Section\n\nMore text."),
        slug("ada"),
        now() - age,
    );
    p.tags = tags.iter().map(|t| slug(t)).collect();
    p
}

/// A published post by Ada, a day old, with `body` as its Markdown.
pub fn post_with_body(title: &str, body: &str) -> NewPost {
    NewPost::published(title, body, slug("ada"), now() - DAY)
}

/// `n` posts titled "Post 1" (newest) … "Post n", an hour apart, all tagged `rust`.
pub fn numbered_posts(n: usize) -> Vec<NewPost> {
    (1..=n).map(|i| post(&format!("Post {i}"), i as Timestamp * HOUR, &["rust"])).collect()
}
