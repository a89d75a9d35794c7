//! Strategic areas: where the program seeks contributions.

pub mod mutations;

use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::strategic_area;

use super::connection::{connection, page_args};
use super::ids::{self, NodeType};
use super::{db, OrderDirection};
use crate::error::ServiceError;
use crate::service;
use crate::service::strategic_areas::StrategicAreaFilter as ServiceFilter;

/// A field where the program seeks contributions, such as Spanish-language NLP.
/// Archived areas stay readable, with their history.
#[derive(Clone)]
pub struct StrategicArea(pub strategic_area::Model);

/// A field where the program seeks contributions, such as speech and audio. Fellows
/// and nominations link to areas; archived areas stay readable, with their history.
// Public records: shared caches may keep them a minute (see `http/graphql.rs`).
#[Object(cache_control(max_age = 60))]
impl StrategicArea {
    /// An opaque global ID; pass it as `strategicAreaId` to the strategic area mutations.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::StrategicArea, self.0.id)
    }

    /// Increases with every change; pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// A short, stable, URL-friendly name, such as `speech-and-audio`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The area's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the area covers.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Whether staff archived the area; archived areas take no new links.
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }

    /// When staff archived the area; `null` while it is current.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// When the area was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the area last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(
    StrategicAreaConnection,
    StrategicAreaEdge,
    StrategicArea,
    "strategic areas"
);

/// Which strategic areas to list.
#[derive(InputObject, Default)]
pub struct StrategicAreaFilter {
    /// `true`: only archived areas; `false`: only current ones; absent: both.
    pub archived: Option<bool>,
    /// Text in the name or slug (case-insensitive).
    pub search: Option<String>,
}

/// What strategic areas can be ordered by.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum StrategicAreaOrderField {
    /// By the area's name.
    Name,
}

/// An order for a list of strategic areas.
#[derive(InputObject)]
pub struct StrategicAreaOrder {
    /// What to order by.
    pub field: StrategicAreaOrderField,
    /// Which way; `ASC` when absent.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

/// The `strategicAreas` and `strategicArea` queries, merged into [`super::Query`].
#[derive(Default)]
pub struct StrategicAreaQuery;

#[Object]
impl StrategicAreaQuery {
    /// Strategic areas by name, current and archived unless filtered.
    #[graphql(cache_control(max_age = 60))]
    async fn strategic_areas(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<StrategicAreaFilter>,
        order_by: Option<StrategicAreaOrder>,
    ) -> Result<StrategicAreaConnection> {
        let direction = order_by.map_or(OrderDirection::Asc, |o| o.direction);
        let filter = filter.unwrap_or_default();
        let filter = ServiceFilter {
            archived: filter.archived,
            search: filter.search,
        };
        let page = service::strategic_areas::list(
            db(ctx),
            &filter,
            direction == OrderDirection::Desc,
            &page_args(ctx, first, after, last, before),
        )
        .await?;
        Ok(StrategicAreaConnection(page.map(StrategicArea)))
    }

    /// The strategic area with this slug (case-insensitive), archived or not.
    #[graphql(cache_control(max_age = 60))]
    async fn strategic_area(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> Result<Option<StrategicArea>> {
        match service::strategic_areas::by_slug(db(ctx), &slug).await? {
            Some(area) => Ok(Some(StrategicArea(area))),
            None => Err(ServiceError::NotFound(format!(
                "No strategic area has the slug `{slug}`."
            ))
            .into()),
        }
    }
}
