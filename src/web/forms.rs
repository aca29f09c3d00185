//! How forms answer when they fail: the form again with the user's values and a message per
//! field (422; just the form for htmx). Success is a redirect ([`crate::web::redirect`]).

use askama::Template;
use rocket::http::Status;

use crate::web::error::AppResult;
use crate::web::htmx::{Fragment, Html, HxRequest};

/// The form page again, with errors: the whole page, or for htmx only its `form` block.
pub fn invalid<T: Fragment>(hx: HxRequest, view: &T) -> AppResult<Html> {
    Ok(Html::page_or_fragment(hx, view)?.with_status(Status::UnprocessableEntity))
}

/// A page of the form for the first time (or after an htmx swap of a valid step).
pub fn show<T: Template>(view: &T) -> AppResult<Html> {
    Html::page(view)
}

/// A one-time message shown at the top of the next page (carried by Rocket's flash cookie).
#[derive(Debug, Clone)]
pub struct Notice {
    /// `success` or `error`: the CSS modifier.
    pub kind: String,
    pub message: String,
}

impl Notice {
    pub fn from_flash(flash: Option<rocket::request::FlashMessage<'_>>) -> Option<Notice> {
        flash.map(|f| Notice { kind: f.kind().to_owned(), message: f.message().to_owned() })
    }

    pub fn success(message: impl Into<String>) -> Option<Notice> {
        Some(Notice { kind: "success".into(), message: message.into() })
    }
}

/// Head metadata for a private page: never indexed.
pub fn private_meta(site: &crate::web::view::Site, title: &str, path: &str) -> crate::web::view::Meta {
    let mut meta = crate::web::view::Meta::new(site, title, title, path);
    meta.noindex = true;
    meta
}

/// Implements [`Fragment`] for form pages: htmx gets their `form` block.
macro_rules! form_fragment {
    ($($page:ident),* $(,)?) => {
        $(
            impl $crate::web::htmx::Fragment for $page<'_> {
                fn render_fragment(&self) -> askama::Result<String> {
                    askama::Template::render(&self.as_form())
                }
            }
        )*
    };
}
pub(crate) use form_fragment;
