//! `folio demo`: a living site out of the box, and data for benchmarks. Deterministic: the same
//! post count always yields the same content, so measurements are comparable.

mod text;

use std::time::Instant;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::db::Db;
use crate::db::content::{self, ImportError};
use crate::domain::content::{ContentBundle, NewAuthor, NewPage, NewPost, NewSeries, NewTag};
use crate::domain::slug::Slug;
use crate::domain::{self, Timestamp};

/// How far back the demo archive reaches.
const ARCHIVE_SECONDS: i64 = 3 * 365 * 24 * 3600;

#[derive(Debug)]
pub enum DemoError {
    NotEmpty,
    Import(ImportError),
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemoError::NotEmpty => f.write_str(
                "the database already has content; demo content is only added to an empty database",
            ),
            DemoError::Import(e) => write!(f, "could not add demo content: {e}"),
        }
    }
}

impl std::error::Error for DemoError {}

impl From<ImportError> for DemoError {
    fn from(e: ImportError) -> Self {
        DemoError::Import(e)
    }
}

impl From<sqlx::Error> for DemoError {
    fn from(e: sqlx::Error) -> Self {
        DemoError::Import(ImportError::Db(e))
    }
}

/// Fills an empty database with `posts` posts and the authors, tags, series and pages around
/// them; refuses a database that already has content. Returns a one-line summary.
pub async fn seed(db: &Db, posts: u32) -> Result<String, DemoError> {
    if content::has_content(db).await? {
        return Err(DemoError::NotEmpty);
    }
    let started = Instant::now();
    let bundle = bundle(posts as usize, domain::now());
    content::import(db, &bundle, domain::now()).await?;
    content::settle(db).await?;
    let comments = discuss(db, domain::now()).await?;
    Ok(format!(
        "Added {} posts, {comments} comments, {} authors, {} tags, {} series and {} pages in {:.1} s.",
        bundle.posts.len(),
        bundle.authors.len(),
        bundle.tags.len(),
        bundle.series.len(),
        bundle.pages.len(),
        started.elapsed().as_secs_f64()
    ))
}

/// A short discussion under each of the three newest posts, so a new site shows what comments
/// look like: two readers, one of them answered by the post's author (a staff reply). Returns
/// how many comments were added.
async fn discuss(db: &Db, now: domain::Timestamp) -> Result<usize, DemoError> {
    use crate::db::comments::{self, NewComment};
    use crate::domain::comments::{Status, render};
    const READERS: [(&str, &str, &str); 2] = [
        (
            "Priya Natarajan",
            "priya@example.com",
            "This is the clearest explanation of the idea I have read. The part about *trade-offs* made it click for me.",
        ),
        (
            "Jonas Berg",
            "jonas@example.com",
            "Good piece. One question: does this still hold when the data does not fit in memory?",
        ),
    ];
    let newest = crate::db::posts::list(db, crate::db::posts::Listing::All, now, 3, 0).await?;
    let mut added = 0;
    for post in newest {
        let mut parent = None;
        for (i, (name, email, text)) in READERS.iter().enumerate() {
            let html = render(text);
            let comment = NewComment {
                post_id: post.id,
                parent_id: None,
                user_id: None,
                author_name: name,
                author_email: email,
                author_url: "",
                body_md: text,
                body_html: &html,
                status: Status::Approved,
                held_for: "",
                staff_reply: false,
                notify_replies: false,
                client_addr: "",
                user_agent: "",
            };
            let at = (post.published_at + 3600 * (i as i64 + 1)).min(now - 60 * (3 - i as i64));
            let (id, _) = comments::create(db, &comment, &[], at).await?;
            // The author answers the question (the second reader's).
            if i == 1 {
                parent = Some(id);
            }
            added += 1;
        }
        let answer =
            "Yes: the same approach works, with the data streamed in pages. I will write a follow-up.";
        let html = render(answer);
        let reply = NewComment {
            post_id: post.id,
            parent_id: parent,
            user_id: None,
            author_name: &post.author_name,
            author_email: "",
            author_url: "",
            body_md: answer,
            body_html: &html,
            status: Status::Approved,
            held_for: "",
            staff_reply: true,
            notify_replies: false,
            client_addr: "",
            user_agent: "",
        };
        comments::create(db, &reply, &[], now - 30).await?;
        added += 1;
    }
    Ok(added)
}

/// Like [`seed`], but an existing site is left alone (`Ok(None)`).
pub async fn seed_if_empty(db: &Db, posts: u32) -> Result<Option<String>, DemoError> {
    match seed(db, posts).await {
        Ok(summary) => Ok(Some(summary)),
        Err(DemoError::NotEmpty) => Ok(None),
        Err(e) => Err(e),
    }
}

fn slug(s: &str) -> Slug {
    Slug::from_title(s).unwrap_or_else(|| Slug::from_title("demo").expect("literal slug"))
}

/// The whole demo data set for `posts` posts, the newest published just before `now`.
pub fn bundle(posts: usize, now: Timestamp) -> ContentBundle {
    let mut rng = SmallRng::seed_from_u64(2026);
    let authors: Vec<NewAuthor> = text::AUTHORS
        .iter()
        .map(|(name, role, bio)| NewAuthor {
            email: format!("{}@example.com", slug(name)),
            display_name: (*name).to_owned(),
            slug: slug(name),
            bio: (*bio).to_owned(),
            role: (*role).to_owned(),
        })
        .collect();
    let tags: Vec<NewTag> = text::TAGS
        .iter()
        .map(|(name, description)| NewTag {
            slug: slug(name),
            name: (*name).to_owned(),
            description: (*description).to_owned(),
        })
        .collect();
    let series: Vec<NewSeries> = text::SERIES
        .iter()
        .map(|s| NewSeries {
            slug: slug(s.title),
            title: s.title.to_owned(),
            description: s.description.to_owned(),
        })
        .collect();
    let pages = vec![
        NewPage::published(slug("about"), "About", text::ABOUT),
        NewPage::published(slug("colophon"), "Colophon", text::COLOPHON),
    ];
    let specs = post_specs(&mut rng, posts, now, &authors, &tags);
    let mut posts = render_in_parallel(specs);
    let mut slugs = std::collections::HashSet::new();
    for post in &mut posts {
        let base = post.slug.clone();
        let mut n = 2;
        while !slugs.insert(post.slug.clone()) {
            post.slug = base.with_suffix(n);
            n += 1;
        }
    }
    ContentBundle { authors, tags, series, pages, posts }
}

/// Everything about a post but its rendered body, chosen sequentially from the seeded RNG.
struct PostSpec {
    title: String,
    body: String,
    author: Slug,
    tags: Vec<Slug>,
    series: Option<(Slug, i64)>,
    published_at: Timestamp,
    /// When it was last changed: its publication, or for a scheduled post, recently.
    changed_at: Timestamp,
    draft: bool,
    cover: Option<(String, String)>,
}

fn post_specs(
    rng: &mut SmallRng,
    n: usize,
    now: Timestamp,
    authors: &[NewAuthor],
    tags: &[NewTag],
) -> Vec<PostSpec> {
    let step = (ARCHIVE_SECONDS / n.max(1) as i64).max(60);
    let mut titles = std::collections::HashSet::new();
    let mut chapters: Vec<(usize, usize)> = (0..text::SERIES.len())
        .flat_map(|s| (0..text::SERIES[s].chapters.len()).map(move |c| (s, c)))
        .collect();
    chapters.reverse();
    let mut specs = Vec::with_capacity(n);
    for i in 0..n {
        // Post 0 is the newest. Two posts are scheduled for the coming days; every 23rd is a draft.
        let scheduled = n >= 10 && (i == 0 || i == 1);
        let published_at = if scheduled {
            now + (2 - i as i64) * 86_400 * 3
        } else {
            let age = i.saturating_sub(2) as i64;
            now - 2 * 3600 - age * step - rng.random_range(0..step.max(2) / 2)
        };
        // Series chapters go to the oldest posts first, so each series reads forward in time.
        let series_chapter =
            if i >= n.saturating_sub(chapters.len() * 3) && i % 3 == 0 { chapters.pop() } else { None };
        let (title, series) = match series_chapter {
            Some((s, c)) => {
                let def = &text::SERIES[s];
                (format!("{}: {}", def.title, def.chapters[c]), Some((slug(def.title), c as i64 + 1)))
            }
            None => (unique_title(rng, &mut titles), None),
        };
        let topic_tags = pick_tags(rng, tags, series.as_ref().map(|(s, _)| s));
        specs.push(PostSpec {
            body: text::body(rng, &title),
            title,
            author: authors[rng.random_range(0..authors.len())].slug.clone(),
            tags: topic_tags,
            series,
            published_at,
            // A scheduled post was written before now, however far ahead it is to appear.
            changed_at: if scheduled { now - 3600 * (i as i64 + 1) } else { published_at },
            draft: !scheduled && i % 23 == 7,
            cover: rng.random_bool(0.6).then(|| text::cover(rng)),
        });
    }
    specs
}

fn unique_title(rng: &mut SmallRng, seen: &mut std::collections::HashSet<String>) -> String {
    for _ in 0..8 {
        let title = text::title(rng);
        if seen.insert(title.clone()) {
            return title;
        }
    }
    let title = format!("{} (vol. {})", text::title(rng), seen.len());
    seen.insert(title.clone());
    title
}

fn pick_tags(rng: &mut SmallRng, tags: &[NewTag], series: Option<&Slug>) -> Vec<Slug> {
    let mut picked: Vec<Slug> = Vec::new();
    if series.is_some() {
        picked.push(slug("Tutorials"));
    }
    let want = rng.random_range(1..=3);
    while picked.len() < want + usize::from(series.is_some()) {
        let tag = &tags[rng.random_range(0..tags.len())].slug;
        if !picked.contains(tag) {
            picked.push(tag.clone());
        }
    }
    picked
}

/// Renders Markdown on every core: it is most of the demo's work at 10,000 posts.
fn render_in_parallel(specs: Vec<PostSpec>) -> Vec<NewPost> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = specs.len().div_ceil(workers).max(1);
    let mut specs = specs;
    let mut chunks = Vec::new();
    while !specs.is_empty() {
        let rest = specs.split_off(chunk.min(specs.len()));
        chunks.push(std::mem::replace(&mut specs, rest));
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(into_post).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn into_post(spec: PostSpec) -> NewPost {
    let mut post = NewPost::published(&spec.title, &spec.body, spec.author, spec.published_at);
    post.tags = spec.tags;
    post.series = spec.series;
    post.updated_at = spec.changed_at;
    post.created_at = spec.changed_at - 86_400;
    if let Some((src, alt)) = spec.cover {
        post.cover_image = Some(src);
        post.cover_alt = alt;
    }
    if spec.draft { post.into_draft() } else { post }
}
