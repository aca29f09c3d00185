//! The HTTP face of Folio: one module per area, each exporting `routes()`; `crate::rocket` mounts them.

pub mod assets;
pub mod errors;
pub mod headers;
pub mod htmx;
pub mod params;
pub mod site;
pub mod system;
pub mod view;
