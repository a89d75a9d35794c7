//! `cargo schema-check`: the schema contract of `fellowship_tests::schema_contract`, by
//! hand. It compares `schema.graphql` with `docs/schema/released.graphql` under the
//! planned changes of `docs/api-changelog.md`, prints what it found, and exits 1 when
//! a breaking change is not allowed (2 when a file cannot be read). The suite runs the
//! same check as a test (`cargo test -p fellowship-tests --test api schema::`).
//!
//! `--released`, `--current` and `--changelog` name other files; `--today YYYY-MM-DD`
//! checks as on another day (to see whether a planned removal would pass then).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use fellowship_tests::schema_contract::{today, ContractFiles};

const USAGE: &str = "usage: schema-check [--released FILE] [--current FILE] \
                     [--changelog FILE] [--today YYYY-MM-DD]";

fn main() -> ExitCode {
    let mut files = ContractFiles::of_repository();
    let mut day = today();
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(value) = arguments.next() else {
            eprintln!("{flag} needs a value\n{USAGE}");
            return ExitCode::from(2);
        };
        match flag.as_str() {
            "--released" => files.released = PathBuf::from(value),
            "--current" => files.current = PathBuf::from(value),
            "--changelog" => files.changelog = PathBuf::from(value),
            "--today" => match NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
                Ok(date) => day = date,
                Err(_) => {
                    eprintln!("--today takes YYYY-MM-DD, not `{value}`");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("unknown argument `{flag}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match files.check(day) {
        Ok(report) if report.passes() => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Ok(report) => {
            eprint!("{report}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("schema-check: {error}");
            ExitCode::from(2)
        }
    }
}
