//! The newsletter (issue 18), end to end through a real SMTP server: double opt-in, a member's
//! one click, the post mailed once with its list headers, RFC 8058 one-click unsubscribe,
//! bounces, the digest, mail-only posts, and exactly once with several processes and a stop.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::fixtures::{DAY, base, post};
use common::smtp::{Received, SmtpSink};
use common::{Backend, Browser, TestApp, editor_fields, with};
use folio::domain::newsletter::{DigestPeriod, digest_due};
use folio::domain::roles::Role;
use rocket::figment::Figment;
use rocket::http::Status;

const READER: &str = "reader@example.org";

async fn site(backend: Backend, extra: Figment) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let mut bundle = base();
    bundle.posts = vec![post("Hello world", DAY, &["rust"])];
    let figment = Figment::new().merge(("smtp_url", sink.url())).merge(extra);
    (TestApp::with_config(backend, bundle, figment).await, sink)
}

/// Signs `email` up from a form as a person would, and follows the confirmation link.
async fn subscribe(app: &TestApp, sink: &SmtpSink, email: &str, cadence: &str) {
    let b = app.browser().await;
    let sent = b
        .submit_stamped(
            &format!("/subscribe?email={email}&source=article"),
            "/subscribe",
            &[("email", email), ("cadence", cadence), ("source", "article")],
        )
        .await;
    assert_eq!(sent.status, Status::SeeOther, "{}", sent.body);
    assert_eq!(sent.header("Location"), Some("/subscribe/check-inbox"));
    let mail = sink.wait_for_text(email, "Confirm your subscription").await;
    let link = path_of(&mail, "/subscribe/confirm/");
    // The link shows a button and changes nothing; the button confirms.
    b.get(&link).await.assert_contains("Confirm my subscription");
    assert_eq!(
        app.text(&format!("SELECT status FROM subscribers WHERE email = '{email}'")).await,
        "unconfirmed"
    );
    let confirmed = b.submit(&link, &[]).await;
    assert_eq!(confirmed.status, Status::SeeOther, "{}", confirmed.body);
    assert!(confirmed.header("Location").unwrap().starts_with("/newsletter/"));
}

fn path_of(mail: &Received, prefix: &str) -> String {
    let url = mail
        .link(&format!("http://localhost:8000{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} in {}", mail.text()));
    url.trim_start_matches("http://localhost:8000").to_owned()
}

/// Saves a new post as an editor with the newsletter choice `newsletter` and `intent`.
async fn write_post(editor: &Browser, title: &str, intent: &str, newsletter: &str, publish_at: &str) {
    let fields = with(
        editor_fields(title, "Some *words* and [a link](/about).", intent),
        &[("newsletter", newsletter), ("publish_at", publish_at)],
    );
    let saved = editor.submit("/admin/posts/save", &fields).await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
}

fn to(mails: &[Received], email: &str, text: &str) -> usize {
    mails.iter().filter(|m| m.to.iter().any(|t| t == email) && m.text().contains(text)).count()
}

async fn double_opt_in_then_each_post_once_with_list_headers_and_one_click_unsubscribe(backend: Backend) {
    let (app, sink) = site(backend, Figment::new()).await;
    subscribe(&app, &sink, READER, "post").await;
    let row = app
        .text(&format!("SELECT source || '/' || consent_how FROM subscribers WHERE email = '{READER}'"))
        .await;
    assert_eq!(row, "article/confirmed by mail");

    // Signing up again is answered the same, and the mail (not the page) says it was known.
    let again = app.browser().await;
    let sent =
        again.submit_stamped("/subscribe", "/subscribe", &[("email", READER), ("cadence", "digest")]).await;
    assert_eq!(sent.header("Location"), Some("/subscribe/check-inbox"));
    sink.wait_for_text(READER, "You are already subscribed").await;
    // A stranger did not change the cadence.
    assert_eq!(app.text(&format!("SELECT cadence FROM subscribers WHERE email = '{READER}'")).await, "post");

    let (_, editor) = app.browser_as(Role::Editor).await;
    write_post(&editor, "Big news", "publish", "send", "").await;
    let mail = sink.wait_for_text(READER, "Big news").await;
    let unsubscribe = mail.header("List-Unsubscribe").unwrap();
    assert!(unsubscribe.starts_with("<http://localhost:8000/unsubscribe/"), "{unsubscribe}");
    assert_eq!(mail.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    assert!(mail.header("List-Id").unwrap().ends_with("<newsletter.localhost>"));
    let message_id = mail.header("Message-ID").unwrap();
    assert!(message_id.starts_with("<mailing-") && message_id.ends_with("@localhost>"), "{message_id}");
    let text = mail.text();
    assert!(text.contains("http://localhost:8000/about"), "links are absolute: {text}");
    assert!(text.contains("http://localhost:8000/posts/big-news"), "a web version link");
    assert!(text.contains("because you subscribed"), "the footer says why");
    // The CSS is inlined for mail clients that drop <style>.
    assert!(!text.contains("<style") && text.contains("<h1 style="), "{text}");
    // The one mailing, once; a second scan in another process makes nothing more.
    let _other_process = app.browser().await;
    rocket::tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(to(&sink.received(), READER, "Big news"), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM mailings").await, 1);

    // RFC 8058: the mail client POSTs exactly this body, with no cookie and no token.
    let url = unsubscribe.trim_matches(['<', '>']).trim_start_matches("http://localhost:8000").to_owned();
    let client = app.browser().await;
    let res = client.post(&url, &[("List-Unsubscribe", "One-Click")], &[]).await;
    assert_eq!(res.status, Status::Ok, "{}", res.body);
    res.assert_contains("You are unsubscribed");
    assert_eq!(
        app.text(&format!("SELECT status FROM subscribers WHERE email = '{READER}'")).await,
        "unsubscribed"
    );
    // A GET of the same address (a scanner) changes nothing and shows a button.
    client.get(&url).await.assert_contains("Stop sending");
    // A forged signature does nothing.
    let forged = format!("{}x", url);
    assert_eq!(
        client.post(&forged, &[("List-Unsubscribe", "One-Click")], &[]).await.status,
        Status::NotFound
    );

    write_post(&editor, "More news", "publish", "send", "").await;
    app.eventually("SELECT COUNT(*) FROM mailings", 2).await;
    app.eventually("SELECT COUNT(*) FROM outbox WHERE mailing_id IS NOT NULL", 1).await;
    // A post published without the choice is not mailed.
    write_post(&editor, "Quiet news", "publish", "", "").await;
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM mailings").await, 2);
}

async fn the_manage_page_changes_the_cadence_and_leaves_and_rejoins(backend: Backend) {
    let (app, sink) = site(backend, Figment::new()).await;
    subscribe(&app, &sink, READER, "post").await;
    let mail = sink.wait_for_text(READER, "Confirm your subscription").await;
    let b = app.browser().await;
    let confirmed = b.submit(&path_of(&mail, "/subscribe/confirm/"), &[]).await;
    let manage = confirmed.header("Location").unwrap().to_owned();
    b.get(&manage).await.assert_contains(READER);
    let saved = b.submit(&manage, &[("action", "cadence"), ("cadence", "digest")]).await;
    assert_eq!(saved.status, Status::SeeOther);
    assert_eq!(
        app.text(&format!("SELECT cadence FROM subscribers WHERE email = '{READER}'")).await,
        "digest"
    );
    b.submit(&manage, &[("action", "leave")]).await;
    b.get(&manage).await.assert_contains("Subscribe again");
    b.submit(&manage, &[("action", "rejoin")]).await;
    assert_eq!(
        app.text(&format!("SELECT status FROM subscribers WHERE email = '{READER}'")).await,
        "subscribed"
    );
    // Without its signature, or with another subscriber's, the page is not found.
    let id = manage.split('/').nth(2).unwrap();
    assert_eq!(b.get(&format!("/newsletter/{id}/forged")).await.status, Status::NotFound);
}

async fn bad_addresses_and_bots_get_clear_answers(backend: Backend) {
    let (app, sink) = site(backend, Figment::new()).await;
    // The home page and articles carry the sign-up as a plain GET form (no token: the same bytes
    // for everyone), leading to the form that posts.
    for page in ["/", "/posts/hello-world"] {
        let html = app.get(page).await;
        html.assert_contains("<form class=\"subscribe-box__form\" method=\"get\" action=\"/subscribe\"");
    }
    let b = app.browser().await;
    let bad = b
        .submit_stamped("/subscribe", "/subscribe", &[("email", "not an address"), ("cadence", "post")])
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    bad.assert_contains("name@example.org");
    bad.assert_contains("value=\"not an address\"");
    // Too quick: refused with the address kept.
    let stamp = common::value_of(&b.get("/subscribe").await.body, "stamp").unwrap();
    let quick = b.submit("/subscribe", &[("stamp", &stamp), ("email", READER)]).await;
    assert_eq!(quick.status, Status::UnprocessableEntity);
    quick.assert_contains(READER);
    // The honeypot: told what everyone is told, and nothing stored or sent.
    let bot =
        b.submit_stamped("/subscribe", "/subscribe", &[("email", READER), ("website", "http://spam")]).await;
    assert_eq!(bot.header("Location"), Some("/subscribe/check-inbox"));
    assert_eq!(app.count("SELECT COUNT(*) FROM subscribers").await, 0);
    assert!(sink.received().is_empty());
}

async fn a_member_subscribes_in_one_click(backend: Backend) {
    let (app, sink) = site(backend, Figment::new()).await;
    let (member, b) = app.browser_as(Role::Member).await;
    let page = b.get("/subscribe").await;
    page.assert_contains(&member.email);
    let done = b.submit("/subscribe", &[("email", &member.email), ("cadence", "post")]).await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    let row = app
        .text(&format!(
            "SELECT status || '/' || consent_how FROM subscribers WHERE email = '{}'",
            member.email
        ))
        .await;
    assert_eq!(row, "subscribed/signed-in member");
    rocket::tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(sink.received().is_empty(), "no confirmation mail for a member's own address");
}

async fn permanent_refusals_mark_the_address_bounced(backend: Backend) {
    let (app, sink) = site(backend, Figment::new().merge(("newsletter_bounce_limit", 1))).await;
    subscribe(&app, &sink, READER, "post").await;
    subscribe(&app, &sink, "gone@example.org", "post").await;
    sink.bounce("gone@example.org");
    let (_, editor) = app.browser_as(Role::Editor).await;
    write_post(&editor, "Big news", "publish", "send", "").await;
    sink.wait_for_text(READER, "Big news").await;
    app.eventually("SELECT COUNT(*) FROM subscribers WHERE status = 'bounced'", 1).await;
    app.eventually("SELECT COUNT(*) FROM outbox WHERE bounced", 1).await;
    // The report counts it; the next mailing skips the address.
    let (_, admin) = app.browser_as(Role::Admin).await;
    let report = admin.get("/admin/subscribers/mailings").await;
    report.assert_contains("Big news");
    write_post(&editor, "More news", "publish", "send", "").await;
    sink.wait_for_text(READER, "More news").await;
    let queued =
        "SELECT COUNT(*) FROM outbox o JOIN mailings m ON m.id = o.mailing_id WHERE m.subject = 'More news'";
    assert_eq!(app.count(queued).await, 1);
}

async fn digests_list_the_period_and_mail_only_posts_never_reach_the_site(backend: Backend) {
    let (app, sink) = site(backend, Figment::new()).await;
    subscribe(&app, &sink, READER, "post").await;
    subscribe(&app, &sink, "digest@example.org", "digest").await;
    let (_, editor) = app.browser_as(Role::Editor).await;
    write_post(&editor, "Members letter", "publish", "only", "").await;
    sink.wait_for_text(READER, "Members letter").await;
    let status = app.text("SELECT status FROM posts WHERE title = 'Members letter'").await;
    assert_eq!(status, "draft", "a mail-only post stays off the site");
    assert_eq!(app.get("/posts/members-letter").await.status, Status::NotFound);
    assert!(
        !sink
            .received()
            .iter()
            .any(|m| m.text().contains("Read this on the web") && m.text().contains("Members letter"))
    );
    write_post(&editor, "Public piece", "publish", "", "").await;

    // The next digest moment, as the site's clock moves there.
    let now = folio::domain::now();
    let next = (1..40)
        .filter_map(|days| digest_due(DigestPeriod::Monthly, 8, now + days * DAY))
        .find(|d| d.at > now)
        .unwrap();
    app.advance_clock(next.at - now + 5);
    let digest = sink.wait_for_text("digest@example.org", "Public piece").await;
    assert!(digest.text().contains("Hello world") || next.previous > now - DAY);
    assert!(!digest.text().contains("Members letter"), "mail-only posts are not in the digest");
    assert!(digest.header("List-Unsubscribe-Post").is_some());
    // Every-post subscribers get no digest, and a digest is made once.
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM mailings WHERE kind = 'digest'").await, 1);
    assert_eq!(to(&sink.received(), READER, "New on"), 0);
}

/// A post scheduled to be sent goes out when it goes live, with no further step.
async fn a_scheduled_post_is_mailed_when_it_goes_live(backend: Backend) {
    let (app, sink) = site(backend, Figment::new()).await;
    subscribe(&app, &sink, READER, "post").await;
    let (_, editor) = app.browser_as(Role::Editor).await;
    let at = folio::domain::editor::datetime_local(folio::domain::now() + 120);
    write_post(&editor, "Tomorrow's news", "schedule", "send", &at).await;
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM mailings").await, 0, "not before its moment");
    app.advance_clock(180);
    let mail = sink.wait_for_text(READER, "Tomorrow").await;
    assert!(mail.text().contains("/posts/tomorrow-s-news") || mail.text().contains("/posts/tomorrows-news"));
}

/// Several processes send one mailing, one of them stops half way: everyone gets it once.
async fn each_subscriber_gets_a_mailing_exactly_once_across_processes_and_a_stop(backend: Backend) {
    let (app, sink) = site(backend, Figment::new()).await;
    let n = 40;
    for i in 0..n {
        app.sql(&format!(
            "INSERT INTO subscribers (email, status, cadence, source, created_at, consent_at, consent_how, changed_at)
             VALUES ('s{i}@example.org', 'subscribed', 'post', 'import', 1, 1, 'import', 1)"
        ))
        .await;
    }
    sink.delay(40);
    let second = app.browser().await;
    let third = app.browser().await;
    let (_, editor) = app.browser_as(Role::Editor).await;
    write_post(&editor, "For everyone", "publish", "send", "").await;
    // Stop one process once the sending is under way, as a restart would.
    for _ in 0..200 {
        if sink.received().len() >= 5 {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    second.client.rocket().shutdown().notify();
    app.eventually("SELECT COUNT(*) FROM outbox WHERE mailing_id IS NOT NULL AND sent_at IS NOT NULL", n)
        .await;
    drop(third);
    let mut per: HashMap<String, usize> = HashMap::new();
    for m in sink.received().iter().filter(|m| m.text().contains("For everyone")) {
        for t in &m.to {
            *per.entry(t.clone()).or_default() += 1;
        }
    }
    assert_eq!(per.len(), usize::try_from(n).unwrap());
    assert!(per.values().all(|c| *c == 1), "{per:?}");
}

/// The configured pace holds: at 120 a minute, 6 messages take at least 2 s after the first
/// second's burst.
async fn the_rate_is_kept(backend: Backend) {
    let (app, sink) = site(backend, Figment::new().merge(("newsletter_rate", 120))).await;
    for i in 0..6 {
        app.sql(&format!(
            "INSERT INTO subscribers (email, status, cadence, source, created_at, changed_at)
             VALUES ('r{i}@example.org', 'subscribed', 'post', 'import', 1, 1)"
        ))
        .await;
    }
    let (_, editor) = app.browser_as(Role::Editor).await;
    let started = std::time::Instant::now();
    write_post(&editor, "Paced", "publish", "send", "").await;
    app.eventually("SELECT COUNT(*) FROM outbox WHERE mailing_id IS NOT NULL AND sent_at IS NOT NULL", 6)
        .await;
    let took = started.elapsed();
    // 120 a minute is one per 500 ms; a burst of two, then four more at 500 ms each.
    assert!(took >= std::time::Duration::from_millis(1800), "6 messages took {took:?}");
    assert_eq!(to(&sink.received(), "r5@example.org", "Paced"), 1);
}

/// dkimpy's verdict on `raw` (a message as received), with `public` (base64 DER) as the
/// selector's DNS record, so no DNS is asked.
const VERIFY: &str = r#"
import sys, dkim
raw, public = sys.stdin.buffer.read(), sys.argv[1].encode()
ok = dkim.verify(raw, dnsfunc=lambda name, timeout=5: b"v=DKIM1; k=rsa; p=" + public)
print("verified" if ok else "refused")
"#;

/// With a DKIM key configured, a newsletter message carries a signature that a verifier other
/// than the signer (dkimpy, Debian's python3-dkim, which .ci/run installs) accepts.
async fn messages_are_dkim_signed_so_that_a_verifier_accepts_them(backend: Backend) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("dkim.pem");
    let made =
        Command::new("openssl").args(["genrsa", "-traditional", "-out"]).arg(&key).arg("2048").output();
    assert!(made.as_ref().is_ok_and(|o| o.status.success()), "openssl genrsa: {made:?}");
    let public = Command::new("sh")
        .arg("-c")
        .arg(format!("openssl rsa -in {} -pubout -outform DER 2>/dev/null | base64 -w0", key.display()))
        .output()
        .unwrap();
    let public = String::from_utf8(public.stdout).unwrap();
    let dkim = Figment::new()
        .merge(("dkim_selector", "folio"))
        .merge(("dkim_domain", "example.org"))
        .merge(("dkim_private_key", key.display().to_string()));
    let (app, sink) = site(backend, dkim).await;
    subscribe(&app, &sink, READER, "post").await;
    let (_, editor) = app.browser_as(Role::Editor).await;
    write_post(&editor, "Signed news", "publish", "send", "").await;
    let mail = sink.wait_for_text(READER, "Signed news").await;
    let signature = mail.header("DKIM-Signature").expect("a DKIM-Signature header");
    assert!(signature.contains("d=example.org") && signature.contains("s=folio"), "{signature}");
    let python =
        if std::path::Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" };
    let mut child = Command::new(python)
        .args(["-c", VERIFY, public.trim()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(mail.data.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        said.trim(),
        "verified",
        "dkimpy: {} (apt install python3-dkim, as .ci/run does)",
        String::from_utf8_lossy(&out.stderr)
    );
}

both_backends!(
    double_opt_in_then_each_post_once_with_list_headers_and_one_click_unsubscribe,
    the_manage_page_changes_the_cadence_and_leaves_and_rejoins,
    bad_addresses_and_bots_get_clear_answers,
    a_member_subscribes_in_one_click,
    permanent_refusals_mark_the_address_bounced,
    digests_list_the_period_and_mail_only_posts_never_reach_the_site,
    a_scheduled_post_is_mailed_when_it_goes_live,
    each_subscriber_gets_a_mailing_exactly_once_across_processes_and_a_stop,
    the_rate_is_kept,
    messages_are_dkim_signed_so_that_a_verifier_accepts_them,
);
