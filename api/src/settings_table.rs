//! The table of `api serve`'s settings in the operator's guide
//! (`docs/operations/README.md`), made from the command line's own definitions: every
//! flag, its environment variable, its default and its help text, as clap holds them.
//! A test compares the guide with [`render`] (and rewrites it with `UPDATE_DOCS=1`), so
//! a setting added, renamed or given another default in `config.rs` cannot be missing
//! from the guide or wrong in it; nobody keeps a second copy by hand.

use std::fmt::Write;

use clap::{Arg, ArgAction, CommandFactory};

use crate::cli::Cli;

/// The marker lines the generated table sits between in the guide.
pub const BEGIN: &str = "<!-- settings:begin (generated from api/src/config.rs by `UPDATE_DOCS=1 cargo test -p api --test operations_guide`; edit the help texts there, not here) -->";
/// The end marker.
pub const END: &str = "<!-- settings:end -->";

/// The Markdown table of every setting `api serve` reads: the global ones (the
/// database, tokens), then the server's, in the order `api serve --help` lists them.
pub fn render() -> String {
    let mut root = Cli::command();
    root.build();
    let serve = root
        .get_subcommands()
        .find(|command| command.get_name() == "serve")
        .cloned();
    let mut seen = std::collections::HashSet::new();
    let mut out =
        String::from("| environment | flag | default | what it does |\n|---|---|---|---|\n");
    let globals = root.get_arguments().filter(|arg| arg.is_global_set());
    let own = serve.iter().flat_map(clap::Command::get_arguments);
    for arg in globals.chain(own) {
        if arg.is_hide_set()
            || matches!(arg.get_action(), ArgAction::Help | ArgAction::Version)
            || !seen.insert(arg.get_id().clone())
        {
            continue;
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            arg.get_env()
                .map_or("".to_owned(), |env| format!("`{}`", env.to_string_lossy())),
            arg.get_long()
                .map_or("".to_owned(), |long| format!("`--{long}`")),
            default(arg),
            cell(&help(arg)),
        );
    }
    out
}

/// The default as clap applies it, or what happens without one.
fn default(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| value.to_string_lossy().into_owned())
        .filter(|value| !value.is_empty())
        .collect();
    if values.is_empty() {
        "none".to_owned()
    } else {
        cell(&format!("`{}`", values.join(",")))
    }
}

/// The whole help text (the long one when there is one), on one line, with the values
/// an enumerated setting takes.
fn help(arg: &Arg) -> String {
    let text = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // clap drops the full stop of a one-line help; the table's cells are sentences.
    if !text.is_empty() && !text.ends_with('.') {
        text.push('.');
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| value.get_name().to_owned())
        .collect();
    let boolean = values.len() == 2 && values.iter().all(|v| v == "true" || v == "false");
    if !values.is_empty() && !boolean {
        let _ = write!(
            text,
            " One of: {}.",
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if boolean && matches!(arg.get_action(), ArgAction::Set) {
        text.push_str(" Takes `true` or `false`.");
    }
    text
}

/// Text that is safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
