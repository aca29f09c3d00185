//! The HTTP face of Folio: one module per area, each exporting `routes()`; `crate::rocket` mounts them.

pub mod account;
pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod error_pages;
pub mod form;
pub mod forms;
pub mod headers;
pub mod htmx;
pub mod http;
pub mod media;
pub mod ops;
pub mod params;
pub mod redirect;
pub mod site;
pub mod stamp;
pub mod system;
pub mod view;
pub mod writing;
