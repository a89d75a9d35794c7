//! Nominations: what their readers may see here, and the workflow that changes them in
//! [`workflow`].

pub mod workflow;

use std::collections::HashMap;

use entity::enums::NominationStatus;
use entity::{endorsement, nomination, nomination_strategic_area, person, strategic_area};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use crate::auth::Viewer;
use crate::error::ServiceResult;
use crate::service::access;
use crate::service::page::{self, Cursor, KeysetOrder, Page, PageArgs};

/// Which of the nominations the viewer may read a list shows.
#[derive(Debug, Default, Clone)]
pub struct NominationFilter {
    /// Only nominations in one of these statuses; `None` for every status, an empty list
    /// for none.
    pub status: Option<Vec<NominationStatus>>,
}

/// The nominations the viewer may see, newest first; with `with_nominators`, each
/// nominator too, read in the same statement. What the viewer sees is
/// [`access::NominationRule::readable_by`]: staff and partners holding
/// `nominations:read` all, a fellow the open ones and their own; anyone else is
/// refused with `Forbidden`, and bad page arguments with `InvalidInput`. The rows
/// carry the nominee's e-mail, which the caller must show only where
/// [`access::can_read_nominee_email`] allows.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &NominationFilter,
    args: &PageArgs,
    with_nominators: bool,
) -> ServiceResult<(Page<nomination::Model>, Vec<person::Model>)> {
    const SCOPE: &str = "nominations/id";
    let Some(readable) = access::NominationRule::readable_by(viewer) else {
        return Err(access::forbidden("nominations"));
    };
    let window = args.window(SCOPE)?;
    let mut condition = Condition::all().add(readable.condition());
    if let Some(statuses) = &filter.status {
        condition = condition.add(nomination::Column::Status.is_in(statuses.iter().copied()));
    }
    let keyset = KeysetOrder {
        key: None,
        id: Expr::col((nomination::Entity, nomination::Column::Id)),
        descending: true,
    };
    page::of_table_including::<nomination::Entity, person::Entity>(
        db,
        condition,
        &keyset,
        &window,
        SCOPE,
        |row| Cursor::by_id(row.id),
        with_nominators.then(|| nomination::Relation::Nominator.def()),
    )
    .await
}

/// Endorsements of each nomination, oldest first, each with its endorser (joined in
/// the same statement: a list of endorsements nearly always shows who endorsed).
/// It applies no access rule: the caller passes only nominations the viewer may read.
pub async fn endorsements_of(
    db: &DatabaseConnection,
    nomination_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<(endorsement::Model, person::Model)>>> {
    let rows = endorsement::Entity::find()
        .select_also(person::Entity)
        .join(JoinType::InnerJoin, endorsement::Relation::Endorser.def())
        .filter(endorsement::Column::NominationId.is_in(nomination_ids.iter().copied()))
        // In the order of the (nomination_id, id) index, so the database sorts nothing.
        .order_by_asc(endorsement::Column::NominationId)
        .order_by_asc(endorsement::Column::Id)
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<(endorsement::Model, person::Model)>> = HashMap::new();
    for (row, endorser) in rows {
        if let Some(endorser) = endorser {
            grouped
                .entry(row.nomination_id)
                .or_default()
                .push((row, endorser));
        }
    }
    Ok(grouped)
}

/// Strategic areas each nomination concerns, by name.
pub async fn strategic_areas_of(
    db: &DatabaseConnection,
    nomination_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<strategic_area::Model>>> {
    let rows = nomination_strategic_area::Entity::find()
        .find_also_related(strategic_area::Entity)
        .filter(
            nomination_strategic_area::Column::NominationId.is_in(nomination_ids.iter().copied()),
        )
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<strategic_area::Model>> = HashMap::new();
    for (link, area) in rows {
        if let Some(area) = area {
            grouped.entry(link.nomination_id).or_default().push(area);
        }
    }
    // A nomination names a few areas: sorted here, not by a sort of every row in SQL.
    for areas in grouped.values_mut() {
        areas.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    }
    Ok(grouped)
}
