//! `folio token create`: a personal access token made from the shell, with the same rules as
//! `/account/tokens` (`domain::api_tokens`), for an operator setting up a deployment script.

use crate::db::Db;
use crate::db::audit::{self, Event};
use crate::db::{api_tokens, users};
use crate::domain::api_tokens::NewApiToken;
use crate::domain::email::Email;
use crate::domain::now;

/// What `folio token create` was asked for: the owner's address, scope names, days until it
/// expires (`None`: never) and a name (`None`: "Command line").
pub struct TokenRequest<'a> {
    pub email: &'a str,
    pub scopes: &'a [String],
    pub days: Option<i64>,
    pub name: Option<&'a str>,
}

/// Creates the token and returns its secret, the one line the command prints to standard
/// output; errors are one line each, naming the option at fault.
pub async fn create(db: &Db, request: &TokenRequest<'_>) -> Result<String, String> {
    let email = Email::parse(request.email).map_err(|e| format!("--email: {e}"))?;
    let user = users::find_by_email(db, &email)
        .await
        .map_err(|e| format!("database error: {e}"))?
        .ok_or_else(|| format!("--email: no account uses {email}"))?;
    if user.disabled_at.is_some() {
        return Err(format!("--email: the account of {email} is disabled"));
    }
    if !user.role.is_staff() {
        return Err(format!("--email: {email} is a member; only staff may have API tokens"));
    }
    let days = request.days.map(|d| d.to_string()).unwrap_or_default();
    let name = request.name.unwrap_or("Command line");
    let token = NewApiToken::check(name, request.scopes, &days, user.role).map_err(|errors| {
        let option = |field: &str| match field {
            "scopes" => "--scope",
            "days" => "--expires",
            _ => "--name",
        };
        errors
            .iter()
            .map(|(field, message)| format!("{}: {message}", option(field)))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let at = now();
    let made =
        api_tokens::create(db, user.id, &token, at).await.map_err(|e| format!("database error: {e}"))?;
    let subject = format!("API token “{}”", token.name);
    let detail = format!("{} (from the command line)", token.scopes.to_stored());
    let event =
        Event { actor: (user.id, &user.display_name), action: "created", subject: &subject, detail: &detail };
    audit::record(db, &event, at).await.map_err(|e| format!("database error: {e}"))?;
    Ok(made.secret)
}
