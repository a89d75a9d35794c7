//! Black-box tests of the Fellowship API: each test starts the real server on an
//! ephemeral port against a fresh database and talks to it over HTTP.

mod access;
mod accounts;
mod cancellation;
mod case_folding;
mod cursors;
mod dates;
mod demo;
mod existence;
mod fellows;
mod fuzz;
mod hostile_input;
mod http;
mod idempotency;
mod identity_provider;
mod limits;
mod migrations;
mod node;
mod nominations;
mod organizations;
mod outage;
mod pagination;
mod query_plans;
mod rate_limits;
mod records;
mod schema;
mod strategic_areas;
mod subscriptions;
mod tokens;
mod trusted_documents;
mod webhooks;
