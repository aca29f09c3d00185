//! The post list: search, filters, sort and pagination, with the bulk-action form around it.
//! htmx re-renders just the results as the filters change.

use askama::Template;
use rocket::{Route, get, routes};
use rocket_db_pools::Connection;

use crate::db::FolioDb;
use crate::db::admin_content::{self, Vocabulary};
use crate::db::admin_posts::{self, COUNT_CAP, PostQuery, PostRow, Sort, StatusFilter};
use crate::db::users;
use crate::domain::roles::Action;
use crate::domain::state::PostState;
use crate::domain::{Timestamp, dates, now};
use crate::web::admin::{Desk, Shell, list_paging, parse_id, query_string};
use crate::web::error::AppResult;
use crate::web::htmx::{Fragment, Html};
use crate::web::view::{Meta, Paging, Site};

pub const PER_PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "admin/posts/index.html", blocks = ["results"])]
pub struct PostsPage<'a> {
    site: &'a Site,
    meta: Meta,
    shell: Shell,
    posts: Vec<PostRow>,
    total: i64,
    filters: Filters,
    paging: Paging,
    authors: Vec<(i64, String)>,
    tags: Vec<(i64, String)>,
    series: Vec<(i64, String)>,
    now: Timestamp,
    may_publish: bool,
    may_see_all: bool,
}

impl Fragment for PostsPage<'_> {
    fn render_fragment(&self) -> askama::Result<String> {
        self.as_results().render()
    }
}

/// The list's query string, as typed (kept to refill the filter form and build links).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub q: String,
    pub status: String,
    pub author: Option<i64>,
    pub tag: Option<i64>,
    pub series: Option<i64>,
    pub sort: String,
}

impl Filters {
    /// The query string for links that keep these filters.
    pub fn query(&self) -> String {
        let [author, tag, series] =
            [self.author, self.tag, self.series].map(|id| id.map(|n| n.to_string()).unwrap_or_default());
        let sort = if self.sort == Sort::Updated.as_str() { "" } else { self.sort.as_str() };
        query_string(&[
            ("q", &self.q),
            ("status", &self.status),
            ("author", &author),
            ("tag", &tag),
            ("series", &series),
            ("sort", sort),
        ])
    }
}

impl PostsPage<'_> {
    fn statuses(&self) -> [StatusFilter; 4] {
        StatusFilter::ALL
    }

    fn sorts(&self) -> [Sort; 3] {
        Sort::ALL
    }

    fn state(&self, post: &PostRow) -> &'static str {
        post.state(self.now).as_str()
    }

    fn when(&self, post: &PostRow) -> String {
        match post.state(self.now) {
            PostState::Draft => format!("changed {}", dates::human(post.updated_at)),
            PostState::Scheduled => {
                format!("for {}", post.published_at.map(dates::human).unwrap_or_default())
            }
            PostState::Published => post.published_at.map(dates::human).unwrap_or_default(),
        }
    }

    fn total_label(&self) -> String {
        match self.total {
            1 => "1 post".into(),
            n if n > COUNT_CAP => format!("more than {COUNT_CAP} posts"),
            n => format!("{n} posts"),
        }
    }

    fn is(&self, selected: &Option<i64>, id: &i64) -> bool {
        *selected == Some(*id)
    }
}

/// The list's query string: a search, filters, an order and a page, each optional; a value
/// that does not parse is ignored.
#[derive(rocket::FromForm)]
struct ListQuery<'r> {
    q: Option<&'r str>,
    status: Option<&'r str>,
    author: Option<&'r str>,
    tag: Option<&'r str>,
    series: Option<&'r str>,
    sort: Option<&'r str>,
    page: Option<&'r str>,
}

#[get("/admin/posts?<query..>")]
async fn index(db: Connection<FolioDb>, desk: Desk, query: ListQuery<'_>) -> AppResult<Html> {
    let ListQuery { q, status, author, tag, series, sort, page } = query;
    desk.require(Action::WriteOwnPosts)?;
    let may_see_all = desk.can(Action::EditAllContent);
    let filters = Filters {
        q: q.unwrap_or("").trim().chars().take(200).collect(),
        status: StatusFilter::parse(status.unwrap_or("")).as_str().to_owned(),
        // Authors and contributors work on their own posts only.
        author: if may_see_all { parse_id(author) } else { Some(desk.user().id) },
        tag: parse_id(tag),
        series: parse_id(series),
        sort: Sort::parse(sort.unwrap_or("")).as_str().to_owned(),
    };
    let mut paging = list_paging(page, PER_PAGE, "/admin/posts", &filters.query());
    let query = PostQuery {
        search: filters.q.clone(),
        status: StatusFilter::parse(&filters.status),
        author: filters.author,
        tag: filters.tag,
        series: filters.series,
        sort: Sort::parse(&filters.sort),
        limit: paging.limit(),
        // Pages beyond the counted range are not offered; a typed one shows the last counted.
        offset: paging.offset().min(COUNT_CAP),
    };
    let now = now();
    let (rows, total) = admin_posts::list(&db, &query, now).await?;
    let posts = paging.trim(rows);
    let authors = if may_see_all { users::staff_names(&db).await? } else { Vec::new() };
    let (meta, shell) = desk.frame("posts", "Posts", "/admin/posts");
    let view = PostsPage {
        site: &desk.site,
        meta,
        shell,
        posts,
        total,
        filters,
        paging,
        authors,
        tags: admin_content::all_names(&db, Vocabulary::Tags).await?,
        series: admin_content::all_names(&db, Vocabulary::Series).await?,
        now,
        may_publish: desk.can(Action::PublishOwnPosts),
        may_see_all,
    };
    Html::page_or_fragment(desk.hx, &view)
}

pub fn routes() -> Vec<Route> {
    routes![index]
}
