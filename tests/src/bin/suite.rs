//! `cargo suite`: the whole test suite, on SQLite always and on PostgreSQL when one
//! answers.
//!
//! libtest cannot mark a test skipped at run time, so a PostgreSQL test that found no
//! server could only return early and be counted as passed. This runner decides
//! before the suite starts instead: when PostgreSQL answers, it runs `cargo test
//! --workspace` as it is; when none does, it runs it with `--skip postgres::`, so every
//! PostgreSQL test shows as "filtered out" in each binary's summary, and says so again
//! at the end. With `FELLOWSHIP_REQUIRE_POSTGRES=1` (as CI sets it) a missing
//! PostgreSQL is an error instead. Every test that needs PostgreSQL lives in a module
//! named `postgres` (see `on_both_databases!` and `on_postgres!`). Tests of the Redis
//! rate-limit store sit in modules named `redis` and are left out the same way when no
//! Redis answers at 127.0.0.1:6379 (`FELLOWSHIP_REQUIRE_REDIS=1` makes that an error).
//! The test of `deploy/`'s load balancer, in a module named `haproxy`, needs the
//! `haproxy` program (Debian's package) and is left out the same way when it is not
//! installed (`FELLOWSHIP_REQUIRE_HAPROXY=1` makes that an error).
//!
//! A test that finds only once it runs that it cannot (a tool or a binary it needs is
//! missing) calls `fellowship_tests::skipped`, and this runner lists it at the end as
//! SKIPPED, although libtest's summary counts it as passed.
//!
//! Arguments are passed to `cargo test` before `--`; arguments after `--` go to the test
//! binaries: `cargo suite -- nominations::`.

use std::process::{Command, ExitCode};
use std::time::Duration;

use fellowship_tests::admin_postgres_url;
use sea_orm::Database;

/// Where the Redis tests expect Redis (the machine's shared one).
const REDIS_ADDRESS: &str = "127.0.0.1:6379";

/// Whether Redis answers PING at [`REDIS_ADDRESS`] within a second.
fn redis_answers() -> bool {
    use std::io::{Read, Write};
    let Ok(address) = REDIS_ADDRESS.parse() else {
        return false;
    };
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn main() -> ExitCode {
    let url = admin_postgres_url();
    let reachable = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(async {
            match tokio::time::timeout(Duration::from_secs(5), Database::connect(url.as_str()))
                .await
            {
                Ok(Ok(db)) => db.ping().await.is_ok(),
                _ => false,
            }
        }),
        Err(_) => false,
    };
    let required = std::env::var("FELLOWSHIP_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let shown_url = fellowship_tests::without_password(&url);
    if !reachable && required {
        eprintln!(
            "PostgreSQL is required (FELLOWSHIP_REQUIRE_POSTGRES=1) but does not answer at {shown_url}"
        );
        return ExitCode::FAILURE;
    }

    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.iter().position(|a| a == "--");
    let mut test_args = match split {
        Some(i) => args.split_off(i).into_iter().skip(1).collect(),
        None => Vec::new(),
    };
    if !reachable {
        eprintln!(
            "\nPostgreSQL does not answer at {shown_url}: the PostgreSQL half of the suite is \
             SKIPPED (shown as \"filtered out\" below). Set TEST_DATABASE_URL to run it.\n"
        );
        test_args.extend(["--skip".to_owned(), "postgres::".to_owned()]);
    }
    // Redis likewise, for the tests of the shared rate-limit store (module `redis`).
    let redis_reachable = redis_answers();
    if !redis_reachable {
        if std::env::var("FELLOWSHIP_REQUIRE_REDIS").is_ok_and(|v| v == "1") {
            eprintln!("Redis is required (FELLOWSHIP_REQUIRE_REDIS=1) but does not answer at {REDIS_ADDRESS}");
            return ExitCode::FAILURE;
        }
        eprintln!(
            "\nRedis does not answer at {REDIS_ADDRESS}: the tests of the Redis store are \
             SKIPPED (shown as \"filtered out\" below).\n"
        );
        test_args.extend(["--skip".to_owned(), "redis::".to_owned()]);
    }
    // And the load-balancer test (module `haproxy`), which runs the distribution's HAProxy.
    let haproxy_installed = Command::new("haproxy")
        .arg("-v")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !haproxy_installed {
        if std::env::var("FELLOWSHIP_REQUIRE_HAPROXY").is_ok_and(|v| v == "1") {
            eprintln!(
                "HAProxy is required (FELLOWSHIP_REQUIRE_HAPROXY=1) but `haproxy -v` did not run"
            );
            return ExitCode::FAILURE;
        }
        eprintln!(
            "\nHAProxy is not installed: the test of deploy/'s load balancer is SKIPPED \
             (shown as \"filtered out\" below). `apt-get install haproxy` to run it.\n"
        );
        test_args.extend(["--skip".to_owned(), "haproxy::".to_owned()]);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    // What `cargo run` set for this runner is not for the builds it starts.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_BIN_",
            "CARGO_CRATE_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || name == "CARGO_PRIMARY_PACKAGE"
        {
            command.env_remove(name);
        }
    }
    // Tests that find at run time that they cannot run (a tool missing, a binary CI
    // builds not named) record it here (`fellowship_tests::skipped`); libtest counts
    // them as passed, so they are listed after the run.
    let skip_report = std::env::temp_dir().join(format!(
        "fellowship-suite-skipped-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|t| t.as_nanos())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&skip_report);
    command.env(fellowship_tests::SKIP_REPORT_VARIABLE, &skip_report);
    let status = command
        // Every binary runs even after one fails, so one run shows every failure.
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(&args)
        .arg("--")
        .args(&test_args)
        .status();
    let code = match status {
        Ok(status) => status.code().unwrap_or(1),
        Err(err) => {
            eprintln!("could not run cargo test: {err}");
            1
        }
    };
    let skipped_at_run_time = std::fs::read_to_string(&skip_report).unwrap_or_default();
    let _ = std::fs::remove_file(&skip_report);
    let mut skipped_at_run_time: Vec<&str> = skipped_at_run_time.lines().collect();
    skipped_at_run_time.sort_unstable();
    if !skipped_at_run_time.is_empty() {
        eprintln!(
            "\nSKIPPED at run time ({}; shown as \"ok\" above, but they did not run):",
            skipped_at_run_time.len()
        );
        for line in skipped_at_run_time {
            eprintln!("  {line}");
        }
    }
    if !haproxy_installed {
        eprintln!("\nSKIPPED: the load-balancer test (no haproxy).");
    }
    if !reachable {
        eprintln!(
            "\nSKIPPED: every PostgreSQL test (no PostgreSQL at {shown_url}); only the SQLite half ran."
        );
    }
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
