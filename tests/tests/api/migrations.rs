//! The migrations: reversible, and carrying the constraints that protect the data.

use fellowship_tests::{on_both_databases, Backend, TestApp, TestDatabase};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

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

on_both_databases! {
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
            format!("INSERT INTO people (name, handle, created_at, updated_at) VALUES ('X', 'CEYDA', {now}, {now})"),
            format!("INSERT INTO strategic_areas (slug, name, version, created_at, updated_at) VALUES ('Spanish-NLP', 'X', 1, {now}, {now})"),
            format!("INSERT INTO organizations (slug, name, kind, version, created_at, updated_at) VALUES ('HUGGING-FACE', 'X', 'COMPANY', 1, {now}, {now})"),
        ] {
            assert!(db.execute_unprepared(&sql).await.is_err(), "accepted: {sql}");
        }
    }

    async fn enum_columns_refuse_values_outside_the_domain(backend) {
        let app = TestApp::with_demo(backend).await;
        let now = "'2024-01-01T00:00:00Z'";
        for sql in [
            format!("INSERT INTO organizations (slug, name, kind, version, created_at, updated_at) VALUES ('x', 'X', 'CARTEL', 1, {now}, {now})"),
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
            "INSERT INTO nominations (nominee_name, nominee_handle, nominee_email, rationale, links, status, \
             nominator_person_id, version, created_at, updated_at) \
             VALUES ('Ada', '{handle}', 'ada@example.org', 'Because', '[]', '{status}', \
             (SELECT id FROM people WHERE handle = 'merve'), 1, {now}, {now})");
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
}
