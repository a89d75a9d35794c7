//! The audit log: who (a person or a partner token) did what to which object, when, with
//! the object as it was before and after. Rows are written inside the transaction of
//! the change they record, so a change and its record commit or vanish together. Each
//! carries the id of the request that made it (the `X-Request-Id` the caller was
//! answered with), so that a record leads to the request's log lines and back.

use chrono::Utc;
use entity::{audit_event, person};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::Value;

use super::access;
use super::page::{self, Cursor, KeysetOrder, Page, PageArgs};
use super::search;
use crate::auth::Viewer;
use crate::error::ServiceResult;

/// A row as the audit log keeps it: its fields as JSON (`null` if it has none to show).
pub fn snapshot<T: serde::Serialize>(row: &T) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

/// One change to record.
pub struct Change<'a> {
    /// What was done, as `type.verb` (`apiToken.create`, `benefit.grant`).
    pub action: &'a str,
    /// The GraphQL type of the changed object (`ApiToken`).
    pub object_type: &'a str,
    /// The changed object's row ID.
    pub object_id: i64,
    /// The object before the change; `None` when it did not exist yet.
    pub before: Option<Value>,
    /// The object after the change; `None` when it no longer exists.
    pub after: Option<Value>,
}

/// Writes one audit record on `conn`, which is the transaction of the change it
/// records. The actor is the partner's token for a partner, otherwise the viewer's
/// person (none for an anonymous caller or a token naming no known person); the
/// record carries the current request's ID.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    change: Change<'_>,
) -> ServiceResult<()> {
    let (actor_person_id, actor_api_token_id) = match viewer {
        Viewer::Partner(partner) => (None, Some(partner.token_id)),
        other => (other.person_id(), None),
    };
    // Written without RETURNING: the record's id and its two snapshots would only come
    // back over the wire to be dropped (a quarter of a profile update's database time).
    audit_event::Entity::insert(audit_event::ActiveModel {
        occurred_at: Set(Utc::now()),
        actor_person_id: Set(actor_person_id),
        actor_api_token_id: Set(actor_api_token_id),
        action: Set(change.action.to_owned()),
        object_type: Set(change.object_type.to_owned()),
        object_id: Set(Some(change.object_id)),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(crate::telemetry::request_id()),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Which audit events to list; every `None` field admits all.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// The object's type and row.
    pub object: Option<(String, i64)>,
    /// The hub handle of the person who acted, case ignored. Changes made by partner
    /// tokens never match.
    pub actor: Option<String>,
    /// The action, such as `apiToken.create`.
    pub action: Option<String>,
}

/// Audit events, newest first. Staff only (`Forbidden` otherwise).
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &AuditFilter,
    args: &PageArgs,
) -> ServiceResult<Page<audit_event::Model>> {
    const SCOPE: &str = "auditEvents/id";
    access::require_staff(viewer, "read the audit log")?;
    let window = args.window(SCOPE)?;
    let mut condition = Condition::all();
    if let Some((object_type, object_id)) = &filter.object {
        condition = condition
            .add(audit_event::Column::ObjectType.eq(object_type.as_str()))
            .add(audit_event::Column::ObjectId.eq(*object_id));
    }
    if let Some(handle) = &filter.actor {
        let people = Query::select()
            .column(person::Column::Id)
            .from(person::Entity)
            .and_where(search::equals_ignoring_case(
                Expr::col(person::Column::HandleFolded),
                handle,
            ))
            .to_owned();
        condition =
            condition.add(Expr::col(audit_event::Column::ActorPersonId).in_subquery(people));
    }
    if let Some(action) = &filter.action {
        condition = condition.add(audit_event::Column::Action.eq(action.as_str()));
    }
    let keyset = KeysetOrder {
        key: None,
        id: Expr::col((audit_event::Entity, audit_event::Column::Id)),
        descending: true,
    };
    page::of_table::<audit_event::Entity>(db, condition, &keyset, &window, SCOPE, |row| {
        Cursor::by_id(row.id)
    })
    .await
}
