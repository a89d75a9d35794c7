//! The operator's guide lists every setting of `api serve` as the code defines it: the
//! table between the markers in `docs/operations/README.md` is made by
//! `api::settings_table::render` from the clap definitions, and this test fails when
//! the two differ. `UPDATE_DOCS=1 cargo test -p api --test operations_guide` rewrites
//! the table.

use api::settings_table::{render, BEGIN, END};

const GUIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operations/README.md");

#[test]
fn the_operators_guide_lists_every_setting_with_the_code_s_defaults() {
    let guide = std::fs::read_to_string(GUIDE).expect("read docs/operations/README.md");
    let (head, rest) = guide
        .split_once(BEGIN)
        .expect("the guide has the settings table's begin marker");
    let (current, tail) = rest
        .split_once(END)
        .expect("the guide has the settings table's end marker");
    let table = render();
    let wanted = format!("\n{table}");
    if std::env::var("UPDATE_DOCS").as_deref() == Ok("1") {
        if current != wanted {
            std::fs::write(GUIDE, format!("{head}{BEGIN}{wanted}{END}{tail}"))
                .expect("write docs/operations/README.md");
        }
        return;
    }
    assert!(
        current == wanted,
        "the settings table in docs/operations/README.md differs from the code's settings; \
         regenerate it with `UPDATE_DOCS=1 cargo test -p api --test operations_guide`"
    );
}

#[test]
fn the_table_has_a_row_for_every_environment_variable_of_serve() {
    let table = render();
    for variable in [
        "DATABASE_URL",
        "DATABASE_MAX_CONNECTIONS",
        "JWT_SECRET",
        "JWT_SECRET_PREVIOUS",
        "CURSOR_SECRET",
        "CURSOR_SECRET_PREVIOUS",
        "METRICS_BIND",
        "TRUST_FORWARDED_FOR",
        "WEBHOOK_SENDERS",
        "WORKERS",
        "OIDC_ISSUER_URL",
    ] {
        assert!(
            table.contains(&format!("| `{variable}` |")),
            "{variable} is missing from the settings table"
        );
    }
}
