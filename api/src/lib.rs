//! The Fellowship API as a library: the binary in `main.rs` only parses the command
//! line and calls [`cli::run`]; tests build the same [`startup::Application`].

pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod service;
pub mod settings_table;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
