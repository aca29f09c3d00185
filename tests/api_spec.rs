//! The Content API's OpenAPI document: it lists exactly the mounted `/api/` routes (so the spec
//! cannot drift from the handlers), a real validator accepts it as OpenAPI 3.1, and `/api`
//! renders it as a reference page.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use common::fixtures::base;
use common::{Backend, TestApp};
use folio::web::api::spec::ApiDoc;
use rocket::http::Status;
use serde_json::Value;
use utoipa::OpenApi;

/// The Python with `openapi-spec-validator`: `FOLIO_TEST_OPENAPI_PYTHON`, else the virtual
/// environment `.ci/run` makes (`python3 -m venv /tmp/folio-openapi && /tmp/folio-openapi/bin/pip
/// install openapi-spec-validator==0.9.0`), else `python3`. Missing, the test fails: it is never
/// skipped. (Debian packages no openapi-spec-validator, hence the venv.)
fn python() -> String {
    std::env::var("FOLIO_TEST_OPENAPI_PYTHON").unwrap_or_else(|_| {
        let venv = "/tmp/folio-openapi/bin/python";
        if std::path::Path::new(venv).exists() { venv.into() } else { "python3".into() }
    })
}

const VALIDATE: &str = r#"
import json, sys
from openapi_spec_validator import validate, OpenAPIV31SpecValidator
validate(json.load(sys.stdin), cls=OpenAPIV31SpecValidator)
"#;

async fn mounted_routes_and_documented_paths_are_the_same(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let mounted: BTreeSet<(String, String)> = app
        .client
        .rocket()
        .routes()
        .filter(|r| r.uri.path().starts_with("/api/"))
        .map(|r| {
            let path = r.uri.path().replace("..>", ">").replace('<', "{").replace('>', "}");
            (r.method.as_str().to_ascii_lowercase(), path)
        })
        .collect();
    let doc = ApiDoc::openapi();
    let documented: BTreeSet<(String, String)> = doc
        .paths
        .paths
        .iter()
        .flat_map(|(p, i)| {
            [
                ("get", i.get.is_some()),
                ("post", i.post.is_some()),
                ("put", i.put.is_some()),
                ("patch", i.patch.is_some()),
                ("delete", i.delete.is_some()),
            ]
            .into_iter()
            .filter(|(_, on)| *on)
            .map(move |(m, _)| (m.to_owned(), p.clone()))
        })
        .collect();
    assert_eq!(mounted, documented);
    assert!(documented.contains(&("get".into(), "/api/v1/posts/slug/{slug}".into())));
    assert!(documented.contains(&("patch".into(), "/api/v1/admin/posts/{id}".into())));
    assert_eq!(
        documented.len(),
        38,
        "15 content operations, 20 writing ones, the token's two and the document itself"
    );
}

async fn the_served_document_is_valid_openapi_3_1(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let page = app.get("/api/v1/openapi.json").await;
    assert_eq!(page.status, Status::Ok);
    assert_eq!(page.header("Content-Type"), Some("application/json"));
    let doc: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // The list's query parameters are documented as such (not as path parameters).
    let params = doc["paths"]["/api/v1/posts"]["get"]["parameters"].as_array().unwrap();
    let names: BTreeSet<(&str, &str)> =
        params.iter().map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap())).collect();
    for name in [
        "limit",
        "cursor",
        "tag",
        "author",
        "series",
        "published_after",
        "published_before",
        "fields",
        "include",
    ] {
        assert!(names.contains(&(name, "query")), "{name} in {names:?}");
    }
    assert_eq!(names.len(), 9, "{names:?}");
    assert!(doc["components"]["securitySchemes"]["content_key"].is_object());

    let mut child = Command::new(python())
        .args(["-c", VALIDATE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} to validate the OpenAPI document ({e})", python()));
    child.stdin.take().unwrap().write_all(page.body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document, or is missing: install it \
         (python3 -m venv /tmp/folio-openapi && /tmp/folio-openapi/bin/pip install \
         openapi-spec-validator==0.9.0, as .ci/run does, or set FOLIO_TEST_OPENAPI_PYTHON to a \
         Python that has it).\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Found by schemathesis (`scripts/api-fuzz`): statuses any request can meet, whatever the
/// handler, were missing from most operations. Every operation documents 400 (a control
/// character in the address) and 503 (the database busy, with `Retry-After`), except the
/// document itself, which reads no database; every write documents 403 (refused by the CSRF
/// check when it carries no bearer token).
async fn every_operation_documents_the_statuses_any_request_can_meet(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let doc: Value = serde_json::from_str(&app.get("/api/v1/openapi.json").await.body).unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            let problem = |status: &str| {
                responses[status]["content"]["application/problem+json"]["schema"]["$ref"]
                    == "#/components/schemas/Problem"
            };
            assert!(problem("400"), "{method} {path}: {responses}");
            if path != "/api/v1/openapi.json" {
                assert!(problem("503"), "{method} {path}: {responses}");
                assert!(responses["503"]["headers"]["Retry-After"].is_object(), "{method} {path}");
            }
            if method != "get" {
                assert!(problem("403"), "{method} {path}: {responses}");
            }
            // Rocket answers 422 for an `{id}` that is not an i64 (schemathesis sent 2^63).
            if path.contains("{id}") {
                assert!(problem("422"), "{method} {path}: {responses}");
            }
            operations += 1;
        }
    }
    assert_eq!(operations, 38);
}

/// `fields` keeps only the members it names, so an answer with `fields=id` must still match the
/// documented schema: Post and Page may require no member (they required all of them, which
/// schemathesis's "mostly rejected" warning on `fields` led to).
async fn answers_shaped_by_fields_match_their_schemas(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let doc: Value = serde_json::from_str(&app.get("/api/v1/openapi.json").await.body).unwrap();
    for schema in ["Post", "Page"] {
        let required = &doc["components"]["schemas"][schema]["required"];
        assert!(required.as_array().is_none_or(Vec::is_empty), "{schema} requires {required}");
        assert!(doc["components"]["schemas"][schema]["properties"]["id"].is_object());
    }
    let list: Value = serde_json::from_str(&app.get("/api/v1/pages?fields=id").await.body).unwrap();
    let first = list["pages"][0].as_object().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["id"]);
}

both_backends!(
    answers_shaped_by_fields_match_their_schemas,
    every_operation_documents_the_statuses_any_request_can_meet,
    mounted_routes_and_documented_paths_are_the_same,
    the_served_document_is_valid_openapi_3_1,
    the_reference_page_lists_every_operation,
);

async fn the_reference_page_lists_every_operation(backend: Backend) {
    let app = TestApp::new(backend, base()).await;
    let page = app.get("/api").await;
    assert_eq!(page.status, Status::Ok);
    page.assert_contains("<h1");
    page.assert_contains(r#"href="/api/v1/openapi.json""#);
    let doc = ApiDoc::openapi();
    let mut operations = 0;
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (method, present) in methods {
            if present {
                page.assert_contains(&format!("<code>{method} {path}</code>"));
                operations += 1;
            }
        }
    }
    assert_eq!(operations, 38, "every documented operation, the writing ones too");
    // A write's body is described member by member, from its schema.
    page.assert_contains("<code>body_markdown</code>");
    page.assert_contains("<code>multipart/form-data</code>");
    page.assert_contains("<code>published_after</code>");
    page.assert_contains("application/problem+json");
}
