//! The token's own endpoints: `GET /api/v1/me` says whom a token speaks for, and
//! `DELETE /api/v1/tokens/current` revokes the token that sends it (a script can drop its
//! credential when done). Neither needs a scope: any live token may know and end itself.

use rocket::http::Status;
use rocket::response::content::RawJson;
use rocket::{delete, get};
use rocket_db_pools::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiToken;
use super::problem::Problem;
use crate::db::audit::{self, Event};
use crate::db::{FolioDb, api_tokens};
use crate::domain::now;

/// The body of `GET /api/v1/me`.
#[derive(Serialize, ToSchema)]
pub struct Me<'a> {
    /// The user's id.
    id: i64,
    /// The user's display name.
    name: &'a str,
    /// `owner`, `admin`, `editor`, `author` or `contributor`.
    role: &'a str,
    /// The name the token was given.
    token_name: &'a str,
    /// The token's scopes, e.g. `["read", "posts"]`.
    scopes: Vec<&'static str>,
}

/// Whom the token speaks for: the user, their role, the token's name and scopes.
#[utoipa::path(
    tag = "tokens",
    operation_id = "me",
    responses(
        (status = 200, description = "The token's user and scopes", body = Me),
    ),
    security(("bearer" = [])),
)]
#[get("/api/v1/me")]
pub fn me(token: ApiToken) -> RawJson<String> {
    let body = Me {
        id: token.user_id,
        name: &token.user_name,
        role: token.role.as_str(),
        token_name: &token.token_name,
        scopes: token.scopes.iter().map(|s| s.as_str()).collect(),
    };
    RawJson(serde_json::to_string(&body).unwrap_or_default())
}

/// Revokes the token that sends this request (audited with its name).
#[utoipa::path(
    tag = "tokens",
    operation_id = "revoke_current_token",
    responses(
        (status = 204, description = "The token is revoked"),
    ),
    security(("bearer" = [])),
)]
#[delete("/api/v1/tokens/current")]
pub async fn revoke_current(db: Connection<FolioDb>, token: ApiToken) -> Result<Status, Problem> {
    let at = now();
    let revoked = api_tokens::revoke(&db, token.token_id, at).await.map_err(server)?;
    if let Some(name) = revoked {
        let subject = format!("API token “{name}”");
        let event = Event {
            actor: (token.user_id, &token.user_name),
            action: "revoked",
            subject: &subject,
            detail: "through the API",
        };
        audit::record(&db, &event, at).await.map_err(server)?;
    }
    Ok(Status::NoContent)
}

fn server(e: sqlx::Error) -> Problem {
    rocket::error!("revoking an API token failed: {e}");
    Problem::new(Status::InternalServerError, "Something went wrong on the server.")
}
