//! The JSON API under `/api/v1` (issue 14): bearer-token authentication ([`auth`]), errors as
//! problem details ([`problem`]) and the token's own endpoints ([`me`]).

pub mod auth;
pub mod me;
pub mod problem;
