//! The one error type of the web layer and its single status table; error pages are templates.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

use crate::web::errors::render_error_page;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    Database(sqlx::Error),
    Render(askama::Error),
}

impl AppError {
    pub fn not_found() -> AppError {
        AppError::NotFound
    }

    pub fn status(&self) -> Status {
        match self {
            AppError::NotFound => Status::NotFound,
            AppError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed) => {
                Status::ServiceUnavailable
            }
            AppError::Database(_) | AppError::Render(_) => Status::InternalServerError,
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
        render_error_page(status, req).respond_to(req)
    }
}

pub type AppResult<T> = Result<T, AppError>;
