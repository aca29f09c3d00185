//! The one error type of the web layer and its single status table; error pages are templates.

use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};

use crate::web::errors::render_error_page;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    /// Signed in, but the role does not allow it.
    Forbidden,
    /// Too many attempts; try again after this many seconds.
    TooManyRequests(u64),
    /// A shared resource (the places for large downloads) is taken; try again shortly.
    Busy,
    Database(sqlx::Error),
    Render(askama::Error),
    /// Anything else that should not happen (a failed password hash, say), with its cause.
    Internal(String),
}

impl AppError {
    pub fn not_found() -> AppError {
        AppError::NotFound
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden
    }

    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        AppError::Internal(cause.to_string())
    }

    pub fn status(&self) -> Status {
        match self {
            AppError::NotFound => Status::NotFound,
            AppError::Forbidden => Status::Forbidden,
            AppError::TooManyRequests(_) => Status::TooManyRequests,
            AppError::Busy => Status::ServiceUnavailable,
            AppError::Database(e) if crate::db::is_busy(e) => Status::ServiceUnavailable,
            AppError::Database(_) | AppError::Render(_) | AppError::Internal(_) => {
                Status::InternalServerError
            }
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Database(e)
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Render(e)
    }
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        if status.class().is_server_error() {
            rocket::error!("{} {}: {:?}", req.method(), req.uri(), self);
        }
        let mut response = render_error_page(status, req).respond_to(req)?;
        match self {
            AppError::TooManyRequests(seconds) => {
                response.set_header(Header::new("Retry-After", seconds.to_string()));
            }
            _ if status == Status::ServiceUnavailable => {
                response.set_header(Header::new("Retry-After", BUSY_RETRY_AFTER.to_string()));
            }
            _ => {}
        }
        Ok(response)
    }
}

/// Seconds a client is asked to wait when the database is busy or saturated: about one lock or
/// pool wait (both 5 s by default), after which the request usually succeeds.
pub const BUSY_RETRY_AFTER: u64 = 5;

pub type AppResult<T> = Result<T, AppError>;
