//! Changes guarded by a record's `version`. A change bumps the version as its
//! transaction's first statement, only where the version still is the one the caller
//! read: of many concurrent changes to one version exactly one matches a row, and the
//! others are told to read the record again.

use chrono::Utc;
use entity::{fellow, foundation_membership, nomination, organization, strategic_area};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, UpdateMany};

use crate::error::ServiceError;

/// A table whose rows carry `id`, `version` and `updated_at`.
pub trait Versioned: EntityTrait {
    /// The primary key.
    const ID: Self::Column;
    /// The version, one more with every guarded change.
    const VERSION: Self::Column;
    /// When the row last changed.
    const UPDATED_AT: Self::Column;
    /// What a conflict message calls one row ("strategic area").
    const NAME: &'static str;
}

/// The guarded update of row `id`: version bumped, `updated_at` set, and, when given,
/// only at `expected_version`. The caller adds the change's own columns (and any other
/// guard); no row affected means the row was not as the caller read it.
pub fn bump<E: Versioned>(id: i64, expected_version: impl Into<Option<i32>>) -> UpdateMany<E> {
    let update = E::update_many()
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
        .col_expr(E::UPDATED_AT, Expr::val(Utc::now()))
        .filter(E::ID.eq(id));
    match expected_version.into() {
        Some(version) => update.filter(E::VERSION.eq(version)),
        None => update,
    }
}

/// Runs a guarded update of one row and returns the row as it now is, in the same
/// statement (`UPDATE ... RETURNING`, on both databases); `None` when no row matched.
pub async fn apply<E: Versioned, C: ConnectionTrait>(
    update: UpdateMany<E>,
    conn: &C,
) -> Result<Option<E::Model>, DbErr> {
    Ok(update.exec_with_returning(conn).await?.into_iter().next())
}

/// The conflict of a caller who read version `expected` of a row now at `current`.
pub fn stale<E: Versioned>(expected: i32, current: i32) -> ServiceError {
    ServiceError::Conflict(format!(
        "The {} changed since you read it (version {expected}, now {current}); read it again and retry.",
        E::NAME
    ))
}

macro_rules! versioned {
    ($($module:ident: $name:literal),* $(,)?) => {$(
        impl Versioned for $module::Entity {
            const ID: $module::Column = $module::Column::Id;
            const VERSION: $module::Column = $module::Column::Version;
            const UPDATED_AT: $module::Column = $module::Column::UpdatedAt;
            const NAME: &'static str = $name;
        }
    )*};
}

versioned!(
    fellow: "fellow",
    strategic_area: "strategic area",
    organization: "organization",
    foundation_membership: "membership",
    nomination: "nomination",
);
