//! SeaORM entities of the Fellowship API.
//!
//! One module per table (singular names); see `docs/data-model.md` for the
//! schema. Enumerations live in [`enums`] and are stored as upper-case text.

pub mod prelude;

pub mod enums;
pub mod folding;
pub mod stamps;

pub mod account;
pub mod api_token;
pub mod audit_event;
pub mod benefit_grant;
pub mod board_seat;
pub mod contribution;
pub mod endorsement;
pub mod fellow;
pub mod fellow_strategic_area;
pub mod foundation_membership;
pub mod idempotency_record;
pub mod nomination;
pub mod nomination_event;
pub mod nomination_strategic_area;
pub mod organization;
pub mod person;
pub mod strategic_area;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_event;
pub mod websocket_lease;
