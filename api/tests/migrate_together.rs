//! Replicas starting together: three `api migrate up` processes on one fresh database
//! all succeed, and every migration is applied once. (`serve` migrates the same way;
//! the in-process suite in `tests/` races three pools on both databases too.)

use std::process::{Command, Output, Stdio};

use fellowship_tests::{on_both_databases, Backend, TestDatabase};
use migration::{Migrator, MigratorTrait};

fn migrate(url: &str, action: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["migrate", action])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start api migrate")
}

fn assert_succeeded(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn three_replicas_migrate(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let children: Vec<_> = (0..3).map(|_| migrate(&database.url, "up")).collect();
    for (replica, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        assert_succeeded(&output, &format!("replica {replica}'s `api migrate up`"));
    }
    let db = database.connect().await;
    let applied: Vec<String> = Migrator::get_applied_migrations(&db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let expected: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(applied, expected);
    let status = migrate(&database.url, "status").wait_with_output().unwrap();
    assert_succeeded(&status, "`api migrate status`");
}

on_both_databases! {
    async fn three_processes_migrate_a_fresh_database_at_once(backend) {
        three_replicas_migrate(backend).await;
    }
}
