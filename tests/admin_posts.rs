//! The admin's post list and editor: roles, validation, publishing, conflicts, bulk actions,
//! revisions, autosave and previews, on both backends.
#![allow(clippy::unwrap_used)]

mod common;

use common::fixtures::{HOUR, base, numbered_posts, post};
use common::{Backend, PASSWORD, Page, TestApp, TestUser, editor_fields as fields, with};
use folio::domain::roles::Role;
use rocket::http::Status;

/// The value of the input named `name` in `html`.
fn value_of(html: &str, name: &str) -> String {
    let needle = format!(r#"name="{name}" value=""#);
    let start = html.find(&needle).unwrap_or_else(|| panic!("no {name} in:\n{html}")) + needle.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn as_user(app: &TestApp, user: &TestUser) {
    app.submit("/sign-out", &[]).await;
    assert_eq!(app.sign_in(&user.email, PASSWORD).await.status, Status::SeeOther);
}

/// Creates a post through the editor; returns its id.
async fn create(app: &TestApp, title: &str, intent: &str) -> String {
    let page = app.submit("/admin/posts/save", &fields(title, "Some *text*.", intent)).await;
    assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    let location = page.header("Location").unwrap().to_owned();
    location.trim_start_matches("/admin/posts/").trim_end_matches("/edit").to_owned()
}

async fn roles_decide_who_writes_publishes_and_edits(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let contributor = app.user(Role::Contributor, "contributor@example.org").await;
    let author = app.user(Role::Author, "author@example.org").await;
    let editor = app.user(Role::Editor, "editor@example.org").await;
    let member = app.user(Role::Member, "member@example.org").await;

    as_user(&app, &contributor).await;
    assert_eq!(app.get("/admin/posts").await.status, Status::Ok);
    let draft = create(&app, "Contributed", "save").await;
    let publish = app
        .submit("/admin/posts/save", &with(fields("Contributed", "x", "publish"), &[("id", &draft)]))
        .await;
    assert_eq!(publish.status, Status::Forbidden, "contributors cannot publish");
    let new_published = app.submit("/admin/posts/save", &fields("Sneaky", "x", "publish")).await;
    assert_eq!(new_published.status, Status::Forbidden);
    app.get("/admin/posts/new").await.assert_lacks(r#"value="publish""#);

    as_user(&app, &author).await;
    let own = create(&app, "Authored", "publish").await;
    assert_eq!(app.get("/posts/authored").await.status, Status::Ok, "authors publish their own posts");
    assert_eq!(
        app.get(&format!("/admin/posts/{draft}/edit")).await.status,
        Status::Forbidden,
        "not others' posts"
    );
    let list = app.get("/admin/posts").await;
    list.assert_contains("Authored");
    list.assert_lacks("Contributed");

    as_user(&app, &editor).await;
    let list = app.get("/admin/posts").await;
    list.assert_contains("Authored");
    list.assert_contains("Contributed");
    let edit = app.get(&format!("/admin/posts/{own}/edit")).await;
    assert_eq!(edit.status, Status::Ok);
    let version = value_of(&edit.body, "version");
    let update = with(fields("Authored, edited", "New text", "save"), &[("id", &own), ("version", &version)]);
    assert_eq!(app.submit("/admin/posts/save", &update).await.status, Status::SeeOther);
    let published = with(fields("Contributed", "x", "publish"), &[("id", &draft), ("version", "1")]);
    assert_eq!(
        app.submit("/admin/posts/save", &published).await.status,
        Status::SeeOther,
        "editors publish anyone's"
    );

    as_user(&app, &member).await;
    assert_eq!(app.get("/admin/posts").await.status, Status::Forbidden);
    assert_eq!(
        app.submit("/admin/posts/save", &fields("Member post", "x", "save")).await.status,
        Status::Forbidden
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE title = 'Member post'").await, 0);
}

async fn invalid_fields_each_get_a_message_and_keep_what_was_typed(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let long_tag = "t".repeat(61);
    let bad = with(
        fields(" ", "My <b>precious</b> draft text", "schedule"),
        &[
            ("slug", "Not A Slug"),
            ("tags", &long_tag),
            ("series_id", "999"),
            ("series_position", "zero"),
            ("cover_image", "javascript:alert(1)"),
            ("publish_at", "someday"),
        ],
    );
    let page = app.submit("/admin/posts/save", &bad).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    for message in [
        "Enter a title.",
        "Use only lowercase letters",
        "Keep each tag name under 60 characters.",
        "That series no longer exists",
        "as a whole number",
        "Enter the cover image as a path",
        "Enter the date and time to publish",
    ] {
        page.assert_contains(message);
    }
    page.assert_contains("My &#60;b&#62;precious&#60;/b&#62; draft text");
    page.assert_contains(r#"value="Not A Slug""#);
    page.assert_contains(r#"aria-invalid="true""#);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0, "nothing saved");

    let token = app.csrf().await;
    let mut hx = vec![("_csrf", token.as_str())];
    hx.extend(fields("", "x", "save"));
    let fragment = app.post("/admin/posts/save", &hx, &[("HX-Request", "true")]).await;
    assert_eq!(fragment.status, Status::UnprocessableEntity);
    assert!(fragment.body.trim_start().starts_with("<form"), "htmx gets the form only:\n{}", fragment.body);
    assert_eq!(fragment.header("Vary"), Some("HX-Request"));

    let past = with(fields("Late", "x", "schedule"), &[("publish_at", "2001-01-01T09:00")]);
    app.submit("/admin/posts/save", &past).await.assert_contains("Choose a moment in the future");
    create(&app, "Taken", "save").await;
    let clash =
        app.submit("/admin/posts/save", &with(fields("Other", "x", "save"), &[("slug", "taken")])).await;
    assert_eq!(clash.status, Status::UnprocessableEntity);
    clash.assert_contains("Another post already uses this slug");
}

async fn publishing_scheduling_and_unpublishing_change_what_readers_see(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let id = create(&app, "Big News", "save").await;
    assert_eq!(app.get("/posts/big-news").await.status, Status::NotFound, "drafts are hidden");
    let tagged = with(
        fields("Big News", "Text", "publish"),
        &[("id", &id), ("version", "1"), ("tags", "Fresh Tag, rust")],
    );
    let done = app.submit("/admin/posts/save", &tagged).await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(app.get("/posts/big-news").await.status, Status::Ok);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tags WHERE slug = 'fresh-tag' AND name = 'Fresh Tag'").await,
        1
    );
    app.get("/tags/fresh-tag").await.assert_contains("Big News");

    let unpublish = with(fields("Big News", "Text", "unpublish"), &[("id", &id), ("version", "2")]);
    assert_eq!(app.submit("/admin/posts/save", &unpublish).await.status, Status::SeeOther);
    assert_eq!(app.get("/posts/big-news").await.status, Status::NotFound);
    app.get("/tags/fresh-tag").await.assert_lacks("Big News");

    let schedule =
        with(fields("Later", "Text", "schedule"), &[("publish_at", "2099-06-01T08:30"), ("series_id", "1")]);
    let later = app.submit("/admin/posts/save", &schedule).await;
    assert_eq!(later.status, Status::SeeOther);
    assert_eq!(app.get("/posts/later").await.status, Status::NotFound, "scheduled posts wait");
    assert_eq!(app.count("SELECT published_at FROM posts WHERE slug = 'later'").await, 4_083_985_800);
    assert_eq!(app.count("SELECT series_position FROM posts WHERE slug = 'later'").await, 1);
    let list = app.get("/admin/posts?status=scheduled").await;
    list.assert_contains("Later");
    list.assert_lacks("Big News");
    app.get("/admin").await.assert_contains("Later");
}

async fn a_second_editor_saving_the_same_version_gets_a_conflict_and_keeps_their_text(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let id = create(&app, "Shared", "save").await;
    let (_other, second) = app.browser_as(Role::Editor).await;
    let first_version = value_of(&app.get(&format!("/admin/posts/{id}/edit")).await.body, "version");
    let second_form = second.get(&format!("/admin/posts/{id}/edit")).await.body;
    let second_version = value_of(&second_form, "version");
    assert_eq!(first_version, second_version);

    let mine =
        with(fields("Shared", "First editor's words", "save"), &[("id", &id), ("version", &first_version)]);
    assert_eq!(app.submit("/admin/posts/save", &mine).await.status, Status::SeeOther);

    let theirs = with(
        fields("Shared", "Second editor's careful paragraph", "save"),
        &[("id", &id), ("version", &second_version)],
    );
    let page = second.submit("/admin/posts/save", &theirs).await;
    assert_eq!(page.status, Status::Conflict);
    page.assert_contains("Someone else saved first");
    page.assert_contains("Second editor&#39;s careful paragraph");
    assert_eq!(
        app.text(&format!("SELECT body_md FROM posts WHERE id = {id}")).await,
        "First editor's words",
        "no silent overwrite"
    );
    // Saving again, having been told, replaces the first editor's text.
    let newer = value_of(&page.body, "version");
    let again = with(theirs.clone(), &[("version", &newer)]);
    assert_eq!(second.submit("/admin/posts/save", &again).await.status, Status::SeeOther);
    assert_eq!(
        app.text(&format!("SELECT body_md FROM posts WHERE id = {id}")).await,
        "Second editor's careful paragraph"
    );
}

async fn bulk_actions_apply_to_the_selection_only(backend: Backend) {
    let mut bundle = base();
    bundle.posts = numbered_posts(4);
    bundle.posts.push(post("Bo's post", 100, &["news"]).into_draft());
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;
    let id = |title: &'static str| {
        let app = &app;
        async move { app.count(&format!("SELECT id FROM posts WHERE title = '{title}'")).await.to_string() }
    };
    let (p1, p2, p3) = (id("Post 1").await, id("Post 2").await, id("Post 3").await);
    let page = app.get("/admin/posts").await;
    page.assert_contains("5 posts");

    let unpublish = app
        .submit(
            "/admin/posts/bulk",
            &[("action", "unpublish"), ("tag", ""), ("back", ""), ("ids", &p1), ("ids", &p2)],
        )
        .await;
    assert_eq!(unpublish.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE status = 'draft'").await, 3);
    assert_eq!(app.get("/posts/post-1").await.status, Status::NotFound);

    let publish = app
        .submit("/admin/posts/bulk", &[("action", "publish"), ("tag", ""), ("back", ""), ("ids", &p1)])
        .await;
    assert_eq!(publish.status, Status::SeeOther);
    assert_eq!(app.get("/posts/post-1").await.status, Status::Ok);

    let tag = app
        .submit(
            "/admin/posts/bulk",
            &[("action", "tag"), ("tag", "Weekly Digest"), ("back", ""), ("ids", &p1), ("ids", &p3)],
        )
        .await;
    assert_eq!(tag.status, Status::SeeOther);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE t.slug = 'weekly-digest'"
        )
        .await,
        2
    );
    app.get("/tags/weekly-digest").await.assert_contains("Post 1");

    let ask = app
        .submit(
            "/admin/posts/bulk",
            &[("action", "delete"), ("tag", ""), ("back", "status=draft"), ("ids", &p2), ("ids", &p3)],
        )
        .await;
    assert_eq!(ask.status, Status::Ok, "deleting asks first");
    ask.assert_contains("Delete 2 posts");
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 5);
    // Whoever sends it: a request from htmx is not taken as confirmed either.
    let token = app.csrf().await;
    let hx_ask = app
        .post(
            "/admin/posts/bulk",
            &[("_csrf", &token), ("action", "delete"), ("tag", ""), ("back", ""), ("ids", &p2)],
            &[("HX-Request", "true")],
        )
        .await;
    hx_ask.assert_contains("Delete the post");
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 5);
    let confirmed = app
        .submit(
            "/admin/posts/bulk",
            &[
                ("action", "delete"),
                ("tag", ""),
                ("back", "status=draft"),
                ("ids", &p2),
                ("ids", &p3),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(confirmed.status, Status::SeeOther);
    assert_eq!(confirmed.header("Location"), Some("/admin/posts?status=draft"));
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'deleted' AND subject = '2 posts'").await,
        1
    );

    let none = app.submit("/admin/posts/bulk", &[("action", "publish"), ("tag", ""), ("back", "")]).await;
    assert_eq!(none.status, Status::SeeOther);
    assert_eq!(app.get("/admin/posts").await.status, Status::Ok);

    // An author's bulk action never reaches someone else's post.
    let author = app.user(Role::Author, "author@example.org").await;
    as_user(&app, &author).await;
    let p4 = id("Post 4").await;
    app.submit(
        "/admin/posts/bulk",
        &[("action", "delete"), ("tag", ""), ("back", ""), ("ids", &p4), ("confirm", "true")],
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE title = 'Post 4'").await, 1);
}

async fn the_list_filters_searches_sorts_and_pages(backend: Backend) {
    let mut bundle = base();
    bundle.posts = numbered_posts(60);
    let mut tagged = post("Design notes", 30, &["design"]);
    tagged.series = Some((common::fixtures::slug("learn-rust"), 1));
    bundle.posts.push(tagged);
    bundle.posts.push(post("100% pure_fun", 40, &[]).into_draft());
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;
    let all = app.get("/admin/posts").await;
    all.assert_contains("62 posts");
    assert_eq!(all.count(r#"name="ids""#), 50);
    all.assert_contains("page=2");
    let second = app.get("/admin/posts?page=2").await;
    assert_eq!(second.count(r#"name="ids""#), 12);

    let search = app.get("/admin/posts?q=DESIGN").await;
    search.assert_contains("1 post<");
    search.assert_contains("Design notes");
    let literal = app.get("/admin/posts?q=100%25").await;
    literal.assert_contains("100% pure_fun");
    literal.assert_contains("1 post<");
    app.get("/admin/posts?q=_").await.assert_contains("1 post<");

    let design = app.count("SELECT id FROM tags WHERE slug = 'design'").await;
    app.get(&format!("/admin/posts?tag={design}")).await.assert_contains("1 post<");
    app.get("/admin/posts?series=1").await.assert_contains("Design notes");
    app.get("/admin/posts?status=draft").await.assert_contains("1 post<");
    let ada = app.count("SELECT id FROM users WHERE slug = 'ada'").await;
    app.get(&format!("/admin/posts?author={ada}&status=published")).await.assert_contains("61 posts");
    let by_title = app.get("/admin/posts?sort=title").await;
    let (a, b) = (by_title.body.find("100% pure_fun").unwrap(), by_title.body.find("Design notes").unwrap());
    assert!(a < b, "sorted by title");
    let fragment = app.get_hx("/admin/posts?status=draft").await;
    assert!(fragment.body.trim_start().starts_with(r#"<div id="results">"#), "{}", fragment.body);
    assert_eq!(app.get("/admin/posts?page=abc&status=nonsense&author=x").await.status, Status::Ok);
}

async fn revisions_are_kept_compared_and_restored(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let id = create(&app, "Evolving", "save").await;
    let edit = |body: &'static str, version: &'static str| {
        let (app, id) = (&app, &id);
        async move {
            let update = with(fields("Evolving", body, "save"), &[("id", id), ("version", version)]);
            assert_eq!(app.submit("/admin/posts/save", &update).await.status, Status::SeeOther);
        }
    };
    edit("line one\nline two\n", "1").await;
    edit("line one\nline 2, rewritten\nline three\n", "2").await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM post_revisions WHERE post_id = {id}")).await, 3);
    let history = app.get(&format!("/admin/posts/{id}/revisions")).await;
    history.assert_contains("Compare with now");
    let second =
        app.count(&format!("SELECT id FROM post_revisions WHERE post_id = {id} AND version = 2")).await;
    let diff = app.get(&format!("/admin/posts/{id}/revisions/{second}")).await;
    diff.assert_contains("diff__row--changed");
    diff.assert_contains("line two");
    diff.assert_contains("line 2, rewritten");
    diff.assert_contains("diff__row--added");

    let restore = app.submit(&format!("/admin/posts/{id}/revisions/{second}/restore"), &[]).await;
    assert_eq!(restore.status, Status::SeeOther);
    assert_eq!(app.text(&format!("SELECT body_md FROM posts WHERE id = {id}")).await, "line one\nline two");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM post_revisions WHERE post_id = {id}")).await, 4);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM post_revisions WHERE post_id = {id} AND note = 'restored version 2'"
        ))
        .await,
        1
    );
    assert_eq!(app.get(&format!("/admin/posts/{id}/revisions/999999")).await.status, Status::NotFound);
}

async fn autosave_creates_then_updates_a_draft(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Contributor).await;
    let token = app.csrf().await;
    let hx = [("HX-Request", "true"), ("X-CSRF-Token", token.as_str())];
    let first = app.post("/admin/posts/autosave", &fields("Typing away", "Half a thought", ""), &hx).await;
    assert_eq!(first.status, Status::Ok);
    first.assert_contains("Draft autosaved");
    first.assert_contains(r#"data-hx-swap-oob="true""#);
    let id = value_of(&first.body, "id");
    assert_eq!(first.header("HX-Replace-Url"), Some(format!("/admin/posts/{id}/edit").as_str()));
    let version = value_of(&first.body, "version");
    let more = with(fields("Typing away", "A whole thought", ""), &[("id", &id), ("version", &version)]);
    let second = app.post("/admin/posts/autosave", &more, &hx).await;
    second.assert_contains("Draft autosaved");
    assert_eq!(app.text(&format!("SELECT body_md FROM posts WHERE id = {id}")).await, "A whole thought");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM post_revisions WHERE post_id = {id}")).await,
        0,
        "autosaves are not revisions"
    );
    let stale = app.post("/admin/posts/autosave", &with(more.clone(), &[("body", "stale")]), &hx).await;
    stale.assert_contains("someone else changed this post");
    let untitled = app.post("/admin/posts/autosave", &fields("", "x", ""), &hx).await;
    untitled.assert_contains("Not autosaved yet");
}

async fn preview_renders_safely_and_preview_links_show_drafts(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let token = app.csrf().await;
    let preview = app
        .post(
            "/admin/posts/preview",
            &[("body", "# Hi\n\n<script>alert(1)</script>\n\n**bold**")],
            &[("X-CSRF-Token", &token), ("HX-Request", "true")],
        )
        .await;
    assert_eq!(preview.status, Status::Ok);
    preview.assert_contains("<strong>bold</strong>");
    preview.assert_lacks("<script");

    let id = create(&app, "Secret Draft", "save").await;
    assert_eq!(app.submit(&format!("/admin/posts/{id}/preview-link"), &[]).await.status, Status::SeeOther);
    let link = app.text(&format!("SELECT preview_token FROM posts WHERE id = {id}")).await;
    app.submit("/sign-out", &[]).await;
    let shown = app.get(&format!("/preview/{link}")).await;
    assert_eq!(shown.status, Status::Ok);
    shown.assert_contains("Secret Draft");
    shown.assert_contains(r#"<meta name="robots" content="noindex">"#);
    assert_eq!(app.get("/posts/secret-draft").await.status, Status::NotFound);
    assert_eq!(app.get("/preview/not-a-token").await.status, Status::NotFound);
}

async fn deleting_a_post_asks_first(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Author).await;
    let id = create(&app, "Doomed", "save").await;
    let ask = app.get(&format!("/admin/posts/{id}/delete")).await;
    assert_eq!(ask.status, Status::Ok);
    ask.assert_contains("Delete the post");
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 1);
    let gone = app.submit(&format!("/admin/posts/{id}/delete"), &[("confirm", "true")]).await;
    assert_eq!(gone.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM post_revisions").await, 0);
    assert_eq!(app.get(&format!("/admin/posts/{id}/edit")).await.status, Status::NotFound);
}

async fn editors_hand_posts_to_another_author_and_no_one_else_can(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let author = app.user(Role::Author, "author@example.org").await;
    let member = app.user(Role::Member, "member@example.org").await;
    let editor = app.signed_in(Role::Editor).await;
    let editor_id = editor.id.to_string();
    let new = app.get("/admin/posts/new").await;
    new.assert_contains(&format!(r#"<option value="{editor_id}" selected>"#));

    // Written by the editor for the author.
    let for_author = author.id.to_string();
    let create = with(fields("Guest column", "Words.", "save"), &[("author", &for_author)]);
    let saved = app.submit("/admin/posts/save", &create).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let id = app.count("SELECT id FROM posts WHERE title = 'Guest column'").await.to_string();
    let owner = format!("SELECT author_id FROM posts WHERE id = {id}");
    assert_eq!(app.count(&owner).await, author.id);
    app.get(&format!("/admin/posts/{id}/edit"))
        .await
        .assert_contains(&format!(r#"<option value="{}" selected>"#, author.id));

    // A reader is not staff: the form comes back with the choice and a message.
    let to_member = member.id.to_string();
    let bad = with(
        fields("Guest column", "Words.", "save"),
        &[("id", &id), ("version", "1"), ("author", &to_member)],
    );
    let refused = app.submit("/admin/posts/save", &bad).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    refused.assert_contains("Only staff can be a post");
    refused.assert_contains(r#"aria-describedby="f-author-error""#);
    assert_eq!(app.count(&owner).await, author.id);

    let back = with(
        fields("Guest column", "Words.", "save"),
        &[("id", &id), ("version", "1"), ("author", &editor_id)],
    );
    assert_eq!(app.submit("/admin/posts/save", &back).await.status, Status::SeeOther);
    assert_eq!(app.count(&owner).await, editor.id);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE detail = 'author: editor'").await,
        1,
        "audited"
    );

    // An author no longer among the active staff stays preselected on their own post, and is
    // not offered for others.
    app.sql(&format!("UPDATE posts SET author_id = {} WHERE id = {id}", author.id)).await;
    app.sql(&format!("UPDATE users SET disabled_at = 1 WHERE id = {}", author.id)).await;
    let edit = app.get(&format!("/admin/posts/{id}/edit")).await;
    edit.assert_contains(&format!(r#"<option value="{}" selected>author</option>"#, author.id));
    app.get("/admin/posts/new").await.assert_lacks(&format!(r#"<option value="{}">author<"#, author.id));
    let to_disabled = with(fields("Another", "Words.", "save"), &[("author", &for_author)]);
    assert_eq!(app.submit("/admin/posts/save", &to_disabled).await.status, Status::UnprocessableEntity);
    app.sql(&format!("UPDATE users SET disabled_at = NULL WHERE id = {}", author.id)).await;

    // An author's form never hands a post on, whatever it sends.
    as_user(&app, &author).await;
    app.get("/admin/posts/new").await.assert_lacks(r#"name="author""#);
    let own = with(fields("Mine", "Words.", "save"), &[("author", &editor_id)]);
    assert_eq!(app.submit("/admin/posts/save", &own).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT author_id FROM posts WHERE title = 'Mine'").await, author.id);
}

/// Where each of `titles` appears in `page`, asserting they appear in that order.
fn assert_order(page: &Page, titles: &[&str]) {
    let at: Vec<usize> = titles
        .iter()
        .map(|t| page.body.find(t).unwrap_or_else(|| panic!("{t} missing from:\n{}", page.body)))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "expected the order {titles:?}");
}

async fn tag_lists_and_title_search_follow_every_change(backend: Backend) {
    let mut bundle = base();
    bundle.posts = vec![
        post("Alpha study", 3 * HOUR, &["design"]),
        post("Beta sketch", 5 * HOUR, &["design"]),
        post("Gamma outline", 7 * HOUR, &["design"]).into_draft(),
        post("Untagged note", 9 * HOUR, &[]),
    ];
    let app = TestApp::new(backend, bundle).await;
    app.signed_in(Role::Editor).await;
    let design = app.count("SELECT id FROM tags WHERE slug = 'design'").await;
    let tagged = format!("/admin/posts?tag={design}");
    let id = |title: &'static str| {
        let app = &app;
        async move { app.count(&format!("SELECT id FROM posts WHERE title = '{title}'")).await.to_string() }
    };
    let list = app.get(&tagged).await;
    list.assert_contains("3 posts<");
    list.assert_lacks("Untagged note");
    assert_order(&list, &["Alpha study", "Beta sketch", "Gamma outline"]);

    // Publishing changes the post, not its tags: the tag's list still follows the change.
    let gamma = id("Gamma outline").await;
    let publish = [("action", "publish"), ("tag", ""), ("back", ""), ("ids", gamma.as_str())];
    assert_eq!(app.submit("/admin/posts/bulk", &publish).await.status, Status::SeeOther);
    assert_order(&app.get(&tagged).await, &["Gamma outline", "Alpha study", "Beta sketch"]);

    // Renaming a post moves it to the top and changes what the search finds.
    let beta = id("Beta sketch").await;
    let rename = with(
        fields("Beta, revised", "Reworked.", "save"),
        &[("id", &beta), ("version", "1"), ("tags", "design"), ("slug", "beta-sketch")],
    );
    assert_eq!(app.submit("/admin/posts/save", &rename).await.status, Status::SeeOther);
    let list = app.get(&tagged).await;
    assert_order(&list, &["Beta, revised", "Alpha study"]);
    assert_order(&list, &["Gamma outline", "Alpha study"]);
    app.get("/admin/posts?q=REVISED").await.assert_contains("Beta, revised");
    app.get("/admin/posts?q=sketch").await.assert_contains("0 posts");
    app.get("/admin/posts?q=ta%2C%20rev").await.assert_contains("1 post<");

    // Tagging in bulk adds a post to the tag's list; the oldest-first orders read the same rows.
    let untagged = id("Untagged note").await;
    let tag = [("action", "tag"), ("tag", "Design"), ("back", ""), ("ids", untagged.as_str())];
    assert_eq!(app.submit("/admin/posts/bulk", &tag).await.status, Status::SeeOther);
    let list = app.get(&tagged).await;
    list.assert_contains("4 posts<");
    assert_order(&list, &["Untagged note", "Beta, revised"]);
    assert_order(
        &app.get(&format!("{tagged}&sort=created")).await,
        &["Untagged note", "Gamma outline", "Beta, revised", "Alpha study"],
    );
    assert_order(
        &app.get(&format!("{tagged}&sort=title&q=a")).await,
        &["Alpha study", "Beta, revised", "Gamma outline"],
    );

    // Short needles, quotes and deleted posts.
    app.get("/admin/posts?q=st").await.assert_contains("Alpha study");
    let quoted = app.get("/admin/posts?q=%22Alpha").await;
    assert_eq!(quoted.status, Status::Ok);
    quoted.assert_contains("0 posts");
    let alpha = id("Alpha study").await;
    let delete =
        [("action", "delete"), ("tag", ""), ("back", ""), ("ids", alpha.as_str()), ("confirm", "true")];
    assert_eq!(app.submit("/admin/posts/bulk", &delete).await.status, Status::SeeOther);
    app.get("/admin/posts?q=study").await.assert_contains("0 posts");
    app.get(&tagged).await.assert_contains("3 posts<");
}

/// Single save, autosave, bulk actions, revision restore and delete all ask one rule: a
/// contributor's post is out of their hands once it is published.
async fn every_path_to_a_post_follows_one_permission_rule(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let contributor = app.user(Role::Contributor, "contributor@example.org").await;
    as_user(&app, &contributor).await;
    let draft = create(&app, "Still mine", "save").await;
    let live = create(&app, "Out of my hands", "save").await;
    app.sql(&format!("UPDATE posts SET status = 'published', published_at = 1 WHERE id = {live}")).await;
    let before = app.text(&format!("SELECT title || '|' || version FROM posts WHERE id = {live}")).await;

    let bulk = |action: &'static str, ids: Vec<String>| {
        let app = &app;
        async move {
            let mut fields = vec![("action", action), ("tag", "Sneaky"), ("back", ""), ("confirm", "true")];
            fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
            app.submit("/admin/posts/bulk", &fields).await
        }
    };
    bulk("tag", vec![live.clone()]).await;
    bulk("delete", vec![live.clone()]).await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM post_tags WHERE post_id = {live}")).await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM posts WHERE id = {live}")).await, 1);
    let edit = with(fields("Changed", "x", "save"), &[("id", &live), ("version", "1")]);
    assert_eq!(app.submit("/admin/posts/save", &edit).await.status, Status::Forbidden);
    assert_eq!(app.submit("/admin/posts/autosave", &edit).await.status, Status::Forbidden);
    let revision = app.count(&format!("SELECT MIN(id) FROM post_revisions WHERE post_id = {live}")).await;
    let restore = format!("/admin/posts/{live}/revisions/{revision}/restore");
    assert_eq!(app.submit(&restore, &[]).await.status, Status::Forbidden);
    assert_eq!(app.submit(&format!("/admin/posts/{live}/delete"), &[]).await.status, Status::Forbidden);
    assert_eq!(
        app.text(&format!("SELECT title || '|' || version FROM posts WHERE id = {live}")).await,
        before
    );

    // Their own draft stays theirs, by every path.
    let tagged = bulk("tag", vec![draft.clone(), live.clone()]).await;
    assert_eq!(tagged.status, Status::SeeOther);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM post_tags WHERE post_id = {draft}")).await, 1);
    bulk("delete", vec![draft.clone()]).await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM posts WHERE id = {draft}")).await, 0);
}

/// A bulk action names at most a page's worth of posts, and only as a URL-encoded form.
async fn bulk_actions_are_bounded(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let many: Vec<String> = (1..=201).map(|i| i.to_string()).collect();
    let mut fields = vec![("action", "publish"), ("tag", ""), ("back", "")];
    fields.extend(many.iter().map(|id| ("ids", id.as_str())));
    let refused = app.submit("/admin/posts/bulk", &fields).await;
    assert_eq!(refused.status, Status::SeeOther);
    app.get("/admin/posts").await.assert_contains("Select at most 200 posts at a time.");
    // 40,000 ids sent as multipart: refused before anything is parsed or locked.
    let ids: Vec<String> = (1..=40_000).map(|i| i.to_string()).collect();
    let mut fields = vec![("action", "delete"), ("tag", ""), ("back", ""), ("confirm", "true")];
    fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
    let page = app.upload("/admin/posts/bulk", &fields, "x.png", b"x").await;
    assert!(matches!(page.status.code, 413 | 415), "{}", page.status);
    let huge = app
        .post_raw(
            "/admin/posts/bulk",
            format!("_csrf={}&ids=", app.csrf().await)
                .into_bytes()
                .into_iter()
                .chain(std::iter::repeat_n(b'1', 70_000))
                .collect(),
        )
        .await;
    assert_eq!(huge.status, Status::PayloadTooLarge);
}

/// The editor takes a body as long as it allows (1,000,000 characters), saved and autosaved.
async fn a_body_at_the_maximum_length_saves(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    // Four-byte characters, the worst case for the form's encoded size.
    // 142,857 × 7 characters, and one more.
    let body: String = "😀 word ".repeat(142_857) + "x";
    assert_eq!(body.chars().count(), 1_000_000);
    let saved = app.submit("/admin/posts/save", &fields("The longest post", &body, "save")).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", &saved.body[..saved.body.len().min(2000)]);
    let id = saved
        .header("Location")
        .unwrap()
        .trim_start_matches("/admin/posts/")
        .trim_end_matches("/edit")
        .to_owned();
    let autosave = with(fields("The longest post", &body, "save"), &[("id", &id), ("version", "1")]);
    let autosaved = app.submit("/admin/posts/autosave", &autosave).await;
    assert_eq!(autosaved.status, Status::Ok);
    autosaved.assert_contains("Draft autosaved");
    assert_eq!(
        app.count("SELECT CAST(LENGTH(body_md) AS BIGINT) FROM posts WHERE title = 'The longest post'").await,
        1_000_000
    );
    let too_long = body + "y";
    let refused = app.submit("/admin/posts/save", &fields("Longer still", &too_long, "save")).await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
    refused.assert_contains("under 1000000 characters");
}

/// Names that fold onto the same slug never merge: "C#" does not land on "C++", a second
/// "Weekly notes" gets its own address, and typing an existing name reuses its tag.
async fn lossy_slugs_never_merge_names(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let tagged = |title: &'static str, tags: &'static str| {
        let app = &app;
        async move {
            let page = app
                .submit("/admin/posts/save", &with(fields(title, "x", "publish"), &[("tags", tags)]))
                .await;
            assert_eq!(page.status, Status::SeeOther, "{}", page.body);
        }
    };
    tagged("On C++", "C++").await;
    tagged("On C#", "C#").await;
    tagged("Going", "Go!").await;
    tagged("Going again", "Go?").await;
    tagged("More C#", "c#").await;
    let tag_of = |title: &str| {
        format!(
            "SELECT t.name FROM tags t JOIN post_tags pt ON pt.tag_id = t.id JOIN posts p ON p.id = pt.post_id WHERE p.title = '{title}'"
        )
    };
    assert_eq!(app.text(&tag_of("On C++")).await, "C++");
    assert_eq!(app.text(&tag_of("On C#")).await, "C#");
    assert_eq!(app.text(&tag_of("More C#")).await, "C#", "the same name, another case, is the same tag");
    assert_eq!(app.text(&tag_of("Going again")).await, "Go?");
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT slug) FROM tags WHERE name IN ('C#', 'C++', 'Go!', 'Go?')").await,
        4
    );
    app.get("/tags/c-sharp").await.assert_contains("On C#");
    let go = app.get("/tags/go-2").await;
    go.assert_contains("Going again");
    go.assert_lacks(">Going<");
    // Bulk tagging follows the same rule.
    let id = app.count("SELECT id FROM posts WHERE title = 'Going'").await.to_string();
    let bulk = [("action", "tag"), ("tag", "Go?"), ("back", ""), ("ids", id.as_str())];
    assert_eq!(app.submit("/admin/posts/bulk", &bulk).await.status, Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM tags WHERE name LIKE 'Go%'").await, 2);
}

async fn posts_with_the_same_title_get_their_own_slugs(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    for _ in 0..3 {
        create(&app, "Weekly notes", "publish").await;
    }
    let slugs = app.text("SELECT string_agg(slug, ',' ORDER BY id) FROM posts").await;
    assert_eq!(slugs, "weekly-notes,weekly-notes-2,weekly-notes-3");
    assert_eq!(app.get("/posts/weekly-notes-3").await.status, Status::Ok);
    // Autosaving a fourth works too.
    let autosaved = app.submit("/admin/posts/autosave", &fields("Weekly notes", "Draft", "save")).await;
    autosaved.assert_contains("Draft autosaved");
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE slug = 'weekly-notes-4'").await, 1);
    // Long titles too: the number takes the place of the slug's end.
    let long = "A very long title ".repeat(8);
    for _ in 0..3 {
        create(&app, &long, "save").await;
    }
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT slug) FROM posts WHERE slug LIKE 'a-very-long-title-%'").await,
        3
    );
    // Titles that differ only in symbols are told apart or numbered.
    create(&app, "Go!", "save").await;
    create(&app, "Go?", "save").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM posts WHERE slug IN ('go', 'go-2')").await, 2);
    // A slug the writer typed is still theirs to fix.
    let typed = app
        .submit("/admin/posts/save", &with(fields("Other", "x", "save"), &[("slug", "weekly-notes")]))
        .await;
    assert_eq!(typed.status, Status::UnprocessableEntity);
    typed.assert_contains("Another post already uses this slug");
}

/// Writers saving at once posts with one title and tags whose names make one slug each get their
/// own numbered slugs, never an error: more writers at once than a fixed number of tries.
async fn simultaneous_saves_each_get_a_free_slug(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let tags: Vec<String> = (1..=12).map(|n| format!("Go{}", "!".repeat(n))).collect();
    let saves = tags.iter().map(|tag| {
        let app = &app;
        async move {
            let form = with(fields("Weekly notes", "x", "publish"), &[("tags", tag.as_str())]);
            app.submit("/admin/posts/save", &form).await
        }
    });
    for page in rocket::futures::future::join_all(saves).await {
        assert_eq!(page.status, Status::SeeOther, "{}", page.body);
    }
    assert_eq!(app.count("SELECT COUNT(DISTINCT slug) FROM posts WHERE title = 'Weekly notes'").await, 12);
    assert_eq!(app.count("SELECT COUNT(DISTINCT slug) FROM tags WHERE name LIKE 'Go!%'").await, 12);
    assert_eq!(app.count("SELECT COUNT(*) FROM post_tags").await, 12);
}

/// Whatever makes an autosave fail, the writer sees it in the status line.
async fn autosave_failures_are_shown_to_the_writer(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let headers = [("HX-Request", "true"), ("HX-Target", "autosave")];
    let token = app.csrf().await;
    let too_big = "x".repeat(13 * 1024 * 1024);
    let mut all = vec![("_csrf", token.as_str())];
    all.extend(fields("Huge", &too_big, "save"));
    let page = app.post("/admin/posts/autosave", &all, &headers).await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains("Not autosaved: Too large.");
    assert!(page.body.len() < 1000, "a status line, not a page");
    app.submit("/sign-out", &[]).await;
    let token = app.csrf().await;
    let mut all = vec![("_csrf", token.as_str())];
    all.extend(fields("Signed out", "x", "save"));
    let page = app.post("/admin/posts/autosave", &all, &headers).await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains("Not autosaved: Signed out.");
}

/// One omission, one message: with the title left empty, the slug that would be made from it is
/// not reported too (posts, pages, and tags alike).
async fn an_empty_form_gets_one_message_per_omission(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    app.signed_in(Role::Editor).await;
    let messages = |page: &common::Page| page.count("<li><a href=\"#f-");
    let post = app.submit("/admin/posts/save", &fields("", "", "save")).await;
    assert_eq!(post.status, Status::UnprocessableEntity);
    post.assert_contains("Enter a title.");
    assert_eq!(messages(&post), 1, "{}", post.body);
    let page = app
        .submit(
            "/admin/pages/save",
            &[
                ("id", ""),
                ("version", "0"),
                ("title", ""),
                ("slug", ""),
                ("body", ""),
                ("seo_title", ""),
                ("seo_description", ""),
            ],
        )
        .await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert_eq!(messages(&page), 1, "{}", page.body);
    let tag =
        app.submit("/admin/tags/save", &[("id", ""), ("name", ""), ("slug", ""), ("description", "")]).await;
    assert_eq!(tag.status, Status::UnprocessableEntity);
    assert_eq!(messages(&tag), 1, "{}", tag.body);
    // A title with nothing to make a slug of still says so, once.
    let symbols = app.submit("/admin/posts/save", &fields("!!!", "", "save")).await;
    symbols.assert_contains("the title has no letters or digits");
    assert_eq!(messages(&symbols), 1, "{}", symbols.body);
}

both_backends!(
    simultaneous_saves_each_get_a_free_slug,
    lossy_slugs_never_merge_names,
    posts_with_the_same_title_get_their_own_slugs,
    autosave_failures_are_shown_to_the_writer,
    every_path_to_a_post_follows_one_permission_rule,
    bulk_actions_are_bounded,
    a_body_at_the_maximum_length_saves,
    roles_decide_who_writes_publishes_and_edits,
    an_empty_form_gets_one_message_per_omission,
    invalid_fields_each_get_a_message_and_keep_what_was_typed,
    publishing_scheduling_and_unpublishing_change_what_readers_see,
    a_second_editor_saving_the_same_version_gets_a_conflict_and_keeps_their_text,
    bulk_actions_apply_to_the_selection_only,
    the_list_filters_searches_sorts_and_pages,
    revisions_are_kept_compared_and_restored,
    autosave_creates_then_updates_a_draft,
    preview_renders_safely_and_preview_links_show_drafts,
    deleting_a_post_asks_first,
    tag_lists_and_title_search_follow_every_change,
    editors_hand_posts_to_another_author_and_no_one_else_can,
);
