//! The audit log, for staff.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::api_tokens::ApiToken;
use super::connection::{connection, page_args};
use super::ids::{self, NodeType};
use super::loaders::{loaders, required};
use super::people::Person;
use super::scalars::Json;
use super::{db, viewer};
use crate::service;

/// A change someone made: who, what, to which object, when, and the object before and
/// after.
#[derive(Clone)]
pub struct AuditEvent(pub audit_event::Model);

/// One entry of the audit log: who changed what, to which object, when, and the object
/// before and after. Staff only.
// Private: never kept by a shared cache (see `http/graphql.rs`, `cache_headers`).
#[Object(cache_control(private))]
impl AuditEvent {
    /// An opaque global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::AuditEvent, self.0.id)
    }

    /// When the change was made.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// The person who acted, when a person did.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.actor_person_id, "actor").await
    }

    /// The partner token that acted, when one did.
    async fn actor_token(&self, ctx: &Context<'_>) -> Result<Option<ApiToken>> {
        let Some(id) = self.0.actor_api_token_id else {
            return Ok(None);
        };
        Ok(Some(ApiToken(required(
            loaders(ctx).api_tokens.load_one(id).await?,
            "token",
        )?)))
    }

    /// What was done, such as `apiToken.create`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The type of the object changed, such as `ApiToken`.
    async fn object_type(&self) -> &str {
        &self.0.object_type
    }

    /// The global ID of the object changed.
    async fn object_id(&self) -> Option<ID> {
        let node_type = NodeType::from_name(&self.0.object_type)?;
        Some(ids::encode(node_type, self.0.object_id?))
    }

    /// The id of the request that made the change: the `X-Request-Id` header its
    /// response carried, which the service's log lines for that request also carry.
    /// Absent for changes made outside a request (the command line, the demo data).
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The object's fields before the change (absent for a creation).
    async fn before(&self) -> Option<Json> {
        self.0.before.clone().map(Json)
    }

    /// The object's fields after the change.
    async fn after(&self) -> Option<Json> {
        self.0.after.clone().map(Json)
    }
}

connection!(
    AuditEventConnection,
    AuditEventEdge,
    AuditEvent,
    "audit events"
);

/// Which audit events to list.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Only events about the object with this global ID.
    pub object_id: Option<ID>,
    /// Only events by the person with this hub handle.
    pub actor: Option<String>,
    /// Only events of this action, such as `apiToken.revoke`.
    pub action: Option<String>,
}

/// The `auditEvents` query, merged into [`super::Query`].
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first. Staff only.
    #[graphql(cache_control(private))]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AuditEventFilter>,
    ) -> Result<Option<AuditEventConnection>> {
        let filter = filter.unwrap_or_default();
        let object = match &filter.object_id {
            Some(id) => {
                let (node_type, row) = ids::decode(id, "filter.objectId")?;
                Some((node_type.name().to_owned(), row))
            }
            None => None,
        };
        let filter = service::audit::AuditFilter {
            object,
            actor: filter.actor,
            action: filter.action,
        };
        let page = service::audit::list(
            db(ctx),
            viewer(ctx),
            &filter,
            &page_args(ctx, first, after, last, before),
        )
        .await?;
        Ok(Some(AuditEventConnection(page.map(AuditEvent))))
    }
}
