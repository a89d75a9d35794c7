//! `api backup DEST`: a consistent copy of the SQLite file while the server serves it.
//!
//! The copy is SQLite's `VACUUM INTO`, run on a connection of its own. In WAL mode it is
//! one read transaction: it sees the database as of its start (every write committed
//! before it, none after), and the server's writers go on committing to the WAL
//! meanwhile; they never wait for it. The copy is written to a hidden file beside
//! `DEST`, checked with `PRAGMA integrity_check`, flushed to disk, and only then linked
//! to `DEST` (a hard link, which refuses to replace a file that appeared meanwhile), so
//! `DEST` is either a whole, checked copy or absent: a failure leaves nothing behind.
//! An interrupted backup (SIGINT, SIGTERM) deletes its hidden file before it exits; one
//! killed outright (SIGKILL, a power cut) cannot, so the next backup beside it deletes
//! the hidden files whose process is gone.
//!
//! PostgreSQL is refused with its routine (`pg_dump --format=custom`): its own tool
//! takes the same kind of snapshot, and knows the server's formats better than a copy
//! made through this binary could (docs/operations/README.md, "Backups and restores").

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{ConnectionTrait, DbBackend, SqlxSqliteConnector, Statement};

use crate::config::DatabaseSettings;

/// What a finished backup wrote.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The file written.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// The newest migration it records, so the operator knows which binary restores it.
    pub latest_migration: Option<String>,
    /// How long the copy took (the server's writers never waited for it).
    pub took: Duration,
    /// How many hidden files of backups killed mid-copy were deleted first.
    pub swept: usize,
}

/// Why no backup was written; in every case nothing is left at `DEST`.
#[derive(Debug)]
pub enum BackupError {
    /// `DEST` exists already: a backup never replaces a file.
    DestinationExists(PathBuf),
    /// `DEST`'s folder does not exist (or is not a folder).
    NoFolder(PathBuf),
    /// The database is PostgreSQL, which `pg_dump` backs up.
    Postgres,
    /// The database lives in memory, or its URL names no file.
    NotAFile(String),
    /// The SQLite file the settings name does not exist.
    NoDatabase(PathBuf),
    /// The copy failed its integrity check (and was deleted).
    Corrupt(String),
    /// Reading the database or writing the copy failed.
    Failed(anyhow::Error),
}

/// The routine for PostgreSQL, as `api backup` prints it.
pub const POSTGRES_ROUTINE: &str = "\
back it up with PostgreSQL's own tool, which takes a consistent snapshot without \
blocking writers:
    pg_dump --format=custom --file=DEST \"$DATABASE_URL\"
and restore it into a fresh, empty database:
    createdb NEW && pg_restore --no-owner --dbname=NEW DEST
then check it with `api migrate status --check` and start `api serve` on it. Keep \
JWT_SECRET and CURSOR_SECRET with the dump: tokens and cursors depend on them. See \
docs/operations/README.md, \"Backups and restores\".";

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupError::DestinationExists(path) => write!(
                f,
                "{} exists already; a backup never replaces a file: name a new one",
                path.display()
            ),
            BackupError::NoFolder(path) => {
                write!(f, "the folder {} does not exist", path.display())
            }
            BackupError::Postgres => write!(
                f,
                "`api backup` copies SQLite files; this database is PostgreSQL: {POSTGRES_ROUTINE}"
            ),
            BackupError::NotAFile(url) => {
                write!(
                    f,
                    "{url} names no SQLite file (an in-memory database?); there is nothing to copy"
                )
            }
            BackupError::NoDatabase(path) => write!(
                f,
                "there is no database at {} (check DATABASE_URL)",
                path.display()
            ),
            BackupError::Corrupt(report) => write!(
                f,
                "the copy failed SQLite's integrity check and was deleted: {report}"
            ),
            BackupError::Failed(err) => write!(f, "the backup failed: {err:#}"),
        }
    }
}

impl std::error::Error for BackupError {}

/// Copies the SQLite database of `settings` to `dest`, consistently, while other
/// processes read and write it.
pub async fn sqlite(settings: &DatabaseSettings, dest: &Path) -> Result<Backup, BackupError> {
    let source = sqlite_file(settings)?;
    if dest.symlink_metadata().is_ok() {
        return Err(BackupError::DestinationExists(dest.to_owned()));
    }
    let folder = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(BackupError::NoFolder(folder));
    }
    let name = dest
        .file_name()
        .ok_or_else(|| BackupError::NotAFile(dest.display().to_string()))?;
    let swept = sweep_stale_partials(&folder, &name.to_string_lossy());
    let partial = Partial(folder.join(format!(
        "{}{}-{}",
        partial_prefix(&name.to_string_lossy()),
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )));

    let started = Instant::now();
    copy(&source, &partial.0).await?;
    let took = started.elapsed();
    let latest_migration = check(&partial.0).await?;
    std::fs::File::open(&partial.0)
        .and_then(|file| file.sync_all())
        .map_err(|err| failed(err, "could not flush the copy to disk"))?;
    match std::fs::hard_link(&partial.0, dest) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::DestinationExists(dest.to_owned()));
        }
        Err(err) => return Err(failed(err, "could not put the copy in place")),
    }
    drop(partial);
    // The new name is durable only once its folder is; a folder that cannot be opened
    // for that (some platforms) is left to the filesystem's own schedule.
    if let Ok(folder) = std::fs::File::open(&folder) {
        let _ = folder.sync_all();
    }
    let bytes = std::fs::metadata(dest)
        .map_err(|err| failed(err, "could not read the copy's size"))?
        .len();
    Ok(Backup {
        path: dest.to_owned(),
        bytes,
        latest_migration,
        took,
        swept,
    })
}

/// The files SQLite may make beside a database file, by the suffix of their names.
const JOURNAL_SUFFIXES: [&str; 3] = ["-journal", "-wal", "-shm"];

/// How the hidden file of a backup to `name` begins; the process id and a random part
/// follow (`.NAME.partial-PID-UUID`).
fn partial_prefix(name: &str) -> String {
    format!(".{name}.partial-")
}

/// Deletes the hidden files (and their journals) that backups to `name` in `folder`
/// left when they were killed before they could delete them: those whose process no
/// longer runs. A file of a backup that is still running is kept. Where the system
/// does not tell which processes run (no `/proc`), nothing is deleted. Answers how many
/// copies were deleted.
fn sweep_stale_partials(folder: &Path, name: &str) -> usize {
    let processes = Path::new("/proc");
    if !processes.join("self").exists() {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let prefix = partial_prefix(name);
    let mut swept = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let Some((pid, _)) = rest.split_once('-') else {
            continue;
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if processes.join(pid).exists() {
            continue;
        }
        // Only plain files: a folder or a link of that name is not ours to touch.
        let is_file = entry.file_type().is_ok_and(|file_type| file_type.is_file());
        if !is_file || std::fs::remove_file(entry.path()).is_err() {
            continue;
        }
        let is_journal = JOURNAL_SUFFIXES.iter().any(|suffix| rest.ends_with(suffix));
        if !is_journal {
            swept += 1;
        }
    }
    swept
}

/// The file an `sqlite:` URL names: `sqlite://PATH?options` or `sqlite:PATH`.
fn sqlite_file(settings: &DatabaseSettings) -> Result<PathBuf, BackupError> {
    if settings.url.is_postgres() {
        return Err(BackupError::Postgres);
    }
    let url = settings.url.expose();
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || options.contains("mode=memory") {
        return Err(BackupError::NotAFile(settings.url.to_string()));
    }
    // The file exactly as the driver reads the URL (percent-decoding and all).
    let path = url
        .parse::<SqliteConnectOptions>()
        .map_err(|err| failed(err, "could not read DATABASE_URL"))?
        .get_filename()
        .to_owned();
    if !path.is_file() {
        return Err(BackupError::NoDatabase(path));
    }
    Ok(path)
}

fn failed(err: impl Into<anyhow::Error>, doing: &'static str) -> BackupError {
    BackupError::Failed(err.into().context(doing))
}

/// One connection, opened for this copy alone: no migration, no WAL switch, nothing but
/// the read transaction of `VACUUM INTO`.
async fn copy(source: &Path, into: &Path) -> Result<(), BackupError> {
    // Read-write although it only reads: a read-only connection cannot open a WAL
    // database whose `-shm` file is missing (no server running), and opening never
    // creates a file (`create_if_missing` is off).
    let options = SqliteConnectOptions::new()
        .filename(source)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|err| failed(err, "could not open the database"))?;
    let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let into_text = into
        .to_str()
        .ok_or_else(|| BackupError::NotAFile(into.display().to_string()))?;
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [into_text.into()],
        ))
        .await;
    db.close().await.ok();
    result.map_err(|err| failed(err, "could not copy the database"))?;
    Ok(())
}

/// Runs `PRAGMA integrity_check` on the copy, read-only and without touching it (no
/// WAL or journal appears beside it), and reads the newest migration it records.
async fn check(copy: &Path) -> Result<Option<String>, BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(copy)
        .read_only(true)
        .immutable(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|err| failed(err, "could not open the copy to check it"))?;
    let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let checked = async {
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA integrity_check",
            ))
            .await?;
        let report: Vec<String> = rows
            .iter()
            .filter_map(|row| row.try_get_by_index::<String>(0).ok())
            .collect();
        let latest = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT max(version) FROM seaql_migrations",
            ))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get_by_index::<Option<String>>(0).ok())
            .flatten();
        Ok::<_, sea_orm::DbErr>((report, latest))
    }
    .await;
    db.close().await.ok();
    let (report, latest) = checked.map_err(|err| failed(err, "could not check the copy"))?;
    if report != ["ok"] {
        return Err(BackupError::Corrupt(report.join("; ")));
    }
    Ok(latest)
}

/// The copy being written: deleted unless it was put in place (and then only its
/// temporary name goes).
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        for suffix in std::iter::once("").chain(JOURNAL_SUFFIXES) {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}
