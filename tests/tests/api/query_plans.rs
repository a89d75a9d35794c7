//! The query plans of the hot queries, on a generated data set of a realistic shape:
//! every page is read through an index from its cursor, and nothing sorts or scans a
//! whole table to answer a page or to fill one in.
//!
//! The statements are the service's own, recorded as the service sends them (the
//! connection's statement callback, with their values), then explained by the database:
//! `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN (FORMAT JSON)` on PostgreSQL. A new
//! ordering or filter without an index to serve it fails here, on either database.
//!
//! On PostgreSQL each statement is explained twice: with its values, and as the generic
//! plan of the prepared statement (`plan_cache_mode = force_generic_plan`, as the
//! service runs by default, `DATABASE_GENERIC_PLANS`), which is planned without them.

use std::sync::{Arc, Mutex};

use api::auth::{User, Viewer};
use api::service::fellows::{self, FellowFilter, FellowOrder, FellowOrderField};
use api::service::nominations::{self, workflow, NominationFilter};
use api::service::organizations::{self, MembershipFilter, OrganizationFilter};
use api::service::page::{CursorKeys, PageArgs};
use entity::enums::{FellowStatus, NominationStatus};
use entity::{foundation_membership, person};
use fellowship_bench::dataset::{self, Size};
use fellowship_tests::{on_both_databases, Backend, TestDatabase};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
    Statement, TransactionTrait,
};
use serde_json::Value;

/// Large enough that a planner prefers an index to a scan only where one serves; small
/// enough to generate in seconds.
const FELLOWS: usize = 25_000;

const AREAS_OF_A_PAGE: &str = "the strategic areas of a page of fellows";

/// Tables this large are never scanned whole for a page, nor their rows sorted.
const WHOLE_TABLE: f64 = 1_000.0;

/// Every statement the service sends on this connection, in order.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Statement>>>);

impl Recorder {
    fn take(&self) -> Vec<Statement> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

async fn recording(url: &str) -> (DatabaseConnection, Recorder) {
    let recorder = Recorder::default();
    let mut db = Database::connect(url).await.expect("connect");
    let log = recorder.clone();
    db.set_metric_callback(move |info| log.0.lock().unwrap().push(info.statement.clone()));
    (db, recorder)
}

fn args(first: i32, after: Option<String>) -> PageArgs {
    PageArgs {
        first: Some(first),
        after,
        last: None,
        before: None,
        keys: CursorKeys::new(b"the query plan test's cursor secret", None),
    }
}

fn backward(last: i32) -> PageArgs {
    PageArgs {
        first: None,
        last: Some(last),
        ..args(0, None)
    }
}

/// What is wrong with the plan of `statement`, if anything.
async fn plan_faults(
    db: &DatabaseConnection,
    backend: Backend,
    statement: &Statement,
) -> Vec<String> {
    let sql = statement.to_string();
    match backend {
        Backend::Sqlite => {
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("EXPLAIN QUERY PLAN {sql}"),
                ))
                .await
                .expect("explain");
            let details: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "detail").unwrap())
                .collect();
            let tables: Vec<String> = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT name FROM sqlite_master WHERE type = 'table'",
                ))
                .await
                .expect("the tables")
                .iter()
                .map(|r| r.try_get::<String>("", "name").unwrap())
                .collect();
            details
                .iter()
                .filter(|d| {
                    // A bare `SCAN t` of a table reads all of it; `SCAN t USING INDEX` walks
                    // an index in order, which a LIMIT stops after a page. A `SCAN` of a
                    // subquery reads the rows that subquery yields, judged on its own lines.
                    let scanned = d
                        .strip_prefix("SCAN ")
                        .and_then(|rest| rest.split(' ').next());
                    let whole_scan = scanned.is_some_and(|name| tables.iter().any(|t| t == name))
                        && !d.contains(" USING ")
                        && !is_small_table(d);
                    whole_scan || d.contains("TEMP B-TREE FOR ORDER BY")
                })
                .map(|d| format!("{d} (plan: {details:?})"))
                .collect()
        }
        Backend::Postgres => {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("EXPLAIN (FORMAT JSON) {sql}"),
                ))
                .await
                .expect("explain")
                .expect("a plan");
            let plan: Value = row.try_get_by_index::<serde_json::Value>(0).unwrap();
            let large = large_tables(db).await;
            let mut faults = Vec::new();
            walk(&plan[0]["Plan"], &large, &mut faults, 0);
            let generic = generic_plan(db, statement).await;
            let mut generic_faults = Vec::new();
            walk(&generic[0]["Plan"], &large, &mut generic_faults, 0);
            faults
                .into_iter()
                .map(|f| format!("{f} (plan: {plan})"))
                .chain(
                    generic_faults
                        .into_iter()
                        .map(|f| format!("generic plan: {f} (plan: {generic})")),
                )
                .collect()
        }
    }
}

/// The plan PostgreSQL keeps for `statement` prepared, planned without its values.
async fn generic_plan(db: &DatabaseConnection, statement: &Statement) -> Value {
    let backend = db.get_database_backend();
    let txn = db
        .begin()
        .await
        .expect("a transaction holds one connection");
    let run = |sql: String| Statement::from_string(backend, sql);
    txn.execute_raw(run("SET LOCAL plan_cache_mode = force_generic_plan".into()))
        .await
        .expect("set");
    txn.execute_raw(run(format!("PREPARE hot AS {}", statement.sql)))
        .await
        .expect("prepare");
    // EXECUTE takes its arguments as literals (a utility statement has no parameters).
    let values = statement.values.clone().map(|v| v.0).unwrap_or_default();
    let placeholders = (1..=values.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let executed = if values.is_empty() {
        "EXECUTE hot".to_owned()
    } else {
        format!(
            "EXECUTE hot({})",
            Statement::from_sql_and_values(backend, placeholders, values)
        )
    };
    let row = txn
        .query_one_raw(run(format!("EXPLAIN (FORMAT JSON) {executed}")))
        .await
        .expect("explain the prepared statement")
        .expect("a plan");
    let plan = row.try_get_by_index::<serde_json::Value>(0).unwrap();
    // A prepared statement outlives the transaction; the SET LOCAL does not.
    txn.execute_raw(run("DEALLOCATE hot".into()))
        .await
        .expect("deallocate");
    txn.rollback().await.expect("roll back");
    plan
}

/// The small tables (a dozen strategic areas), which a scan reads faster than an index.
fn is_small_table(detail: &str) -> bool {
    detail.starts_with("SCAN strategic_areas")
}

/// Collects a PostgreSQL plan's sequential scans of large tables and sorts of many rows.
fn walk(node: &Value, large: &[String], faults: &mut Vec<String>, depth: usize) {
    assert!(depth < 64, "a plan nested beyond reason");
    let kind = node["Node Type"].as_str().unwrap_or_default();
    let rows = node["Plan Rows"].as_f64().unwrap_or_default();
    let relation = node["Relation Name"].as_str().unwrap_or_default();
    // A scan is judged by the rows it reads, not the few a filter lets through.
    if kind == "Seq Scan" && (rows > WHOLE_TABLE || large.iter().any(|t| t == relation)) {
        faults.push(format!("sequential scan of {relation} ({rows} rows kept)"));
    }
    if kind == "Sort" && rows > WHOLE_TABLE {
        faults.push(format!("sort of {rows} rows"));
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        walk(child, large, faults, depth + 1);
    }
}

/// The tables holding more than [`WHOLE_TABLE`] rows, by the planner's statistics.
async fn large_tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = format!("SELECT relname::text AS name FROM pg_class WHERE relkind = 'r' AND reltuples > {WHOLE_TABLE}");
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("read the table sizes")
        .iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

on_both_databases! {
    async fn every_hot_query_reads_a_page_through_an_index(backend) {
        let database = TestDatabase::create(backend).await;
        let setup = database.connect().await;
        Migrator::up(&setup, None).await.expect("migrate");
        let summary = dataset::generate(&setup, Size::for_fellows(FELLOWS), 7).await.expect("generate");
        dataset::analyze(&setup).await.expect("analyze");
        let (db, recorder) = recording(&database.url).await;

        let mut checked: Vec<(String, Statement)> = Vec::new();
        let mut record = |what: &str, recorder: &Recorder| {
            let statements = recorder.take();
            assert!(!statements.is_empty(), "{what} sent no statement");
            checked.extend(statements.into_iter().map(|s| (what.to_owned(), s)));
        };

        // The fellows list: both orderings, both directions, first and last pages.
        for field in [FellowOrderField::Name, FellowOrderField::JoinedOn] {
            for descending in [false, true] {
                let order = FellowOrder { field, descending };
                let page = fellows::list(&db, &FellowFilter::default(), order, &args(100, None)).await.unwrap();
                record(&format!("fellows by {field:?}, descending {descending}"), &recorder);
                let after = page.edges.last().map(|(position, _)| page.cursor(position));
                fellows::list(&db, &FellowFilter::default(), order, &args(20, after)).await.unwrap();
                record(&format!("the next page of fellows by {field:?}"), &recorder);
                fellows::list(&db, &FellowFilter::default(), order, &backward(20)).await.unwrap();
                record(&format!("the last page of fellows by {field:?}"), &recorder);
                let status = FellowFilter { status: Some(FellowStatus::Alumni), ..FellowFilter::default() };
                fellows::list(&db, &status, order, &args(20, None)).await.unwrap();
                record(&format!("alumni by {field:?}"), &recorder);
            }
        }

        // A page deep in the list, reached by paging as a client does.
        let order = FellowOrder::default();
        let mut after = None;
        for _ in 0..(FELLOWS * 4 / 5 / 100) {
            let page = fellows::list(&db, &FellowFilter::default(), order, &args(100, after)).await.unwrap();
            after = page.edges.last().map(|(position, _)| page.cursor(position));
        }
        recorder.take();
        let page = fellows::list(&db, &FellowFilter::default(), order, &args(20, after)).await.unwrap();
        record("a page of fellows 80 % down the list", &recorder);
        page.total_count.resolve().await.unwrap();
        record("the count of every fellow", &recorder);

        // What a page of fellows fills in: contributions, areas, one fellow by handle.
        let ids: Vec<i64> = page.edges.iter().map(|(_, (fellow, _))| fellow.id).collect();
        let nested = args(10, None).window("fellow.contributions/id").unwrap();
        fellows::contributions_of(&db, &ids, &nested).await.unwrap();
        record("the contributions of a page of fellows", &recorder);
        fellows::contribution_counts(&db, &ids).await.unwrap();
        record("how many contributions each fellow of a page has", &recorder);
        let nested = args(10, None).window("fellow.strategicAreas/name").unwrap();
        fellows::strategic_areas_of(&db, &ids, &nested).await.unwrap();
        record(AREAS_OF_A_PAGE, &recorder);
        fellows::strategic_area_counts(&db, &ids).await.unwrap();
        record("how many strategic areas each fellow of a page has", &recorder);
        let handle = page.edges[0].1 .1.handle.clone().expect("a fellow's handle");
        fellows::by_handle(&db, &handle).await.unwrap().expect("the fellow");
        record("one fellow by handle", &recorder);

        // The staff review queue and what it shows of each nomination.
        let staff = Viewer::Staff(User { handle: summary.staff_handles[0].clone(), person_id: None });
        for status in [NominationStatus::Submitted, NominationStatus::UnderReview, NominationStatus::Accepted] {
            let filter = NominationFilter { status: Some(vec![status]) };
            let (page, _) = nominations::list(&db, &staff, &filter, &args(20, None), false).await.unwrap();
            record(&format!("nominations {status:?}"), &recorder);
            nominations::list(&db, &staff, &filter, &args(20, None), true).await.unwrap();
            record(&format!("nominations {status:?} with their nominators"), &recorder);
            let ids: Vec<i64> = page.edges.iter().map(|(_, n)| n.id).collect();
            nominations::endorsements_of(&db, &ids).await.unwrap();
            record("the endorsements of a page of nominations", &recorder);
        }

        // Organizations, and the members of the busiest foundation with their seats.
        organizations::list(&db, &OrganizationFilter::default(), false, &args(20, None)).await.unwrap();
        record("organizations by name", &recorder);
        let members = MembershipFilter { foundation: Some(summary.busiest_foundation.clone()), ..MembershipFilter::default() };
        let (page, _) = organizations::memberships(&db, &members, &args(20, None), false).await.unwrap();
        record("the members of a foundation", &recorder);
        organizations::memberships(&db, &members, &args(20, None), true).await.unwrap();
        record("the members of a foundation, with the member organizations", &recorder);
        let ids: Vec<i64> = page.edges.iter().map(|(_, m)| m.id).collect();
        organizations::board_seats_of(&db, &ids).await.unwrap();
        record("the board seats of a page of memberships", &recorder);
        let foundation = page.edges[0].1.foundation_id;
        let nested = args(20, None).window("organization.members/id").unwrap();
        organizations::memberships_by(&db, foundation_membership::Column::FoundationId, &[foundation], &nested).await.unwrap();
        record("a page of the members of a foundation, as a nested connection", &recorder);
        organizations::membership_counts(&db, foundation_membership::Column::FoundationId, &[foundation]).await.unwrap();
        record("how many members a foundation has", &recorder);

        // What a submission reads before it writes: the nominator, the areas, whether the
        // nominee is a fellow already or has an open nomination.
        let staff_person = person::Entity::find()
            .filter(person::Column::HandleFolded.eq(summary.staff_handles[0].to_lowercase()))
            .one(&setup).await.unwrap().expect("a staff person");
        let nominator = Viewer::Staff(User { handle: summary.staff_handles[0].clone(), person_id: Some(staff_person.id) });
        recorder.take();
        let submission = workflow::Submission {
            nominee_name: "Plan Test".into(), nominee_handle: "plan-test-nominee".into(),
            nominee_email: "plan@example.org".into(), rationale: "Reads through indexes.".into(),
            support_requested: None, strategic_area_slugs: vec![], links: vec![],
        };
        workflow::submit(&db, &nominator, submission, None).await.unwrap();
        let reads: Vec<Statement> = recorder.take().into_iter()
            .filter(|s| s.sql.trim_start().to_uppercase().starts_with("SELECT")).collect();
        assert!(reads.len() >= 3, "a submission read {} times", reads.len());
        checked.extend(reads.into_iter().map(|s| ("what a submission reads".to_owned(), s)));

        // The check itself can fail: a page in an order no index serves is caught, with
        // its values and as a generic plan alike.
        let unindexed = Statement::from_sql_and_values(
            db.get_database_backend(),
            match backend {
                Backend::Postgres => "SELECT id FROM fellows WHERE bio <> $1 ORDER BY bio LIMIT $2",
                Backend::Sqlite => "SELECT id FROM fellows WHERE bio <> ? ORDER BY bio LIMIT ?",
            },
            [sea_orm::Value::from("x"), sea_orm::Value::from(21i64)],
        );
        let caught = plan_faults(&db, backend, &unindexed).await;
        assert!(!caught.is_empty(), "a page sorted by bio passed the check");
        if backend == Backend::Postgres {
            assert!(caught.iter().any(|f| f.starts_with("generic plan:")), "{caught:?}");
        }

        let mut faults = Vec::new();
        for (what, statement) in &checked {
            for fault in plan_faults(&db, backend, statement).await {
                // Each fellow's areas come through the link table and are sorted by name,
                // which no index can give in that order; a fellow works in a handful.
                // (PostgreSQL's check sees the rows and lets a sort that small pass.)
                if what == AREAS_OF_A_PAGE && fault.contains("TEMP B-TREE FOR ORDER BY") {
                    continue;
                }
                faults.push(format!("{what}: {fault}\n  SQL: {statement}"));
            }
        }
        assert!(faults.is_empty(), "{} statement(s) of {} read too much:\n{}", faults.len(), checked.len(), faults.join("\n"));
    }
}
