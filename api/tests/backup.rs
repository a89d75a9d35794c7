//! Backups taken while the server serves a steady write load, and restored: the real
//! binary (`api serve`, `api backup`), and PostgreSQL's own `pg_dump`/`pg_restore`.
//! A backup must hold every write acknowledged before it began, and SQLite's must pass
//! `PRAGMA integrity_check`; `api backup` never replaces a file nor leaves half of one.

use std::path::{Path, PathBuf};
use std::time::Instant;

use api::auth::Role;
use fellowship_tests::load::{missing_nodes, Acknowledged, WriteLoad};
use fellowship_tests::process::{assert_succeeded, ServeCommand, ServeProcess};
use fellowship_tests::{Backend, TestDatabase};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

const API: &str = env!("CARGO_BIN_EXE_api");

fn staff_token() -> String {
    fellowship_tests::user_token(Role::Staff, "merve")
}

/// A folder of its own under the temporary folder, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let path = std::env::temp_dir().join(format!(
            "fellowship-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Folder(path)
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn run(program: &str, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    for (name, value) in envs {
        command.env(name, value);
    }
    command
        .output()
        .await
        .unwrap_or_else(|err| panic!("run {program}: {err}"))
}

/// Serves `database_url` (with the demo data when asked), puts a write load on it,
/// runs `backup` once the load is steady, and keeps the load going past it. Answers the
/// writes acknowledged before the backup began, and how many were acknowledged while
/// it ran.
async fn back_up_under_load<F, Fut>(database_url: &str, backup: F) -> (Vec<String>, usize)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let server = ServeCommand::new(API, database_url)
        .env("SHUTDOWN_DELAY", "0s")
        .demo()
        .start()
        .await;
    let load = WriteLoad::start(&server.address, &staff_token(), 4);
    load.wait_for(100).await;
    let began = Instant::now();
    backup().await;
    let ended = Instant::now();
    // Writes go on after the backup: the server was never stopped for it.
    let after = load.acknowledged_count() + 50;
    load.wait_for(after).await;
    let acknowledged = load.stop().await;
    stop(server);
    let before: Vec<String> = acknowledged
        .iter()
        .filter(|write| write.at < began)
        .map(|write| write.id.clone())
        .collect();
    let during = acknowledged
        .iter()
        .filter(|write: &&Acknowledged| write.at >= began && write.at <= ended)
        .count();
    (before, during)
}

fn stop(mut server: ServeProcess) {
    server.terminate();
    server.wait();
}

/// Starts a server on the restored database and insists that it finds every write in
/// `expected`.
async fn assert_restored_holds(database_url: &str, expected: &[String]) {
    let server = ServeCommand::new(API, database_url)
        .env("SHUTDOWN_DELAY", "0s")
        .start()
        .await;
    let missing = missing_nodes(&server.address, &staff_token(), expected).await;
    assert!(
        missing.is_empty(),
        "{} of {} writes acknowledged before the backup are missing from it, such as {:?}",
        missing.len(),
        expected.len(),
        missing.first()
    );
    stop(server);
}

async fn integrity_check(file: &Path) -> Vec<String> {
    let db = Database::connect(format!("sqlite://{}?mode=ro", file.display()))
        .await
        .unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap();
    let report = rows
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    db.close().await.ok();
    report
}

mod sqlite {
    use super::*;

    /// A fresh SQLite database migrated by `api migrate up`, with no server on it.
    async fn migrated_sqlite() -> TestDatabase {
        let database = TestDatabase::create(Backend::Sqlite).await;
        let migrated = run(API, &["migrate", "up"], &[("DATABASE_URL", &database.url)]).await;
        assert_succeeded(&migrated, "api migrate up");
        database
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_backup_under_load_holds_every_write_acknowledged_before_it_began() {
        let database = TestDatabase::create(Backend::Sqlite).await;
        let folder = Folder::new("backup");
        let dest = folder.0.join("fellowship-backup.db");
        let dest_text = dest.display().to_string();

        let (url, dest_arg) = (&database.url, &dest_text);
        let (before, during) = back_up_under_load(url, || async move {
            let output = run(API, &["backup", dest_arg], &[("DATABASE_URL", url)]).await;
            assert_succeeded(&output, "api backup");
            assert!(String::from_utf8_lossy(&output.stdout).contains("integrity ok"));
        })
        .await;
        eprintln!(
            "{} writes acknowledged before the backup, {during} while it ran",
            before.len()
        );

        assert_eq!(integrity_check(&dest).await, ["ok"]);
        assert_eq!(
            folder.entries(),
            ["fellowship-backup.db"],
            "the backup leaves only its file"
        );
        assert_restored_holds(&format!("sqlite://{dest_text}?mode=rw"), &before).await;
    }

    #[tokio::test]
    async fn a_backup_never_replaces_a_file_and_leaves_nothing_when_refused() {
        let database = migrated_sqlite().await;
        let folder = Folder::new("backup-refused");
        let dest = folder.0.join("taken.db");
        std::fs::write(&dest, b"an operator's file").unwrap();

        let output = run(
            API,
            &["backup", &dest.display().to_string()],
            &[("DATABASE_URL", &database.url)],
        )
        .await;
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("exists already"));
        assert_eq!(std::fs::read(&dest).unwrap(), b"an operator's file");
        assert_eq!(folder.entries(), ["taken.db"]);

        let nowhere = folder.0.join("no-such-folder").join("backup.db");
        let output = run(
            API,
            &["backup", &nowhere.display().to_string()],
            &[("DATABASE_URL", &database.url)],
        )
        .await;
        assert!(!output.status.success());
        assert_eq!(folder.entries(), ["taken.db"]);
    }

    /// A backup stopped by SIGTERM deletes its hidden file and says so. The database
    /// carries some 130 MB of filler, so that the copy takes a second or more and the
    /// signal arrives while its hidden file is being written.
    #[tokio::test]
    async fn an_interrupted_backup_deletes_its_partial_copy() {
        use sea_orm::sqlx::{sqlite::SqliteConnection, Connection, Executor};

        let database = migrated_sqlite().await;
        let mut filler = SqliteConnection::connect(&database.url).await.unwrap();
        filler
            .execute(
                "CREATE TABLE backup_test_filler (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000) \
                 INSERT INTO backup_test_filler (bytes) SELECT randomblob(200) FROM n",
            )
            .await
            .unwrap();
        filler.close().await.unwrap();

        let folder = Folder::new("backup-interrupted");
        let dest = folder.0.join("stopped.db");
        let backup = tokio::process::Command::new(API)
            .args(["backup", &dest.display().to_string()])
            .env("DATABASE_URL", &database.url)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let give_up = Instant::now() + std::time::Duration::from_secs(10);
        while !folder
            .entries()
            .iter()
            .any(|name| name.contains(".partial-"))
        {
            assert!(
                Instant::now() < give_up && !dest.exists(),
                "no partial copy was seen before the backup ended: {:?}",
                folder.entries()
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let pid = backup.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            backup.wait_with_output(),
        )
        .await
        .expect("the backup stops at SIGTERM")
        .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("interrupted"), "{stderr}");
        assert!(folder.entries().is_empty(), "{:?}", folder.entries());

        // Nothing appears later either: the copy stopped with its process.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(folder.entries().is_empty(), "{:?}", folder.entries());
    }

    /// What a backup killed outright left (its process gone) is deleted by the next
    /// backup beside it; the hidden file of a backup still running is not.
    #[tokio::test]
    async fn a_backup_deletes_what_killed_backups_left_and_nothing_else() {
        let database = migrated_sqlite().await;
        let folder = Folder::new("backup-sweep");
        // A process that ran and is gone, as a backup killed with SIGKILL is.
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let gone_pid = gone.id();
        gone.wait().unwrap();
        let left = format!(".nightly.db.partial-{gone_pid}-0123456789abcdef0123456789abcdef");
        let running = format!(
            ".nightly.db.partial-{}-fedcba9876543210fedcba9876543210",
            std::process::id()
        );
        let other_backup =
            format!(".weekly.db.partial-{gone_pid}-00112233445566778899aabbccddeeff");
        for name in [&left, &format!("{left}-journal"), &running, &other_backup] {
            std::fs::write(folder.0.join(name), b"half a copy").unwrap();
        }

        let dest = folder.0.join("nightly.db");
        let output = run(
            API,
            &["backup", &dest.display().to_string()],
            &[("DATABASE_URL", &database.url)],
        )
        .await;
        assert_succeeded(&output, "api backup");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("deleted 1 partial copie(s)"), "{stderr}");
        let mut expected = vec![
            running.clone(),
            other_backup.clone(),
            "nightly.db".to_owned(),
        ];
        expected.sort();
        assert_eq!(folder.entries(), expected);
        assert_eq!(integrity_check(&dest).await, ["ok"]);
    }

    #[tokio::test]
    async fn a_backup_of_a_database_that_does_not_exist_is_refused_without_making_one() {
        let folder = Folder::new("backup-missing");
        let missing = folder.0.join("missing.db");
        let url = format!("sqlite://{}?mode=rwc", missing.display());
        let dest = folder.0.join("backup.db");
        let output = run(
            API,
            &["backup", &dest.display().to_string()],
            &[("DATABASE_URL", &url)],
        )
        .await;
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("no database"));
        assert!(folder.entries().is_empty());
    }

    #[tokio::test]
    async fn a_backup_of_postgresql_is_refused_with_the_pg_dump_routine() {
        let folder = Folder::new("backup-postgres");
        let dest = folder.0.join("backup.dump");
        // Refused before connecting: no PostgreSQL needs to answer.
        let output = run(
            API,
            &["backup", &dest.display().to_string()],
            &[("DATABASE_URL", "postgres://app@db.invalid/fellowship")],
        )
        .await;
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("pg_dump --format=custom"), "{stderr}");
        assert!(stderr.contains("pg_restore"), "{stderr}");
        assert!(folder.entries().is_empty());
    }
}

/// PostgreSQL's routine, as the operator's guide gives it: `pg_dump --format=custom`
/// while the server writes, `pg_restore` into a fresh database, `api migrate status
/// --check`, `api serve`.
mod postgres {
    use super::*;

    /// Whether PostgreSQL's client tools are installed. Without them the test says it
    /// is skipped, unless CI requires PostgreSQL (`FELLOWSHIP_REQUIRE_POSTGRES=1`).
    fn tools_or_skip() -> bool {
        let found = ["pg_dump", "pg_restore"].iter().all(|tool| {
            std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success())
        });
        if !found {
            assert!(
                std::env::var("FELLOWSHIP_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "pg_dump and pg_restore are required (FELLOWSHIP_REQUIRE_POSTGRES=1) but not installed"
            );
            fellowship_tests::skipped("pg_dump or pg_restore is not installed");
        }
        found
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn pg_dump_under_load_restores_every_write_acknowledged_before_it_began() {
        let backend = Backend::postgres().await;
        if !tools_or_skip() {
            return;
        }
        let source = TestDatabase::create(backend).await;
        let folder = Folder::new("pg-dump");
        let dump = folder.0.join("fellowship.dump");
        let dump_text = dump.display().to_string();

        let (url, dump_arg) = (&source.url, &dump_text);
        let (before, during) = back_up_under_load(url, || async move {
            let output = run(
                "pg_dump",
                &["--format=custom", "--file", dump_arg, url],
                &[],
            )
            .await;
            assert_succeeded(&output, "pg_dump");
        })
        .await;
        eprintln!(
            "{} writes acknowledged before pg_dump began, {during} while it ran",
            before.len()
        );

        let restored = TestDatabase::create(backend).await;
        let output = run(
            "pg_restore",
            &[
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                &restored.url,
                &dump_text,
            ],
            &[],
        )
        .await;
        assert_succeeded(&output, "pg_restore");
        let status = run(
            API,
            &["migrate", "status", "--check"],
            &[("DATABASE_URL", &restored.url)],
        )
        .await;
        assert_succeeded(
            &status,
            "api migrate status --check on the restored database",
        );
        assert_restored_holds(&restored.url, &before).await;
    }
}
