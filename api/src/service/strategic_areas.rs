//! Strategic areas: the fields where the program seeks contributions. Archived areas
//! stay readable, with their history; a list shows both unless filtered.

use chrono::Utc;
use entity::strategic_area;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::access;
use super::audit::{self, Change};
use super::page::{self, Cursor, KeyValue, KeysetOrder, Page, PageArgs};
use super::search;
use super::versioned;
use crate::auth::Viewer;
use crate::domain::{Line, Prose, Slug};
use crate::error::{ServiceError, ServiceResult};

/// Which strategic areas a list shows; each `None` field admits all.
#[derive(Debug, Default, Clone)]
pub struct StrategicAreaFilter {
    /// `Some(true)`: only archived areas; `Some(false)`: only current ones; `None`: both.
    pub archived: Option<bool>,
    /// Text found in the name or slug.
    pub search: Option<String>,
}

fn column(col: strategic_area::Column) -> SimpleExpr {
    Expr::col((strategic_area::Entity, col))
}

impl StrategicAreaFilter {
    fn condition(&self) -> ServiceResult<Condition> {
        let mut condition = Condition::all();
        match self.archived {
            Some(true) => {
                condition = condition.add(strategic_area::Column::ArchivedAt.is_not_null());
            }
            Some(false) => condition = condition.add(strategic_area::Column::ArchivedAt.is_null()),
            None => {}
        }
        if let Some(term) = search::term(self.search.as_deref(), "filter.search")? {
            condition = condition.add(
                Condition::any()
                    .add(search::contains(
                        column(strategic_area::Column::NameFolded),
                        &term,
                    ))
                    .add(search::contains(
                        column(strategic_area::Column::SlugFolded),
                        &term,
                    )),
            );
        }
        Ok(condition)
    }
}

/// One page of strategic areas by name (A to Z, or Z to A when `descending`), ties
/// broken by ID; archived areas are included unless the filter says otherwise.
/// Public: no access rule applies. A search over 100 characters, or bad page
/// arguments, is `InvalidInput`.
pub async fn list(
    db: &DatabaseConnection,
    filter: &StrategicAreaFilter,
    descending: bool,
    args: &PageArgs,
) -> ServiceResult<Page<strategic_area::Model>> {
    const SCOPE: &str = "strategicAreas/name";
    let window = args.window(SCOPE)?;
    let condition = filter.condition()?;
    let keyset = KeysetOrder {
        key: Some(column(strategic_area::Column::Name)),
        id: column(strategic_area::Column::Id),
        descending,
    };
    page::of_table::<strategic_area::Entity>(db, condition, &keyset, &window, SCOPE, |area| {
        Cursor::new(KeyValue::Text(area.name.clone()), area.id)
    })
    .await
}

/// The strategic area with this slug (case ignored), archived or not. Public.
pub async fn by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> ServiceResult<Option<strategic_area::Model>> {
    Ok(strategic_area::Entity::find()
        .filter(search::equals_ignoring_case(
            column(strategic_area::Column::SlugFolded),
            slug,
        ))
        .one(db)
        .await?)
}

async fn find(db: &DatabaseConnection, id: i64) -> ServiceResult<strategic_area::Model> {
    strategic_area::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::missing("input.strategicAreaId", "No strategic area has this ID.")
        })
}

/// Adds a strategic area. Staff only (`Forbidden` otherwise). A slug, name or
/// description that does not parse is `InvalidInput` naming it; a slug another area
/// has (case ignored) is `Conflict`. Writes the area and a `strategicArea.create`
/// audit record in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    slug: &str,
    name: &str,
    description: Option<&str>,
) -> ServiceResult<strategic_area::Model> {
    access::require_staff(viewer, "create strategic areas")?;
    let slug = Slug::parse("input.slug", slug)?;
    let name = Line::parse("input.name", name)?;
    let description = Prose::optional("input.description", description)?;
    let txn = db.begin().await?;
    let inserted = strategic_area::ActiveModel {
        slug: Set(slug.to_string()),
        name: Set(name.into()),
        description: Set(description.map(Into::into)),
        archived_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let area = match inserted {
        Ok(area) => area,
        Err(err) if ServiceError::is_unique_violation(&err) => {
            return Err(ServiceError::Conflict(format!(
                "A strategic area already has the slug `{slug}`."
            )));
        }
        Err(err) => return Err(err.into()),
    };
    audit::record(
        &txn,
        viewer,
        Change {
            action: "strategicArea.create",
            object_type: "StrategicArea",
            object_id: area.id,
            before: None,
            after: Some(audit::snapshot(&area)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(area)
}

/// What an update changes; absent fields stay as they are, an empty description clears.
pub struct AreaEdit {
    /// The new name: one line, 1 to 200 characters (it cannot be cleared).
    pub name: Option<String>,
    /// Up to 5,000 characters; `Some("")` clears it.
    pub description: Option<String>,
    /// The area's `version` as the caller read it; the edit applies only to that version.
    pub expected_version: i32,
}

/// Edits or archives an area under `expectedVersion`. Archiving keeps the area and its
/// links readable; it only stops new links.
async fn change(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    expected_version: i32,
    action: &str,
    set: impl FnOnce(
        sea_orm::UpdateMany<strategic_area::Entity>,
    ) -> sea_orm::UpdateMany<strategic_area::Entity>,
    archive: bool,
) -> ServiceResult<strategic_area::Model> {
    let current = find(db, id).await?;
    let txn = db.begin().await?;
    let mut update = versioned::bump::<strategic_area::Entity>(id, expected_version);
    if archive {
        update = update.filter(strategic_area::Column::ArchivedAt.is_null());
    }
    let Some(updated) = versioned::apply(set(update), &txn).await? else {
        txn.rollback().await?;
        let now = find(db, id).await?;
        return Err(if archive && now.archived_at.is_some() {
            ServiceError::Conflict("This strategic area is already archived.".into())
        } else {
            versioned::stale::<strategic_area::Entity>(expected_version, now.version)
        });
    };
    audit::record(
        &txn,
        viewer,
        Change {
            action,
            object_type: "StrategicArea",
            object_id: id,
            before: Some(audit::snapshot(&current)),
            after: Some(audit::snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// Renames an area or changes its description; archived areas too. Staff only
/// (`Forbidden` otherwise). A field that does not parse is `InvalidInput` naming it;
/// an unknown area is `Missing` on `input.strategicAreaId`; an area no longer at
/// `expected_version` is a stale-version `Conflict`. Bumps the version and writes a
/// `strategicArea.update` audit record in one transaction.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    edit: AreaEdit,
) -> ServiceResult<strategic_area::Model> {
    access::require_staff(viewer, "update strategic areas")?;
    let name = edit
        .name
        .as_deref()
        .map(|n| Line::parse("input.name", n))
        .transpose()?;
    let description = edit
        .description
        .as_deref()
        .map(|d| Prose::optional("input.description", Some(d)))
        .transpose()?;
    change(
        db,
        viewer,
        id,
        edit.expected_version,
        "strategicArea.update",
        |mut u| {
            if let Some(name) = name {
                // A bulk update skips `before_save`: the folded copy is written here.
                u = u.col_expr(
                    strategic_area::Column::NameFolded,
                    Expr::val(search::fold(&name)),
                );
                u = u.col_expr(strategic_area::Column::Name, Expr::val(String::from(name)));
            }
            if let Some(description) = description {
                u = u.col_expr(
                    strategic_area::Column::Description,
                    Expr::val(description.map(String::from)),
                );
            }
            u
        },
        false,
    )
    .await
}

/// Archives an area: it stays readable with its history and links, and new
/// nominations can no longer name it. Staff only (`Forbidden` otherwise). An unknown
/// area is `Missing` on `input.strategicAreaId`; an area already archived is
/// `Conflict`, as is one no longer at `expected_version` (the stale-version answer).
/// Stamps the archive time, bumps the version and writes a `strategicArea.archive`
/// audit record in one transaction.
pub async fn archive(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    expected_version: i32,
) -> ServiceResult<strategic_area::Model> {
    access::require_staff(viewer, "archive strategic areas")?;
    change(
        db,
        viewer,
        id,
        expected_version,
        "strategicArea.archive",
        |u| u.col_expr(strategic_area::Column::ArchivedAt, Expr::val(Utc::now())),
        true,
    )
    .await
}
