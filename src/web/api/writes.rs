//! What the write API's handlers share: reading a body's refusals into one 422, the states a
//! client may ask for, `null` told apart from a missing member, and list paging.

use rocket::form::FromFormField;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::domain::validation::FieldErrors;
use crate::web::error::{AppError, AppResult, Invalid};

/// Collects a body's refusals, each naming its member.
#[derive(Debug, Default)]
pub struct Fields(Vec<Invalid>);

impl Fields {
    pub fn refuse(&mut self, name: &str, reason: &str) {
        self.0.push(Invalid { name: name.to_owned(), reason: reason.to_owned() });
    }

    /// `Ok` when nothing was refused, else one 422 listing every refusal.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Unprocessable(self.0)) }
    }
}

/// The validation messages of the admin's rules, under the API's member names: `renames` maps
/// a form field's name to the member's where they differ.
pub fn renamed(errors: &FieldErrors, renames: &[(&str, &str)]) -> Vec<Invalid> {
    errors
        .iter()
        .map(|(field, reason)| {
            let name = renames.iter().find(|(from, _)| *from == field).map_or(field, |(_, to)| *to);
            Invalid { name: name.to_owned(), reason: reason.to_owned() }
        })
        .collect()
}

/// The state a client asks a post to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Published,
}

/// A post state to list by: `draft`, `scheduled` or `published`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromFormField, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum StateList {
    Draft,
    Scheduled,
    Published,
}

impl StateList {
    pub fn as_str(self) -> &'static str {
        match self {
            StateList::Draft => "draft",
            StateList::Scheduled => "scheduled",
            StateList::Published => "published",
        }
    }
}

/// A member that may be `null` (`Some(None)`) as well as left out (`None`, with
/// `#[serde(default)]`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A numbered page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    pub limit: i64,
    /// How many there are in all, counted up to 10,001 ("more than 10,000"); `null` where a
    /// list is not counted.
    pub total: Option<i64>,
    /// The next page's absolute URL, or `null` on the last.
    #[schema(format = "uri")]
    pub next: Option<String>,
}

/// `limit` (1 to 100, default 20) and `page` (from 1, default 1), or 400 naming each bad one.
pub fn paging(limit: Option<&str>, page: Option<&str>) -> AppResult<(i64, i64)> {
    let mut bad = Vec::new();
    let limit = match limit.map(str::parse::<i64>) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            bad.push(Invalid { name: "limit".into(), reason: "must be a whole number from 1 to 100".into() });
            20
        }
    };
    let page = match page.map(str::parse::<i64>) {
        None => 1,
        Some(Ok(n)) if (1..=100_000).contains(&n) => n,
        Some(_) => {
            bad.push(Invalid {
                name: "page".into(),
                reason: "must be a whole number from 1 to 100000".into(),
            });
            1
        }
    };
    if bad.is_empty() { Ok((limit, page)) } else { Err(AppError::BadRequest(bad)) }
}
