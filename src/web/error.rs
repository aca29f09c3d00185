//! The one error type of the web layer and its single status table. How it is answered (a
//! templated page, `Retry-After`) is in [`crate::web::error_pages`].

use rocket::http::Status;

/// Why a request failed. [`AppError::status`] is the one table from cause to HTTP status;
/// server-side causes keep their source error for the log.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Query parameters that cannot be read, each named with the reason (the API's 400,
    /// answered with RFC 9457's `errors` list).
    #[error("bad request")]
    BadRequest(Vec<Invalid>),
    /// A credential was required and is missing or wrong (the Content API's key).
    #[error("unauthorized")]
    Unauthorized,
    /// Signed in, but the role does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// A request body that was read but breaks a rule, each field named with the reason (the
    /// API's 422; the admin's forms re-render themselves instead).
    #[error("unprocessable")]
    Unprocessable(Vec<Invalid>),
    /// `If-Match` names a version that is no longer current: someone changed the resource since
    /// the client read it (RFC 9110, section 13.1.1).
    #[error("precondition failed")]
    PreconditionFailed,
    /// A change that must say which version it started from came without `If-Match`
    /// (RFC 6585, section 3).
    #[error("precondition required")]
    PreconditionRequired,
    /// Too many attempts; try again after this many seconds.
    #[error("too many requests; retry after {0} s")]
    TooManyRequests(u64),
    /// A shared resource (the places for large downloads) is taken; try again shortly.
    #[error("busy")]
    Busy,
    #[error("database")]
    Database(#[from] sqlx::Error),
    #[error("rendering a template")]
    Render(#[from] askama::Error),
    /// Anything else that should not happen (a failed password hash, say), with its cause.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn not_found() -> AppError {
        AppError::NotFound
    }

    /// A 400 for one parameter `name`, saying why it was refused.
    pub fn bad_param(name: &str, reason: impl Into<String>) -> AppError {
        AppError::BadRequest(vec![Invalid { name: name.to_owned(), reason: reason.into() }])
    }

    /// A 422 for one body field `name`, saying why it was refused.
    pub fn unprocessable(name: &str, reason: impl Into<String>) -> AppError {
        AppError::Unprocessable(vec![Invalid { name: name.to_owned(), reason: reason.into() }])
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden
    }

    /// An internal error caused by `cause`: an error value, or a sentence saying what broke.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
        AppError::Internal(cause.into())
    }

    pub fn status(&self) -> Status {
        match self {
            AppError::NotFound => Status::NotFound,
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized => Status::Unauthorized,
            AppError::Forbidden => Status::Forbidden,
            AppError::Unprocessable(_) => Status::UnprocessableEntity,
            AppError::PreconditionFailed => Status::PreconditionFailed,
            AppError::PreconditionRequired => Status::new(428),
            AppError::TooManyRequests(_) => Status::TooManyRequests,
            AppError::Busy => Status::ServiceUnavailable,
            AppError::Database(e) if crate::db::is_busy(e) || crate::db::is_storage_fault(e) => {
                Status::ServiceUnavailable
            }
            AppError::Database(_) | AppError::Render(_) | AppError::Internal(_) => {
                Status::InternalServerError
            }
        }
    }

    /// What the error page or problem document says instead of its status's generic text, if
    /// anything: a storage fault is not "busy" and will not pass in a minute by itself.
    pub fn detail(&self) -> Option<&'static str> {
        match self {
            AppError::Database(e) if crate::db::is_storage_fault(e) => Some(STORAGE_FAULT),
            _ => None,
        }
    }

    /// This error and every cause under it, `: `-separated, for the log. A cause that its
    /// error's message already ends with (`could not store the file: {io error}`) is not
    /// repeated.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(e) = cause {
            let text = e.to_string();
            if !out.ends_with(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            cause = e.source();
        }
        out
    }
}

/// The page's words for a write refused because the database's storage is full or read-only.
pub const STORAGE_FAULT: &str = "The server cannot save anything right now: its storage is full or \
    read-only. Nothing was changed. Try again later; if this goes on, tell the site's administrator.";

/// One refused request parameter: its name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub name: String,
    pub reason: String,
}

/// Seconds a client is asked to wait when the database is busy or saturated: about one lock or
/// pool wait (both 5 s by default), after which the request usually succeeds.
pub const BUSY_RETRY_AFTER: u64 = 5;

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_table() {
        let io = || std::io::Error::other("disk gone");
        let cases: [(AppError, u16); 13] = [
            (AppError::not_found(), 404),
            (AppError::bad_param("limit", "must be a number"), 400),
            (AppError::Unauthorized, 401),
            (AppError::forbidden(), 403),
            (AppError::Unprocessable(Vec::new()), 422),
            (AppError::PreconditionFailed, 412),
            (AppError::PreconditionRequired, 428),
            (AppError::TooManyRequests(30), 429),
            (AppError::Busy, 503),
            (AppError::Database(sqlx::Error::PoolTimedOut), 503),
            (AppError::Database(sqlx::Error::RowNotFound), 500),
            (AppError::Render(askama::Error::Fmt), 500),
            (AppError::internal(io()), 500),
        ];
        for (error, code) in cases {
            assert_eq!(error.status().code, code, "{error:?}");
        }
    }

    #[test]
    fn internal_errors_keep_their_cause_for_the_log() {
        let error = AppError::internal(std::io::Error::other("disk gone"));
        assert!(std::error::Error::source(&error).is_some());
        assert_eq!(error.chain(), "internal error: disk gone");
        assert_eq!(AppError::internal("no owner").chain(), "internal error: no owner");
        let upload = crate::media::UploadError::Io(std::io::Error::other("disk full"));
        assert_eq!(AppError::internal(upload).chain(), "internal error: could not store the file: disk full");
        assert_eq!(
            AppError::from(sqlx::Error::RowNotFound).chain(),
            format!("database: {}", sqlx::Error::RowNotFound)
        );
    }
}
