//! Typed route parameters: a malformed value never reaches the database.

use rocket::request::FromParam;

use crate::domain::slug::Slug;
use crate::error::{AppError, AppResult};

/// A path segment that should be a slug. A malformed one (upper case, over-long, `..`) cannot name
/// anything, so [`SlugParam::get`] answers "not found" without a query. (Failing in `from_param`
/// instead would make Rocket answer 422, which is wrong for a URL.)
#[derive(Debug, Clone)]
pub struct SlugParam(Option<Slug>);

impl SlugParam {
    pub fn get(&self) -> AppResult<&str> {
        self.0.as_ref().map(Slug::as_str).ok_or_else(AppError::not_found)
    }
}

impl<'a> FromParam<'a> for SlugParam {
    type Error = std::convert::Infallible;

    fn from_param(param: &'a str) -> Result<Self, Self::Error> {
        Ok(SlugParam(Slug::parse(param).ok()))
    }
}
