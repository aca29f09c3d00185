//! `/api`: the API's reference, a plain server-rendered page (no JavaScript) made from
//! the OpenAPI document itself, so it says exactly what `/api/v1/openapi.json` says.

use askama::Template;
use rocket::get;
use serde_json::Value;
use utoipa::OpenApi;

use super::spec::ApiDoc;
use crate::web::error::{AppError, AppResult};
use crate::web::htmx::Html;
use crate::web::view::{Meta, Site, SiteRef};

/// One tag of the document and its operations.
struct Section {
    name: String,
    description: String,
    operations: Vec<Operation>,
}

/// One operation: `GET /api/v1/posts`, what it does, what it takes and what it answers.
struct Operation {
    /// An HTML id for links to it (the operation id).
    id: String,
    method: String,
    path: String,
    summary: String,
    params: Vec<Param>,
    /// The request body's media type and members, for writes.
    body: Option<Body>,
    responses: Vec<Answer>,
}

struct Body {
    media_type: String,
    members: Vec<Member>,
}

/// One member of a request body's schema.
struct Member {
    name: String,
    /// Its JSON type(s), `string or null`, or the schema it names.
    kind: String,
    description: String,
}

struct Param {
    name: String,
    location: String,
    required: bool,
    description: String,
}

struct Answer {
    status: String,
    description: String,
    media_type: String,
}

#[derive(Template)]
#[template(path = "api/index.html")]
struct ReferencePage<'a> {
    site: &'a Site,
    meta: Meta,
    title: String,
    description: String,
    version: String,
    sections: Vec<Section>,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The document's operations grouped by their tag, in the document's tag order.
fn sections(doc: &Value) -> Vec<Section> {
    let mut sections: Vec<Section> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Section {
            name: text(&t["name"]),
            description: text(&t["description"]),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let params = op["parameters"].as_array().into_iter().flatten().map(|p| Param {
                name: text(&p["name"]),
                location: text(&p["in"]),
                required: p["required"].as_bool().unwrap_or(false),
                description: text(&p["description"]),
            });
            let responses = op["responses"].as_object().into_iter().flatten().map(|(status, r)| Answer {
                status: status.clone(),
                description: text(&r["description"]),
                media_type: r["content"]
                    .as_object()
                    .and_then(|c| c.keys().next().cloned())
                    .unwrap_or_default(),
            });
            let body = op["requestBody"]["content"].as_object().and_then(|c| c.iter().next()).map(
                |(media, content)| Body {
                    media_type: media.clone(),
                    members: members(doc, &content["schema"]),
                },
            );
            let operation = Operation {
                id: text(&op["operationId"]),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                params: params.collect(),
                body,
                responses: responses.collect(),
            };
            let tag = op["tags"][0].as_str().unwrap_or_default();
            if let Some(section) = sections.iter_mut().find(|s| s.name == tag) {
                section.operations.push(operation);
            }
        }
    }
    sections
}

/// The members of `schema` (a `$ref` into the document's components, or inline).
fn members(doc: &Value, schema: &Value) -> Vec<Member> {
    let resolved = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map_or(schema, |name| &doc["components"]["schemas"][name]);
    let kind = |p: &Value| match &p["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        _ => p["$ref"]
            .as_str()
            .or_else(|| p["oneOf"][0]["$ref"].as_str())
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or("")
            .to_owned(),
    };
    resolved["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, p)| Member { name: name.clone(), kind: kind(p), description: text(&p["description"]) })
        .collect()
}

/// The reference page.
#[get("/api")]
pub fn index(site: SiteRef) -> AppResult<Html> {
    let site: &Site = &site;
    let doc = serde_json::to_value(ApiDoc::openapi()).map_err(AppError::internal)?;
    let title = "Content API reference";
    let description = text(&doc["info"]["description"]);
    let meta = Meta::new(site, title, &description, "/api");
    Html::page(&ReferencePage {
        site,
        meta,
        title: title.to_owned(),
        version: text(&doc["openapi"]),
        sections: sections(&doc),
        description,
    })
}
