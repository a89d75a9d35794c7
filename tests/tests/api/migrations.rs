//! The migrations: reversible, carrying the constraints that protect the data, and safe
//! to run from several replicas starting at once.

use std::time::Duration;

use api::config::{DatabaseSettings, DatabaseUrl};
use entity::folding::fold;
use fellowship_tests::{on_both_databases, Backend, TestApp, TestDatabase};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// The migration that added the folded copies; the tests below start just before it.
const FOLDING: &str = "m20261201_000001_fold_case_in_rust";

/// How many migrations come before [`FOLDING`], and how many from it on.
fn around_folding() -> (u32, u32) {
    let all = Migrator::migrations();
    let before = all
        .iter()
        .position(|m| m.name() == FOLDING)
        .expect("the folding migration");
    (before as u32, (all.len() - before) as u32)
}

async fn texts(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn schema_of(db: &DatabaseConnection, backend: Backend) -> Vec<String> {
    let queries: &[&str] = match backend {
        Backend::Sqlite => &["SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') FROM sqlite_master \
              WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'seaql_migrations' ORDER BY type, name"],
        Backend::Postgres => &[
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'seaql_migrations' ORDER BY table_name, column_name",
            "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'seaql_migrations' ORDER BY indexname",
            "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'seaql_migrations' ORDER BY 1",
        ],
    };
    let mut lines = Vec::new();
    for sql in queries {
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), *sql))
            .await
            .unwrap();
        for row in rows {
            lines.push(row.try_get_by_index::<String>(0).unwrap());
        }
    }
    lines
}

/// What the migrator has recorded as applied, in order.
async fn applied(db: &DatabaseConnection) -> Vec<String> {
    Migrator::get_applied_migrations(db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// The camelCase payload the first outbox rows kept: a nomination's changing fields only.
fn first_outbox_form(snapshot: &serde_json::Value) -> serde_json::Value {
    let n = &snapshot["nomination"];
    serde_json::json!({
        "nomineeName": n["nominee_name"], "nomineeHandle": n["nominee_handle"], "status": n["status"],
        "version": n["version"], "nominatorPersonId": n["nominator_person_id"],
        "reviewerPersonId": n["reviewer_person_id"], "decidedByPersonId": n["decided_by_person_id"],
        "decisionNote": n["decision_note"],
    })
}

async fn event_payloads(db: &DatabaseConnection) -> Vec<(i64, serde_json::Value)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, payload FROM nomination_events ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<i64>("", "id").unwrap(),
                row.try_get::<serde_json::Value>("", "payload").unwrap(),
            )
        })
        .collect()
}

fn seconds(at: &serde_json::Value) -> Option<i64> {
    at.as_str().map(|at| {
        chrono::DateTime::parse_from_rfc3339(at)
            .expect("a time")
            .timestamp()
    })
}

on_both_databases! {
    async fn three_replicas_migrating_a_fresh_database_at_once_all_succeed(backend) {
        // Three pools, as three processes would have, all connected before any migrates.
        for round in 0..3 {
            let database = TestDatabase::create(backend).await;
            let settings = DatabaseSettings {
                url: DatabaseUrl::new(database.url.clone()),
                max_connections: Some(2),
                acquire_timeout: Duration::from_secs(10),
                statement_timeout: Duration::from_secs(30),
                generic_plans: true,
            };
            let mut pools = Vec::new();
            for _ in 0..3 {
                pools.push(api::db::connect(&settings, Default::default()).await.unwrap());
            }
            let results = futures::future::join_all(pools.iter().map(api::db::migrate_up)).await;
            for (replica, result) in results.iter().enumerate() {
                assert!(result.is_ok(), "round {round}: replica {replica} failed: {:?}", result.as_ref().err());
            }
            let db = database.connect().await;
            let expected: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
            assert_eq!(applied(&db).await, expected, "round {round}: each migration is applied once");
            assert!(schema_of(&db, backend).await.iter().any(|line| line.contains("nomination_events")));
        }
    }

    async fn rolling_back_while_another_replica_rolls_back_undoes_each_migration_once(backend) {
        let database = TestDatabase::create(backend).await;
        let settings = DatabaseSettings {
            url: DatabaseUrl::new(database.url.clone()),
            max_connections: Some(2),
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            generic_plans: true,
        };
        let (a, b) = (api::db::connect(&settings, Default::default()).await.unwrap(),
            api::db::connect(&settings, Default::default()).await.unwrap());
        api::db::migrate_up(&a).await.unwrap();
        let all = applied(&a).await;
        let (first, second) = futures::future::join(api::db::migrate_down(&a, Some(1)), api::db::migrate_down(&b, Some(1))).await;
        first.unwrap();
        second.unwrap();
        assert_eq!(applied(&a).await, all[..all.len() - 2].to_vec(), "two steps down, one each");
    }

    async fn migrating_all_the_way_down_and_up_again_leaves_the_same_schema(backend) {
        let database = TestDatabase::create(backend).await;
        let db = database.connect().await;
        Migrator::up(&db, None).await.unwrap();
        let first = schema_of(&db, backend).await;
        for table in ["people", "accounts", "fellows", "contributions", "strategic_areas", "fellow_strategic_areas",
            "benefit_grants", "nominations", "nomination_strategic_areas", "endorsements", "organizations",
            "foundation_memberships", "board_seats", "api_tokens", "audit_events", "idempotency_records", "nomination_events"] {
            assert!(first.iter().any(|line| line.contains(table)), "{table} is missing");
        }
        Migrator::down(&db, None).await.unwrap();
        assert_eq!(schema_of(&db, backend).await, Vec::<String>::new(), "down leaves nothing behind");
        Migrator::up(&db, None).await.unwrap();
        assert_eq!(schema_of(&db, backend).await, first);
    }

    async fn handles_and_slugs_are_unique_ignoring_case(backend) {
        let app = TestApp::with_demo(backend).await;
        let db = &app.db;
        let now = "'2024-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO people (name, name_folded, handle, handle_folded, created_at, updated_at) VALUES ('X', 'x', 'CEYDA', '{}', {now}, {now})", fold("CEYDA")),
            format!("INSERT INTO strategic_areas (slug, slug_folded, name, name_folded, version, created_at, updated_at) VALUES ('Spanish-NLP', '{}', 'X', 'x', 1, {now}, {now})", fold("Spanish-NLP")),
            format!("INSERT INTO organizations (slug, slug_folded, name, name_folded, kind, version, created_at, updated_at) VALUES ('HUGGING-FACE', '{}', 'X', 'x', 'COMPANY', 1, {now}, {now})", fold("HUGGING-FACE")),
        ] {
            assert!(db.execute_unprepared(&sql).await.is_err(), "accepted: {sql}");
        }
    }

    async fn enum_columns_refuse_values_outside_the_domain(backend) {
        let app = TestApp::with_demo(backend).await;
        let now = "'2024-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO organizations (slug, slug_folded, name, name_folded, kind, version, created_at, updated_at) VALUES ('x', 'x', 'X', 'x', 'CARTEL', 1, {now}, {now})"),
            "UPDATE fellows SET status = 'RETIRED'".to_owned(),
            "UPDATE foundation_memberships SET tier = 'PLATINUM'".to_owned(),
            "UPDATE contributions SET kind = 'GOSSIP'".to_owned(),
        ] {
            assert!(app.db.execute_unprepared(&sql).await.is_err(), "accepted: {sql}");
        }
    }

    async fn one_nominee_has_at_most_one_open_nomination(backend) {
        let app = TestApp::with_demo(backend).await;
        let now = "'2024-01-01T00:00:00Z'";
        let insert = |handle: &str, status: &str| format!(
            "INSERT INTO nominations (nominee_name, nominee_handle, nominee_handle_folded, nominee_email, rationale, links, status, \
             nominator_person_id, version, created_at, updated_at) \
             VALUES ('Ada', '{handle}', '{}', 'ada@example.org', 'Because', '[]', '{status}', \
             (SELECT id FROM people WHERE handle = 'merve'), 1, {now}, {now})", fold(handle));
        app.db.execute_unprepared(&insert("ada", "SUBMITTED")).await.unwrap();
        assert!(app.db.execute_unprepared(&insert("ADA", "UNDER_REVIEW")).await.is_err());
        // Closed nominations do not count.
        app.db.execute_unprepared(&insert("Ada", "DECLINED")).await.unwrap();
    }

    async fn a_foundation_cannot_be_its_own_member_or_parent(backend) {
        let app = TestApp::with_demo(backend).await;
        for sql in [
            "UPDATE organizations SET parent_id = id WHERE slug = 'pytorch-foundation'",
            "UPDATE foundation_memberships SET member_id = foundation_id",
        ] {
            assert!(app.db.execute_unprepared(sql).await.is_err(), "accepted: {sql}");
        }
    }

    async fn the_folding_migration_folds_existing_rows_in_rust_and_moves_the_unique_indexes(backend) {
        let database = TestDatabase::create(backend).await;
        let db = database.connect().await;
        let (before, from) = around_folding();
        Migrator::up(&db, Some(before)).await.unwrap();
        let old_schema = schema_of(&db, backend).await;
        let now = "'2024-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO people (name, handle, created_at, updated_at) VALUES ('Émile Zola', 'ÉMILE', {now}, {now})"),
            format!("INSERT INTO people (name, created_at, updated_at) VALUES ('Nobody', {now}, {now})"),
            format!("INSERT INTO fellows (person_id, headline, status, joined_on, created_at, updated_at) \
                     VALUES ((SELECT id FROM people WHERE handle = 'ÉMILE'), 'Ávila', 'ACTIVE', '2024-01-01', {now}, {now})"),
            format!("INSERT INTO strategic_areas (slug, name, created_at, updated_at) VALUES ('ÑANDÚ', 'Ñandú', {now}, {now})"),
            format!("INSERT INTO organizations (slug, name, kind, created_at, updated_at) VALUES ('SOCIÉTÉ', 'Société', 'COMPANY', {now}, {now})"),
            format!("INSERT INTO nominations (nominee_name, nominee_handle, nominee_email, rationale, status, nominator_person_id, created_at, updated_at) \
                     VALUES ('Ada', 'ÁDA', 'ada@example.org', 'Because', 'SUBMITTED', (SELECT id FROM people WHERE handle = 'ÉMILE'), {now}, {now})"),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }

        Migrator::up(&db, None).await.unwrap();
        // SQLite's lower() would have left the capitals: these come from Rust.
        assert_eq!(texts(&db, "SELECT name_folded || '/' || coalesce(handle_folded, '-') FROM people ORDER BY id").await, ["émile zola/émile", "nobody/-"]);
        assert_eq!(texts(&db, "SELECT headline_folded FROM fellows").await, ["ávila"]);
        assert_eq!(texts(&db, "SELECT slug_folded || '/' || name_folded FROM strategic_areas").await, ["ñandú/ñandú"]);
        assert_eq!(texts(&db, "SELECT slug_folded || '/' || name_folded FROM organizations").await, ["société/société"]);
        assert_eq!(texts(&db, "SELECT nominee_handle_folded FROM nominations").await, ["áda"]);
        let duplicate = format!("INSERT INTO people (name, name_folded, handle, handle_folded, created_at, updated_at) \
                                 VALUES ('x', 'x', 'émile', '{}', {now}, {now})", fold("émile"));
        assert!(db.execute_unprepared(&duplicate).await.is_err(), "the unique index is on the folded handle");

        Migrator::down(&db, Some(from)).await.unwrap();
        assert_eq!(schema_of(&db, backend).await, old_schema, "down restores the schema before it");
        assert_eq!(texts(&db, "SELECT handle FROM people WHERE handle IS NOT NULL").await, ["ÉMILE"]);
    }

    async fn the_folding_migration_refuses_values_it_would_join_and_changes_nothing(backend) {
        let database = TestDatabase::create(backend).await;
        let db = database.connect().await;
        let (before, _) = around_folding();
        Migrator::up(&db, Some(before)).await.unwrap();
        let now = "'2024-01-01T00:00:00Z'";
        // Distinct for lower() on both databases, one handle once canonically composed.
        for handle in ["JOSÉ", "jose\u{301}"] {
            db.execute_unprepared(&format!("INSERT INTO people (name, handle, created_at, updated_at) VALUES ('José', '{handle}', {now}, {now})"))
                .await.unwrap();
        }
        let old_schema = schema_of(&db, backend).await;
        assert!(Migrator::up(&db, None).await.is_err());
        assert_eq!(schema_of(&db, backend).await, old_schema, "a refused migration leaves nothing half-done");
        assert_eq!(Migrator::get_pending_migrations(&db).await.unwrap().first().map(|m| m.name().to_owned()), Some(FOLDING.to_owned()));
    }

    async fn events_of_the_first_outbox_form_become_the_snapshots_they_stood_for(backend) {
        let app = TestApp::with_demo(backend).await;
        let (maria, merve, omar) = (app.token(api::auth::Role::Fellow, "mariagrandury"),
            app.token(api::auth::Role::Staff, "merve"), app.token(api::auth::Role::Staff, "espejelomar"));
        let submitted = app.submit_nomination(&maria, "old-outbox").await;
        let started = app.graphql_as(Some(&merve), "mutation($id: ID!, $v: Int!) { startNominationReview(input: { nominationId: $id, expectedVersion: $v }) { nomination { version } userErrors { code } } }",
            serde_json::json!({ "id": submitted.id, "v": submitted.version })).await.expect_ok();
        let version = started["startNominationReview"]["nomination"]["version"].clone();
        let decided = app.graphql_as(Some(&omar), "mutation($id: ID!, $v: Int!) { decideNomination(input: { nominationId: $id, decision: DECLINE, note: \"Not now\", expectedVersion: $v }) { nomination { status } userErrors { code } } }",
            serde_json::json!({ "id": submitted.id, "v": version })).await.expect_ok();
        assert_eq!(decided["decideNomination"]["nomination"]["status"], "DECLINED");

        // What the service wrote is the truth; rewrite it as the first outbox did.
        let written = event_payloads(&app.db).await;
        assert_eq!(written.len(), 3, "submitted, review started, declined");
        let update = match backend { Backend::Postgres => "UPDATE nomination_events SET payload = $1 WHERE id = $2", Backend::Sqlite => "UPDATE nomination_events SET payload = ? WHERE id = ?" };
        for (event, payload) in &written {
            app.db.execute_raw(Statement::from_sql_and_values(app.db.get_database_backend(), update,
                [first_outbox_form(payload).into(), (*event).into()])).await.unwrap();
        }
        // Its down leaves rows as they are: roll back to just before it (with the
        // migrations that came after it) and run it again.
        let all = Migrator::migrations();
        let from = all.iter().position(|m| m.name() == "m20261202_000002_full_event_snapshots").expect("the snapshot migration");
        Migrator::down(&app.db, Some((all.len() - from) as u32)).await.unwrap();
        Migrator::up(&app.db, None).await.unwrap();

        let rebuilt = event_payloads(&app.db).await;
        for ((event, truth), (_, again)) in written.iter().zip(&rebuilt) {
            let (truth, again) = (&truth["nomination"], &again["nomination"]);
            let truth_fields = truth.as_object().unwrap();
            assert_eq!(again.as_object().unwrap().keys().collect::<Vec<_>>(), truth_fields.keys().collect::<Vec<_>>(), "event {event}");
            for (field, value) in truth_fields {
                if field.ends_with("_at") {
                    // Times come from the events, stamped a moment apart from the row's.
                    let (want, got) = (seconds(value), seconds(&again[field]));
                    assert_eq!(want.is_some(), got.is_some(), "event {event}: {field}");
                    assert!(want.zip(got).is_none_or(|(w, g)| (w - g).abs() <= 2), "event {event}: {field} {value} vs {}", again[field]);
                } else {
                    assert_eq!(&again[field], value, "event {event}: {field}");
                }
            }
        }
        // And the service reads them as the events they were.
        let events = api::service::nomination_events::read_after(&app.db, 0,
            api::service::nomination_events::Audience::Everything, &Default::default(), 10).await.unwrap();
        let statuses: Vec<&str> = events.iter().map(|e| e.nomination.status.as_str()).collect();
        assert_eq!(statuses, ["SUBMITTED", "UNDER_REVIEW", "DECLINED"]);
        assert!(events[0].nomination.decided_at.is_none(), "the submission does not know of the decision");
        assert_eq!(events[0].nomination.nominee_email, "old-outbox@example.org");
    }
}
