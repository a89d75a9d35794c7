//! Mutations of strategic areas, by staff. Each takes one `input`, calls one service,
//! and answers the changed object and `userErrors`.

use super::StrategicArea;
use crate::error::ServiceError;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::payload::payload;
use crate::graphql::{db, viewer};
use crate::service::strategic_areas;
use async_graphql::{Context, InputObject, Object, Result, ID};

payload!(
    StrategicAreaPayload,
    strategic_area,
    StrategicArea,
    "The strategic area after a change, or why not."
);

fn id_of(id: &ID, node_type: NodeType, field: &str) -> Result<i64, ServiceError> {
    ids::decode_as(id, node_type, field)
}

/// A new strategic area.
#[derive(InputObject)]
pub struct CreateStrategicAreaInput {
    /// Lower-case words joined by hyphens, such as `speech-and-audio`.
    pub slug: String,
    /// The area's name (1 to 200 characters).
    pub name: String,
    /// What the area covers (at most 5,000 characters).
    pub description: Option<String>,
}

/// Changes to a strategic area; a field left out stays as it is.
#[derive(InputObject)]
pub struct UpdateStrategicAreaInput {
    /// The area's global ID (`StrategicArea.id`).
    pub strategic_area_id: ID,
    /// The area's name (1 to 200 characters).
    pub name: Option<String>,
    /// An empty string clears it.
    pub description: Option<String>,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// A current strategic area to archive.
#[derive(InputObject)]
pub struct ArchiveStrategicAreaInput {
    /// The area's global ID (`StrategicArea.id`).
    pub strategic_area_id: ID,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// Mutations of strategic areas, merged into [`crate::graphql::Mutation`].
#[derive(Default)]
pub struct StrategicAreaMutation;

#[Object]
impl StrategicAreaMutation {
    /// Adds a strategic area. Staff only.
    async fn create_strategic_area(
        &self,
        ctx: &Context<'_>,
        input: CreateStrategicAreaInput,
    ) -> Result<StrategicAreaPayload> {
        let result = strategic_areas::create(
            db(ctx),
            viewer(ctx),
            &input.slug,
            &input.name,
            input.description.as_deref(),
        )
        .await;
        StrategicAreaPayload::from_result(result, StrategicArea)
    }

    /// Renames or redescribes a strategic area. Staff only.
    async fn update_strategic_area(
        &self,
        ctx: &Context<'_>,
        input: UpdateStrategicAreaInput,
    ) -> Result<StrategicAreaPayload> {
        let result = async {
            let id = id_of(
                &input.strategic_area_id,
                NodeType::StrategicArea,
                "input.strategicAreaId",
            )?;
            let edit = strategic_areas::AreaEdit {
                name: input.name,
                description: input.description,
                expected_version: input.expected_version,
            };
            strategic_areas::update(db(ctx), viewer(ctx), id, edit).await
        }
        .await;
        StrategicAreaPayload::from_result(result, StrategicArea)
    }

    /// Archives a strategic area: it stays readable with its links, and takes no new
    /// nominations. Staff only.
    async fn archive_strategic_area(
        &self,
        ctx: &Context<'_>,
        input: ArchiveStrategicAreaInput,
    ) -> Result<StrategicAreaPayload> {
        let result = async {
            let id = id_of(
                &input.strategic_area_id,
                NodeType::StrategicArea,
                "input.strategicAreaId",
            )?;
            strategic_areas::archive(db(ctx), viewer(ctx), id, input.expected_version).await
        }
        .await;
        StrategicAreaPayload::from_result(result, StrategicArea)
    }
}
