//! The `api` command line: `serve`, `migrate`, `schema`, `token`, `account` and
//! `documents`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use migration::ledger::Ledger;

use entity::enums::AccountRole;

use crate::auth::{mint_user_token, KeyRing, Role};
use crate::config::{parse_duration, AuthSettings, DatabaseSettings, ServerSettings};
use crate::error::ServiceError;
use crate::service::accounts::{self, NewAccount};
use crate::startup::{Application, ServeOptions};
use crate::{backup, db, graphql, startup, telemetry};

/// The Fellowship API: a GraphQL service for the community fellowship program and the
/// record of organizations' memberships in open-source foundations.
///
/// Every setting can also come from the environment variable shown beside it; a flag
/// wins over its variable. With no settings at all, the server keeps its data in
/// `fellowship.db` (SQLite) in the working folder and listens on 127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "api", version, about, long_about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    database: DatabaseSettings,

    #[command(flatten)]
    auth: AuthSettings,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database up, load the demo data if asked, and serve HTTP.
    ///
    /// GraphQL is on /graphql (open it in a browser for the playground), with
    /// /healthz, /readyz and /metrics beside it.
    // Boxed: the server settings dwarf the other subcommands' arguments.
    Serve(Box<ServeArgs>),
    /// Apply or roll back database migrations, or list them.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL) that the server serves.
    Schema,
    /// Copy the SQLite database to DEST, consistently, while the server keeps serving
    /// and writing: `api backup /backups/fellowship-2026-12-07.db`.
    ///
    /// The copy is SQLite's `VACUUM INTO` (one read transaction: writers never wait
    /// for it), checked with `PRAGMA integrity_check` before it is put at DEST. DEST
    /// must not exist; on any failure nothing is left there. PostgreSQL is refused with
    /// its routine (`pg_dump --format=custom`); see docs/operations/README.md.
    Backup {
        /// The file to write; refused when it exists.
        dest: std::path::PathBuf,
    },
    /// Mint a signed user token with the configured JWT_SECRET, for operators and
    /// local use: `api token --role STAFF --sub merve --ttl 1h`.
    Token {
        /// STAFF or FELLOW. (Partner tokens are created by staff with `createApiToken`.)
        #[arg(long, value_parser = ["STAFF", "FELLOW"], ignore_case = true)]
        role: String,
        /// The person's hub handle.
        #[arg(long)]
        sub: String,
        /// How long the token lives, such as 15m, 1h or 7d.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        ttl: std::time::Duration,
    },
    /// Manage the accounts that may sign in with user tokens.
    Account {
        #[command(subcommand)]
        action: AccountAction,
    },
    /// Trusted documents (persisted queries): the manifest `TRUSTED_DOCUMENTS_FILE` names.
    Documents {
        #[command(subcommand)]
        action: DocumentsAction,
    },
}

#[derive(Debug, Subcommand)]
enum DocumentsAction {
    /// Print the manifest of a client's documents: every `*.graphql` file under DIR
    /// (recursively), one document per file with its text as it is, keyed by
    /// `sha256:<hex>` of that text, as JSON with the keys in order:
    /// `api documents build web/src/graphql > trusted-documents.json`.
    Build {
        /// The folder of the client's `.graphql` files.
        dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AccountAction {
    /// Create an account, such as the first staff member's on a fresh database:
    /// `api account create --role STAFF --handle merve --name "Merve Noyan"`.
    ///
    /// Migrates the database up first. A handle that already has an account is
    /// refused, and nothing is changed: the same rules as the API's. Once a staff
    /// member can sign in, staff manage accounts through the API (`inviteStaffMember`,
    /// `createFellowAccount`, `disableAccount`, `enableAccount`); fellows normally get
    /// their account when their nomination is accepted.
    Create {
        /// STAFF or FELLOW.
        #[arg(long, value_parser = ["STAFF", "FELLOW"], ignore_case = true)]
        role: String,
        /// The person's hub handle (the `sub` of their tokens).
        #[arg(long)]
        handle: String,
        /// The person's name; needed unless the records already know the handle.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    server: ServerSettings,

    /// Load the demo data set (the program's first fellows, its staff, strategic areas
    /// and a foundation membership), only into an empty database.
    #[arg(long)]
    demo: bool,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "WORKERS", default_value_t = 0)]
    workers: usize,
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration (or several, or all).
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        /// Roll back every migration, leaving an empty database.
        #[arg(long)]
        all: bool,
    },
    /// List this binary's migrations, each applied or pending, and any the database
    /// records from a later release.
    Status {
        /// Exit with status 2 when a migration of this binary is pending (for a deploy
        /// script: is the database ready for this release?). Migrations of a later
        /// release do not count: this binary serves beside them.
        #[arg(long)]
        check: bool,
    },
}

/// Parses the command line, starts logging and an async runtime, and runs the
/// subcommand. A failure is printed to stderr with its causes and exits non-zero.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let tracing = match &cli.command {
        Command::Serve(args) => Some(&args.server.tracing),
        _ => None,
    };
    if let Err(err) = telemetry::init(tracing) {
        eprintln!("error: {err:#}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<MigrationsPending>().is_some() {
                ExitCode::from(MigrationsPending::EXIT_CODE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `api migrate status --check` found this binary's migrations pending: not a failure
/// of the command, an answer, so it has an exit status of its own.
#[derive(Debug)]
struct MigrationsPending(usize);

impl MigrationsPending {
    const EXIT_CODE: u8 = 2;
}

impl std::fmt::Display for MigrationsPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} migration(s) of this release are pending: run `api migrate up` \
             (or start `api serve`, which migrates first)",
            self.0
        )
    }
}

impl std::error::Error for MigrationsPending {}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Backup { dest } => {
            // A signal stops the copy and deletes what it wrote so far (the hidden
            // file goes with the dropped future), instead of leaving it behind.
            let backup = tokio::select! {
                backup = backup::sqlite(&cli.database, &dest) => backup?,
                () = startup::shutdown_signal() => {
                    anyhow::bail!(
                        "interrupted: the backup was stopped and its partial copy deleted; \
                         nothing was written to {}",
                        dest.display()
                    )
                }
            };
            if backup.swept > 0 {
                eprintln!(
                    "deleted {} partial copie(s) left beside {} by backups killed mid-copy",
                    backup.swept,
                    dest.display()
                );
            }
            println!(
                "backed up to {} ({} bytes, integrity ok, schema at {}) in {} ms",
                backup.path.display(),
                backup.bytes,
                backup.latest_migration.as_deref().unwrap_or("no migration"),
                backup.took.as_millis()
            );
            Ok(())
        }
        Command::Documents {
            action: DocumentsAction::Build { dir },
        } => {
            print!("{}", graphql::trusted_documents::build_manifest(&dir)?);
            Ok(())
        }
        Command::Token { role, sub, ttl } => {
            let keys = KeyRing::from_settings(&cli.auth)?;
            let role = Role::parse(&role.to_ascii_uppercase())
                .ok_or_else(|| anyhow::anyhow!("--role is STAFF or FELLOW"))?;
            let ttl = chrono::Duration::from_std(ttl)?;
            println!("{}", mint_user_token(&keys, role, &sub, ttl)?);
            Ok(())
        }
        Command::Account {
            action: AccountAction::Create { role, handle, name },
        } => {
            let role = match role.to_ascii_uppercase().as_str() {
                "STAFF" => AccountRole::Staff,
                "FELLOW" => AccountRole::Fellow,
                _ => anyhow::bail!("--role is STAFF or FELLOW"),
            };
            let db = db::connect(&cli.database, Default::default()).await?;
            db::migrate_up(&db).await?;
            let new = NewAccount {
                handle: &handle,
                name: name.as_deref(),
                role,
            };
            let created = accounts::create(&db, new)
                .await
                .map_err(ServiceError::into_anyhow)?;
            let handle = created.person.handle.as_deref().unwrap_or(&handle);
            println!(
                "created a {role} account for {handle} ({}{})",
                created.person.name,
                if created.new_person {
                    ""
                } else {
                    ", already in the records"
                }
            );
            println!("mint a token for it with: api token --role {role} --sub {handle}");
            Ok(())
        }
        Command::Serve(args) => {
            let options = ServeOptions {
                demo: args.demo,
                workers: args.workers,
            };
            let app = Application::build(&cli.database, &args.server, &cli.auth, options).await?;
            app.run_until_signalled().await?;
            Ok(())
        }
        Command::Migrate { action } => {
            let db = db::connect(&cli.database, Default::default()).await?;
            match action {
                MigrateAction::Up => {
                    db::migrate_up(&db).await?;
                    println!("database is up to date");
                }
                MigrateAction::Down { steps, all } => {
                    db::migrate_down(&db, if all { None } else { Some(steps) }).await?;
                    println!(
                        "rolled back {}",
                        if all {
                            "every migration".to_owned()
                        } else {
                            format!("{steps} migration(s)")
                        }
                    );
                }
                MigrateAction::Status { check } => {
                    let ledger = db::migration_ledger(&db).await?;
                    print!("{}", render_ledger(&ledger));
                    if check && !ledger.is_up_to_date() {
                        return Err(MigrationsPending(ledger.pending.len()).into());
                    }
                }
            }
            Ok(())
        }
    }
}

/// `api migrate status`: one line per migration (applied, then pending, then a later
/// release's), then a summary a person or a script can read.
fn render_ledger(ledger: &Ledger) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for name in &ledger.applied {
        let _ = writeln!(out, "applied  {name}");
    }
    for name in &ledger.pending {
        let _ = writeln!(out, "pending  {name}");
    }
    for name in &ledger.newer {
        let _ = writeln!(
            out,
            "newer    {name}  (applied by a later release; unknown to this binary)"
        );
    }
    let _ = writeln!(
        out,
        "{} applied, {} pending, {} from a later release: {}",
        ledger.applied.len(),
        ledger.pending.len(),
        ledger.newer.len(),
        if ledger.is_up_to_date() {
            "the database is ready for this binary"
        } else {
            "run `api migrate up` (or `api serve`, which migrates first)"
        }
    );
    out
}
