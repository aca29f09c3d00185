//! The one error type of the web layer and its single status table. How it is answered (a
//! templated page, `Retry-After`) is in [`crate::web::error_pages`].

use rocket::http::Status;

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

/// Seconds a client is asked to wait when the database is busy or saturated: about one lock or
/// pool wait (both 5 s by default), after which the request usually succeeds.
pub const BUSY_RETRY_AFTER: u64 = 5;

pub type AppResult<T> = Result<T, AppError>;
