//! `/api`: the Content API's reference, a plain page rendered from the OpenAPI document.

use rocket::get;

use crate::web::error::AppResult;

/// The reference page.
#[get("/api")]
pub fn index() -> AppResult<&'static str> {
    Ok("Folio Content API")
}
