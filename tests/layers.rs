//! The layers of docs/ARCHITECTURE.md, checked: each module imports only the layers below it,
//! so the arrows between them point one way. A new import against the grain fails here with
//! the file and line, rather than growing into a cycle unnoticed.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The `(line number, line)` of code in `path` naming any of `forbidden` (`crate::web`,
/// `rocket::`, …), leaving out comments, which may mention anything.
fn offences(path: &Path, forbidden: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| forbidden.iter().any(|f| names(line, f)))
        .map(|(n, line)| format!("{}:{}: {}", path.display(), n + 1, line.trim()))
        .collect()
}

/// Whether `line` names the path `path` itself, not a longer name it begins (`crate::web`
/// is not named by `crate::webhooks`).
fn names(line: &str, path: &str) -> bool {
    line.match_indices(path).any(|(at, _)| {
        line[at + path.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// The files under `src/<dir>` (or the file `src/<dir>`) that import any of `forbidden`.
fn check(dirs: &[&str], forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    dirs.iter()
        .flat_map(|d| {
            let path = root.join(d);
            if path.is_dir() { sources(&path) } else { vec![path] }
        })
        .flat_map(|file| offences(&file, forbidden))
        .collect()
}

#[test]
fn the_domain_is_plain_rust() {
    let bad = check(
        &["domain"],
        &[
            "crate::db",
            "crate::web",
            "crate::mail",
            "crate::media",
            "crate::config",
            "crate::tasks",
            "rocket",
            "sqlx",
        ],
    );
    assert!(bad.is_empty(), "domain/ imports a layer above it or a framework:\n{}", bad.join("\n"));
}

#[test]
fn the_database_layer_uses_only_the_domain() {
    let bad = check(&["db"], &["crate::web", "crate::mail", "crate::media", "crate::config", "crate::tasks"]);
    assert!(bad.is_empty(), "db/ imports a layer above it:\n{}", bad.join("\n"));
}

#[test]
fn mail_media_and_caches_sit_below_the_web_and_the_configuration() {
    let bad = check(
        &["mail", "media", "cache.rs", "webhooks", "newsletter"],
        &["crate::web", "crate::config", "crate::tasks"],
    );
    assert!(
        bad.is_empty(),
        "mail/, media/, webhooks/, newsletter/ or cache.rs imports a layer above it:\n{}",
        bad.join("\n")
    );
}

#[test]
fn nothing_but_the_crate_root_imports_the_web_layer() {
    let outside = [
        "config.rs",
        "tasks.rs",
        "commands.rs",
        "commands",
        "rerender.rs",
        "cache.rs",
        "demo",
        "db",
        "domain",
        "mail",
        "media",
        "webhooks",
        "newsletter",
    ];
    let bad = check(&outside, &["crate::web"]);
    assert!(bad.is_empty(), "only lib.rs may import web/:\n{}", bad.join("\n"));
}

#[test]
fn the_error_type_does_not_render_pages() {
    // error.rs is the status table that every handler imports; the pages import it, not the
    // reverse (which made error.rs → error_pages.rs → forms.rs → error.rs a cycle).
    let bad = check(&["web/error.rs", "web/htmx.rs", "web/redirect.rs"], &["error_pages", "web::forms"]);
    assert!(bad.is_empty(), "a cycle through the error pages:\n{}", bad.join("\n"));
}
