//! Test support: SQLite's query plans, read on an empty database migrated as in production
//! (without statistics, as a new site runs), and the rule that a plan reads a bounded range.
//! Tests of the statements a reader's page or a periodic task runs use them, so a statement whose
//! cost grows with the archive fails a test instead of a benchmark.

use super::{Db, DbConfig};

/// SQLite's plan for `sql`, one line per step (`EXPLAIN QUERY PLAN`).
pub(crate) async fn plan(sql: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    let db = Db::connect(&DbConfig { url, max_connections: Some(1), connect_timeout: 5 }).await.unwrap();
    db.migrate().await.unwrap();
    let Db::Sqlite(pool) = &db else { unreachable!() };
    let rows: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(pool).await.unwrap();
    rows.into_iter().map(|(_, _, _, detail)| detail).collect()
}

/// Whether each step of `steps` reads a bounded range: an index searched by more than the
/// status (`posts_changes (status=?)` is every published post), and no table walked whole;
/// walking a subquery's own rows (`SCAN` of a `CO-ROUTINE`) is bounded by its `LIMIT`.
pub(crate) fn assert_bounded(steps: &[String]) {
    let coroutines: Vec<&str> = steps.iter().filter_map(|s| s.strip_prefix("CO-ROUTINE ")).collect();
    for step in steps {
        let bounded = match step.split_once(' ') {
            Some(("SEARCH", _)) => !step.ends_with("(status=?)"),
            Some(("SCAN", name)) => coroutines.contains(&name),
            _ => true,
        };
        assert!(bounded, "{step} in {steps:#?}");
    }
}

/// [`plan`] of `sql`, checked by [`assert_bounded`].
pub(crate) async fn assert_plan_bounded(sql: &str) {
    assert_bounded(&plan(sql).await);
}
