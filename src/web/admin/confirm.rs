//! [`DeletePrompt`], the admin's one "are you sure?" page, for every kind of deletion.

use askama::Template;

use crate::web::admin::{Desk, Shell};
use crate::web::view::{Meta, Site};

/// "Are you sure?" for a destructive action, working without JavaScript: a form that posts the
/// same request again with `confirm` set.
#[derive(Template)]
#[template(path = "admin/confirm.html")]
pub struct DeletePrompt<'a> {
    pub site: &'a Site,
    pub meta: Meta,
    pub shell: Shell,
    pub heading: String,
    pub message: String,
    pub items: Vec<String>,
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub button: String,
    pub cancel: String,
}

impl<'a> DeletePrompt<'a> {
    /// A confirmation of `heading` that posts `fields` to `action`.
    pub fn new(desk: &'a Desk, heading: &str, action: &str, cancel: &str) -> DeletePrompt<'a> {
        let (meta, shell) = desk.frame("", heading, action);
        DeletePrompt {
            site: &desk.site,
            meta,
            shell,
            heading: heading.to_owned(),
            message: String::new(),
            items: Vec::new(),
            action: action.to_owned(),
            fields: Vec::new(),
            button: "Delete".into(),
            cancel: cancel.to_owned(),
        }
    }
}
