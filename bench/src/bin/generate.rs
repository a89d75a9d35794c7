//! `generate`: builds the benchmark's data set through the real migrations.
//!
//! `cargo run --release -p fellowship-bench --bin generate -- --database-url URL --fellows 50000`

use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use entity::person;
use fellowship_bench::dataset::{self, Size};
use migration::{Migrator, MigratorTrait};
use sea_orm::{Database, EntityTrait, PaginatorTrait};

/// Builds a realistic data set of a given size (fellows with people, contributions,
/// strategic areas and nominators; nominations in every state with endorsements and
/// events; organizations with foundation memberships and board seats; staff and fellow
/// accounts) on SQLite or PostgreSQL, through the real migrations.
#[derive(Debug, Parser)]
struct Args {
    /// `sqlite://FILE?mode=rwc` or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// How many fellows; nominations are a fifth of that, organizations a 25th.
    #[arg(long, default_value_t = 50_000)]
    fellows: usize,
    /// The seed of the generator: the same seed builds the same rows.
    #[arg(long, default_value_t = 12)]
    seed: u64,
    /// Drop every table of the database first (`Migrator::fresh`); without it, a
    /// database that already holds records is refused.
    #[arg(long)]
    replace: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let began = Instant::now();
    let db = Database::connect(&args.database_url)
        .await
        .context("connecting to the database")?;
    if args.replace {
        Migrator::fresh(&db)
            .await
            .context("rebuilding the schema")?;
    } else {
        Migrator::up(&db, None).await.context("migrating up")?;
        let people = person::Entity::find().count(&db).await?;
        anyhow::ensure!(
            people == 0,
            "the database already holds {people} people; pass --replace to rebuild it"
        );
    }
    let migrated = began.elapsed();
    let size = Size::for_fellows(args.fellows);
    let summary = dataset::generate(&db, size, args.seed).await?;
    let loaded = began.elapsed();
    dataset::analyze(&db)
        .await
        .context("refreshing statistics")?;
    let done = began.elapsed();
    for (table, count) in &summary.counts {
        println!("{table:<28} {count:>9}");
    }
    println!(
        "staff handles                {}",
        summary.staff_handles.join(", ")
    );
    println!("a fellow's handle            {}", summary.fellow_handle);
    println!(
        "busiest foundation           {}",
        summary.busiest_foundation
    );
    println!(
        "took {:.1} s (migrations {:.1} s, rows {:.1} s, statistics {:.1} s)",
        done.as_secs_f64(),
        migrated.as_secs_f64(),
        (loaded - migrated).as_secs_f64(),
        (done - loaded).as_secs_f64()
    );
    Ok(())
}
