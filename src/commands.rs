//! What the command line does beyond serving: create an administrator or an API token from the
//! shell, and the deployment checklist of `folio check`.

pub mod api_tokens;

use std::fmt;
use std::time::Duration;

use rocket::figment::Figment;

use crate::config::Config;
use crate::db::Db;
use crate::db::users::{self, AccountError, NewUser};
use crate::domain::accounts::display_name_rule;
use crate::domain::email::Email;
use crate::domain::roles::Role;
use crate::domain::{now, password};

/// Raises the soft limit on open files to the hard limit, and says what it is now.
///
/// Every client connection is a file descriptor: at the usual soft limit of 1,024, about 1,100
/// idle connections made the site unavailable, while it held 4,000 with the limit raised
/// (measured on the 2-core development machine). The hard limit is the ceiling an unprivileged
/// process may take; under systemd, `LimitNOFILE=` sets both (see the README).
pub fn raise_open_files_limit() -> String {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => format!("Open files: up to {limit} (the soft limit raised to the hard limit)."),
        Err(e) => format!("Open files: could not raise the limit ({e}); each connection takes one."),
    }
}

/// Creates the owner (the same as `/setup`) or, once there is one, an administrator.
/// Returns what was done, for the operator.
pub async fn create_admin(db: &Db, email: &str, name: Option<&str>, secret: &str) -> Result<String, String> {
    let email = Email::parse(email).map_err(|e| format!("--email: {e}"))?;
    let fallback = email.as_str().split('@').next().unwrap_or("Admin").to_owned();
    let name = display_name_rule(name.unwrap_or(&fallback)).map_err(|e| format!("--name: {e}"))?;
    password::check_new(secret).map_err(|e| format!("password: {e}"))?;
    let hash = password::hash(secret).map_err(|e| format!("cannot hash the password: {e}"))?;
    let mut user = NewUser {
        email: &email,
        display_name: &name,
        role: Role::Owner,
        password_hash: &hash,
        email_confirmed: true,
    };
    let title = crate::config::Settings::default().site_title;
    let created = match users::create_owner(db, &user, &title, now()).await {
        Err(AccountError::SetupClosed) => {
            user.role = Role::Admin;
            users::create(db, &user, now()).await.map(|_| "an administrator")
        }
        other => other.map(|_| "the owner"),
    };
    match created {
        Ok(what) => Ok(format!("Created {what}: {name} <{email}>. Sign in at /sign-in.")),
        Err(AccountError::EmailTaken) => Err(format!("an account already uses {email}")),
        Err(AccountError::Db(e)) => Err(format!("database error: {e}")),
        Err(AccountError::SetupClosed) => Err("setup is closed".into()),
    }
}

/// `folio outbox`: the messages waiting to be sent, each with its plain-text body (where a site
/// without SMTP keeps its reset and invitation links for the operator to pass on).
pub async fn outbox(db: &Db) -> Result<String, String> {
    let pending = crate::db::outbox::pending(db).await.map_err(|e| format!("cannot read the outbox: {e}"))?;
    if pending.is_empty() {
        return Ok("No mail is waiting to be sent.".to_owned());
    }
    let mut out = format!("{} message(s) waiting to be sent:\n", pending.len());
    for mail in pending {
        let tried = if mail.attempts > 0 {
            format!(" ({} attempts: {})", mail.attempts, mail.last_error)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "\n#{} To: {}{tried}\nSubject: {}\n\n{}\n",
            mail.id, mail.recipient, mail.subject, mail.text_body
        ));
    }
    Ok(out)
}

/// How one item of the checklist came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One line of the checklist.
#[derive(Debug, Clone)]
pub struct Item {
    pub level: Level,
    pub text: String,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.level {
            Level::Ok => "ok  ",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        write!(f, "[{mark}] {}", self.text)
    }
}

fn item(level: Level, text: impl Into<String>) -> Item {
    Item { level, text: text.into() }
}

/// The deployment checklist, like Django's `check --deploy`. Reads the database for what the
/// admin saved (SMTP settings override the file's) and for whether the site has an owner.
pub async fn check(figment: &Figment, config: &Config, db: &Db) -> Vec<Item> {
    let s = &config.settings;
    let mut items = vec![secret_key(figment)];
    items.push(if s.https() {
        item(Level::Ok, format!("base_url is https ({})", s.base_url))
    } else {
        item(
            Level::Fail,
            format!("base_url is {}: serve the site over https and set base_url to match", s.base_url),
        )
    });
    items.push(if s.https() {
        item(Level::Ok, "cookies are Secure and __Host- prefixed (from the https base_url)")
    } else {
        item(Level::Fail, "cookies are not Secure: they follow base_url, which is not https")
    });
    let address: std::net::IpAddr =
        figment.extract_inner("address").unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    items.push(match (s.client_ip_header.is_empty(), address.is_loopback()) {
        (false, _) => {
            item(Level::Ok, format!("client addresses come from the proxy's {} header", s.client_ip_header))
        }
        (true, true) => item(
            Level::Fail,
            "client_ip_header is not set, yet Folio listens on loopback behind a proxy: every visitor \
             looks like the proxy, and sign-in throttling would lock everyone out together",
        ),
        (true, false) => item(
            Level::Warn,
            "client_ip_header is not set: fine if Folio faces the internet directly, wrong behind a proxy",
        ),
    });
    let saved = crate::db::settings::all(db).await.unwrap_or_default();
    let smtp_url = crate::mail::effective_smtp_url(&s.mail.smtp_url, &saved);
    items.push(smtp(&smtp_url).await);
    items.push(match users::owner_exists(db).await {
        Ok(true) => item(Level::Ok, "the site has an owner"),
        Ok(false) => item(
            Level::Fail,
            "no owner yet: whoever opens /setup first becomes the owner; run `folio create-admin` first",
        ),
        Err(e) => item(Level::Fail, format!("cannot read the accounts ({e}); run `folio migrate` first")),
    });
    items.push(media_dir(&s.media_dir));
    items.push(if s.require_staff_two_factor {
        item(Level::Ok, "staff must use two-factor sign-in")
    } else {
        item(Level::Warn, "require_staff_two_factor is off: staff may sign in with a password alone")
    });
    items
}

fn secret_key(figment: &Figment) -> Item {
    let raw: Option<String> = figment.extract_inner("secret_key").ok();
    let key_ok = figment.extract_inner::<rocket::config::SecretKey>("secret_key").is_ok_and(|k| !k.is_zero());
    match raw {
        Some(raw) if key_ok => {
            let mut distinct: Vec<char> = raw.chars().collect();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() >= 16 {
                item(Level::Ok, "secret_key is set")
            } else {
                item(Level::Fail, "secret_key looks guessable: generate one with `openssl rand -base64 32`")
            }
        }
        _ => item(Level::Fail, "secret_key is not set: generate one with `openssl rand -base64 32`"),
    }
}

/// `media_dir`: Folio (as the user running the check) can write and sync a file there, other
/// users of the machine cannot change the folder, and no stored file is open to them (files made
/// before uploads were created [`crate::media::FILE_MODE`] may be).
fn media_dir(dir: &str) -> Item {
    use std::os::unix::fs::PermissionsExt;
    if dir.is_empty() {
        return item(Level::Ok, "media are kept in the database");
    }
    let path = std::path::Path::new(dir);
    let mode = match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => meta.permissions().mode() & 0o777,
        Ok(_) => return item(Level::Fail, format!("media_dir {dir} is not a directory")),
        Err(e) => return item(Level::Fail, format!("media_dir {dir} cannot be read: {e}")),
    };
    if mode & 0o002 != 0 {
        return item(
            Level::Fail,
            format!(
                "media_dir {dir} is writable by every user of the machine (mode {mode:o}), who could \
                 replace what readers download: chmod o-rwx {dir}"
            ),
        );
    }
    if let Err(e) = write_probe(path) {
        return item(Level::Fail, format!("media_dir {dir}: Folio cannot write there ({e})"));
    }
    let open = std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file() && m.permissions().mode() & 0o007 != 0)
            .count()
    });
    if mode & 0o007 != 0 || open > 0 {
        let files = if open == 1 { "1 file".to_owned() } else { format!("{open} files") };
        return item(
            Level::Warn,
            format!(
                "media_dir {dir} (mode {mode:o}, {files} in it) is open to every user of the machine, \
                 and drafts' images are not public yet: chmod -R o-rwx {dir}"
            ),
        );
    }
    item(Level::Ok, format!("media_dir {dir} is writable by Folio and closed to other users"))
}

/// Creates, syncs and removes a file in `dir`, as an upload would.
fn write_probe(dir: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let probe = dir.join(format!(".folio-check-{}.partial", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(crate::media::FILE_MODE)
        .open(&probe)
        .and_then(|mut file| {
            file.write_all(b"folio check")?;
            file.sync_all()
        });
    let removed = std::fs::remove_file(&probe);
    written.and(removed)
}

/// Whether the SMTP server at `url` (saved or configured) answers; its address is in the text.
async fn smtp(url: &str) -> Item {
    if url.is_empty() {
        return item(Level::Fail, "smtp_url is not set: password resets and invitations only reach the log");
    }
    let shown = url::Url::parse(url)
        .map(|u| format!("{}:{}", u.host_str().unwrap_or(""), u.port().unwrap_or(25)))
        .unwrap_or_default();
    type Transport = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;
    let transport: Transport = match Transport::from_url(url) {
        Ok(builder) => builder.timeout(Some(Duration::from_secs(10))).build(),
        Err(e) => return item(Level::Fail, format!("smtp_url is not usable: {e}")),
    };
    match transport.test_connection().await {
        Ok(true) => item(Level::Ok, "the SMTP server answers"),
        Ok(false) => item(Level::Fail, format!("the SMTP server at {shown} did not answer")),
        Err(e) => item(Level::Fail, format!("cannot reach the SMTP server at {shown}: {e}")),
    }
}
