//! The words of the demo site: people, tags, series and a generator of varied Markdown articles.

use rand::Rng;
use rand::rngs::SmallRng;

pub const AUTHORS: &[(&str, &str, &str)] = &[
    (
        "Maya Okafor",
        "editor",
        "Maya edits the site and writes about the craft of publishing on the web. Before Folio she ran the night desk of a regional newspaper.",
    ),
    (
        "Tomás Lindqvist",
        "author",
        "Tomás writes about databases, performance and the quiet joy of software that answers before you blink.",
    ),
    (
        "Priya Raman",
        "author",
        "Priya teaches programming and writes the site's learning series. She believes every concept fits on one page.",
    ),
    (
        "Jonah Whitfield",
        "author",
        "Jonah covers design, typography and accessibility, and keeps a collection of beautifully set railway timetables.",
    ),
    (
        "Lena Hoffmann",
        "contributor",
        "Lena writes about open-source communities and the people who keep them running.",
    ),
];

pub const TAGS: &[(&str, &str)] = &[
    ("Rust", "Systems programming without the fear: ownership, traits and fast, safe services."),
    ("Databases", "Schemas, queries, indexes and the engines underneath them."),
    ("Performance", "Making software fast, and measuring that it is."),
    ("Design", "Visual design for reading on screens of every size."),
    ("Typography", "Type, measure, rhythm: the details that make text pleasant to read."),
    ("Accessibility", "Building pages everyone can use, with any device or assistive technology."),
    ("Writing", "Notes on writing clearly for the web."),
    ("Publishing", "Editorial workflows, newsletters and the business of publishing."),
    ("Open Source", "Communities, maintenance and the commons of software."),
    ("Security", "Defending sites and their readers, by default."),
    ("Testing", "Tests that catch real bugs, and the habits behind them."),
    ("Web Standards", "HTML, HTTP and the platform that keeps working."),
    ("SQLite", "The database in a file, and how far it goes."),
    ("PostgreSQL", "The database that grows with you."),
    ("Career", "Working in software and media: growth, teams and habits."),
    ("Tutorials", "Step-by-step guides and learning series."),
];

pub struct SeriesDef {
    pub title: &'static str,
    pub description: &'static str,
    pub chapters: &'static [&'static str],
}

pub const SERIES: &[SeriesDef] = &[
    SeriesDef {
        title: "Rust from Scratch",
        description: "A gentle course in Rust for people who already program in another language.",
        chapters: &[
            "Installing the toolchain",
            "Ownership in plain words",
            "Structs and enums",
            "Errors with Result",
            "Traits and generics",
            "Async without fear",
        ],
    },
    SeriesDef {
        title: "SQL for Writers",
        description: "Enough SQL to answer your own questions about your own archive.",
        chapters: &[
            "Your first SELECT",
            "Filtering and sorting",
            "Joining tables",
            "Counting and grouping",
            "Indexes, briefly",
        ],
    },
    SeriesDef {
        title: "Designing for Reading",
        description: "Typography and layout for long-form text on the web, one decision at a time.",
        chapters: &[
            "Choosing a measure",
            "Line height and rhythm",
            "Type scales",
            "Colour and contrast",
            "Dark mode done right",
        ],
    },
    SeriesDef {
        title: "Running a Publication",
        description: "From the first post to a thousand subscribers: the operational side of publishing.",
        chapters: &[
            "Picking a cadence",
            "An editorial calendar",
            "Newsletters that get read",
            "Measuring what matters",
        ],
    },
];

const TOPICS: &[&str] = &[
    "incremental builds",
    "connection pooling",
    "full-text search",
    "server-side rendering",
    "accessible forms",
    "readable typography",
    "dark mode",
    "database indexes",
    "write-ahead logging",
    "content security policies",
    "image optimisation",
    "editorial workflows",
    "newsletter design",
    "caching strategies",
    "error handling",
    "integration testing",
    "Markdown",
    "RSS feeds",
    "structured data",
    "semantic HTML",
    "async Rust",
    "schema migrations",
    "rate limiting",
    "password hashing",
    "progressive enhancement",
    "performance budgets",
    "code review",
    "technical writing",
    "open-source maintenance",
    "on-call rotations",
    "remote editing",
    "headline writing",
    "long-form layout",
    "query planning",
];

const PATTERNS: &[&str] = &[
    "A practical guide to {t}",
    "What we learned from {t}",
    "{T}, explained",
    "Five mistakes we made with {t}",
    "Why {t} matters more than you think",
    "Notes on {t}",
    "How we think about {t}",
    "The case for boring {t}",
    "Getting started with {t}",
    "{T} in practice",
    "A field guide to {t}",
    "Rethinking {t}",
    "Ten questions about {t}",
    "Lessons from a year of {t}",
    "The hidden cost of {t}",
];

const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    " for small teams",
    " at scale",
    " on a budget",
    " without the hype",
    " for writers",
    " in 2026",
];

const HEADINGS: &[&str] = &[
    "Where it starts",
    "The problem",
    "What we tried first",
    "A better approach",
    "Measuring the result",
    "Trade-offs",
    "What we would do differently",
    "Putting it together",
    "A worked example",
    "Common pitfalls",
    "When not to use it",
    "The numbers",
    "Why this matters",
    "Next steps",
];

const SENTENCES: &[&str] = &[
    "Most teams meet {t} long before they have a name for it.",
    "The first version was simple, and that was its best feature.",
    "We measured before we changed anything, which saved us from two wrong guesses.",
    "It is tempting to reach for a new tool; it is usually better to understand the old one.",
    "Readers never see {t}, but they feel it on every page they open.",
    "The cost did not show up in the benchmark; it showed up in the support inbox.",
    "Good defaults matter more than clever options, because most people never change them.",
    "Nothing here is new, and that is exactly why it works.",
    "The trick is to make the common case fast and the rare case correct.",
    "We wrote the rule down, and then we wrote a test that fails when someone breaks it.",
    "A small change in {t} removed a whole class of bugs.",
    "Every extra step in the workflow is a place where a draft can get lost.",
    "If a page works without JavaScript, it works for everyone, including crawlers.",
    "The hard part was not the code but agreeing on what done means.",
    "We kept the old path running in parallel until the numbers matched.",
    "Latency is a feature, and readers vote with their back button.",
    "Treat {t} as a product decision, not only an engineering one.",
    "Our editors noticed the difference before the dashboards did.",
    "Each layer should do one thing, and say clearly when it cannot.",
    "There is always a trade-off; the question is whether you chose it on purpose.",
    "A checklist beats memory, especially at two in the morning.",
    "Simple systems fail in simple ways, which is the kindest way to fail.",
    "We found that {t} rewards patience more than brilliance.",
    "Write the boring version first and keep it if it is fast enough.",
    "The best documentation is the example that runs.",
    "Nobody complained when it got faster, but everybody noticed.",
    "Consistency across the archive matters as much as polish on the front page.",
    "Once the data model was right, the templates almost wrote themselves.",
];

const LINKS: &[(&str, &str)] = &[
    ("the SQLite documentation", "https://www.sqlite.org/docs.html"),
    ("the PostgreSQL manual", "https://www.postgresql.org/docs/"),
    ("the Rust book", "https://doc.rust-lang.org/book/"),
    ("the HTML standard", "https://html.spec.whatwg.org/"),
    ("the WCAG quick reference", "https://www.w3.org/WAI/WCAG22/quickref/"),
    ("the htmx documentation", "https://htmx.org/docs/"),
];

const CODE: &[(&str, &str)] = &[
    ("rust", "fn reading_minutes(words: usize) -> usize {\n    words.div_ceil(230).max(1)\n}"),
    (
        "sql",
        "SELECT title, published_at\nFROM posts\nWHERE status = 'published'\nORDER BY published_at DESC\nLIMIT 10;",
    ),
    ("toml", "[default]\nsite_title = \"Field Notes\"\nposts_per_page = 10"),
    (
        "python",
        "def slugify(title: str) -> str:\n    words = ''.join(c if c.isalnum() else ' ' for c in title.lower()).split()\n    return '-'.join(words)",
    ),
    (
        "html",
        "<article>\n  <h1>Headline</h1>\n  <p class=\"byline\">By <a href=\"/authors/maya\">Maya</a></p>\n</article>",
    ),
    ("bash", "folio demo --posts 60\nfolio serve"),
];

const IMAGES: &[(&str, &str)] = &[
    ("/static/img/demo/dunes.svg", "Soft sand dunes under a pale sky"),
    ("/static/img/demo/harbour.svg", "Boats resting in a quiet harbour at dusk"),
    ("/static/img/demo/forest.svg", "Layers of pine forest fading into mist"),
    ("/static/img/demo/grid.svg", "An abstract grid of coloured tiles"),
    ("/static/img/demo/waves.svg", "Overlapping waves in shades of blue"),
    ("/static/img/demo/peaks.svg", "Mountain peaks at sunrise"),
];

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub fn title(rng: &mut SmallRng) -> String {
    let topic = pick(rng, TOPICS);
    let pattern = pick(rng, PATTERNS);
    let base = pattern.replace("{T}", &capitalise(topic)).replace("{t}", topic);
    format!("{base}{}", pick(rng, SUFFIXES))
}

/// A cover image and its alt text.
pub fn cover(rng: &mut SmallRng) -> (String, String) {
    let (src, alt) = pick(rng, IMAGES);
    ((*src).to_owned(), (*alt).to_owned())
}

fn paragraph(rng: &mut SmallRng, topic: &str) -> String {
    let n = rng.random_range(3..=6);
    let mut sentences: Vec<String> = rand::seq::index::sample(rng, SENTENCES.len(), n)
        .into_iter()
        .map(|i| SENTENCES[i].replace("{t}", topic))
        .collect();
    if rng.random_bool(0.25) {
        let (label, href) = pick(rng, LINKS);
        sentences.push(format!("For the details, see [{label}]({href})."));
    }
    if rng.random_bool(0.15) {
        let i = rng.random_range(0..sentences.len());
        sentences[i] = format!("**{}**", sentences[i]);
    }
    sentences.join(" ")
}

/// A Markdown article about `title`: intro, sections with headings, and a mix of lists, code,
/// quotes, images, tables and footnotes, from about 200 to 2,000 words.
pub fn body(rng: &mut SmallRng, title: &str) -> String {
    let topic = TOPICS
        .iter()
        .find(|t| title.to_lowercase().contains(&t.to_lowercase()))
        .copied()
        .unwrap_or("the craft");
    let mut md = String::new();
    for _ in 0..rng.random_range(1..=2) {
        md.push_str(&paragraph(rng, topic));
        md.push_str("\n\n");
    }
    let sections = rng.random_range(1..=7);
    let mut footnote = false;
    for s in 0..sections {
        md.push_str(&format!("## {}\n\n", HEADINGS[(s * 5 + rng.random_range(0..3)) % HEADINGS.len()]));
        for _ in 0..rng.random_range(1..=3) {
            md.push_str(&paragraph(rng, topic));
            md.push_str("\n\n");
        }
        match rng.random_range(0..9) {
            0 | 1 => {
                let ordered = rng.random_bool(0.4);
                for i in 1..=rng.random_range(3..=5) {
                    let item = pick(rng, SENTENCES).replace("{t}", topic);
                    if ordered { md.push_str(&format!("{i}. {item}\n")) } else { md.push_str(&format!("- {item}\n")) }
                }
                md.push('\n');
            }
            2 => {
                let (lang, code) = pick(rng, CODE);
                md.push_str(&format!("```{lang}\n{code}\n```\n\n"));
            }
            3 => md.push_str(&format!("> {}\n\n", pick(rng, SENTENCES).replace("{t}", topic))),
            4 => {
                let (src, alt) = pick(rng, IMAGES);
                md.push_str(&format!("![{alt}]({src})\n\n"));
            }
            5 => md.push_str(
                "| Approach | Median | p99 |\n|---|---:|---:|\n| Before | 38 ms | 210 ms |\n| After | 4 ms | 11 ms |\n\n",
            ),
            6 if !footnote => {
                footnote = true;
                md.push_str("We are not the first to notice this.[^prior]\n\n[^prior]: Nor, we suspect, the last.\n\n");
            }
            _ => {}
        }
        if rng.random_bool(0.15) {
            md.push_str("### A closer look\n\n");
            md.push_str(&paragraph(rng, topic));
            md.push_str(" This is ~~optional~~ essential reading.\n\n");
        }
    }
    md
}

pub const ABOUT: &str = "Folio is where our small team writes about building, designing and running \
publications on the web.\n\n## Who we are\n\nFive writers, editors and engineers who care about fast \
pages, good type and honest software. You can read about each of us on our author pages.\n\n## What \
you will find here\n\n- **Guides** that walk through one idea at a time\n- **Series** that build a \
skill over several posts\n- **Notes** from running a real publication\n\n## Get in touch\n\nWrite to \
[hello@example.com](mailto:hello@example.com). We read everything.\n";

pub const COLOPHON: &str = "This site is published with Folio, a publishing platform that ships as \
one binary.\n\nPages are rendered on the server and work without JavaScript; text is set in your \
system's own fonts, so nothing is downloaded from elsewhere. Dark mode follows your device.\n";
