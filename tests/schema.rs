//! The two schemas agree: `migrations/sqlite` and `migrations/postgres` are written twice, so a
//! column added to one and forgotten in the other, or made nullable in only one, fails here.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{Backend, TestDb};
use folio::db::Db;

/// A column as both databases can describe it: nullable or not, and a class of type.
type Columns = BTreeMap<(String, String), (bool, &'static str)>;

/// Tables only SQLite has: the FTS5 indexes (of post titles, and the search indexes of posts
/// and pages) and their shadow tables, and sqlx's own bookkeeping. PostgreSQL searches with a
/// `pg_trgm` index and [`postgres_only`] columns instead.
fn sqlite_only(table: &str) -> bool {
    ["post_titles", "post_search", "page_search", "_sqlx", "sqlite_"].iter().any(|t| table.starts_with(t))
}

/// Columns only PostgreSQL has: the generated `tsvector` documents its search indexes.
fn postgres_only(column: &str) -> bool {
    column == "search_vector" || column == "title_vector"
}

fn class(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    match t.as_str() {
        "integer" | "bigint" | "int" | "int8" | "int4" | "smallint" => "integer",
        "text" | "character varying" | "varchar" => "text",
        "blob" | "bytea" => "bytes",
        "boolean" | "bool" => "boolean",
        "real" | "double precision" | "float8" => "float",
        _ => "other",
    }
}

async fn columns(db: &Db) -> Columns {
    let rows: Vec<(String, String, bool, String)> = match db {
        Db::Sqlite(pool) => sqlx::query_as(
            "SELECT m.name, p.name, (p.\"notnull\" = 0 AND p.pk = 0), p.type
             FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_as(
            // Tables only, as on SQLite's side: a view is derived from them (and PostgreSQL calls
            // every view column nullable, SQLite none).
            "SELECT c.table_name::text, c.column_name::text, c.is_nullable = 'YES', c.data_type::text
             FROM information_schema.columns c JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    rows.into_iter()
        .filter(|(table, column, ..)| !sqlite_only(table) && !postgres_only(column))
        .map(|(table, column, nullable, declared)| ((table, column), (nullable, class(&declared))))
        .collect()
}

#[rocket::async_test]
#[ignore = "needs PostgreSQL: set FOLIO_TEST_POSTGRES_URL and pass --include-ignored"]
async fn both_schemas_have_the_same_tables_and_columns() {
    let (sqlite, postgres) = (TestDb::new(Backend::Sqlite).await, TestDb::new(Backend::Postgres).await);
    let (a, b) = (columns(&sqlite.connect().await).await, columns(&postgres.connect().await).await);
    assert!(a.len() > 50, "{a:?}");
    let only_sqlite: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_postgres: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in SQLite: {only_sqlite:?}\nonly in PostgreSQL: {only_postgres:?}"
    );
    let differ: Vec<_> =
        a.iter().filter(|(k, v)| b.get(*k) != Some(*v)).map(|(k, v)| (k, v, b.get(k))).collect();
    assert!(differ.is_empty(), "(table, column): SQLite vs PostgreSQL (nullable, type):\n{differ:#?}");
    assert!(a.values().all(|(_, class)| *class != "other"), "{a:?}");
}
