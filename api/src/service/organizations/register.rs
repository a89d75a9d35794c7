//! The register of organizations: created and edited by staff. An organization may sit under an
//! umbrella, never under itself or its own descendants, and a foundation stays one
//! while memberships name it.

use entity::enums::OrganizationKind;
use entity::{foundation_membership, organization};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

use crate::auth::Viewer;
use crate::domain::{HttpUrl, Line, Prose, Slug};
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::search;
use crate::service::versioned;

pub(super) async fn organization(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    field: &str,
) -> ServiceResult<organization::Model> {
    organization::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::missing(field, "No organization has this ID."))
}

/// An organization to register, as sent.
#[derive(serde::Serialize)]
pub struct NewOrganization {
    /// Its unique slug (case ignored): lower-case letters and digits joined by single
    /// hyphens, at most 60 characters. It never changes afterwards.
    pub slug: String,
    /// Its name: one line, 1 to 200 characters.
    pub name: String,
    /// What sort of body it is; only a `FOUNDATION` can have members.
    pub kind: OrganizationKind,
    /// The umbrella it sits under (the Linux Foundation, for the PyTorch Foundation);
    /// `None` for none.
    pub parent_id: Option<i64>,
    /// Up to 5,000 characters; `None` or blank for none.
    pub description: Option<String>,
    /// An http(s) URL; `None` or blank for none.
    pub website_url: Option<String>,
}

/// Registers an organization. Staff only (`Forbidden` otherwise). A field that does
/// not parse is `InvalidInput` naming it; an unknown parent is `Missing` on
/// `input.parentId`; a slug another organization has (case ignored) is `Conflict`.
/// Writes the organization and an `organization.create` audit record in one
/// transaction.
pub async fn create_organization(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewOrganization,
) -> ServiceResult<organization::Model> {
    access::require_staff(viewer, "create organizations")?;
    let slug = Slug::parse("input.slug", &new.slug)?;
    let name = Line::parse("input.name", &new.name)?;
    let description = Prose::optional("input.description", new.description.as_deref())?;
    let website_url = HttpUrl::optional("input.websiteUrl", new.website_url.as_deref())?;
    if let Some(parent) = new.parent_id {
        organization(db, parent, "input.parentId").await?;
    }
    let txn = db.begin().await?;
    let inserted = organization::ActiveModel {
        slug: Set(slug.to_string()),
        name: Set(name.into()),
        kind: Set(new.kind),
        parent_id: Set(new.parent_id),
        description: Set(description.map(Into::into)),
        website_url: Set(website_url.map(Into::into)),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let org = match inserted {
        Ok(org) => org,
        Err(err) if ServiceError::is_unique_violation(&err) => {
            return Err(ServiceError::Conflict(format!(
                "An organization already has the slug `{slug}`."
            )));
        }
        Err(err) => return Err(err.into()),
    };
    audit::record(
        &txn,
        viewer,
        Change {
            action: "organization.create",
            object_type: "Organization",
            object_id: org.id,
            before: None,
            after: Some(audit::snapshot(&org)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(org)
}

/// What an update changes; absent fields stay as they are.
pub struct OrganizationEdit {
    /// The new name: one line, 1 to 200 characters (it cannot be cleared).
    pub name: Option<String>,
    /// The new kind; a foundation that memberships name stays a `FOUNDATION`.
    pub kind: Option<OrganizationKind>,
    /// The new umbrella: not the organization itself nor one of its descendants.
    /// `Some(None)` removes the parent.
    pub parent_id: Option<Option<i64>>,
    /// Up to 5,000 characters; `Some("")` clears it.
    pub description: Option<String>,
    /// An http(s) URL; `Some("")` clears it.
    pub website_url: Option<String>,
    /// The organization's `version` as the caller read it; the edit applies only to
    /// that version.
    pub expected_version: i32,
}

/// Edits an organization; its slug never changes. Staff only (`Forbidden` otherwise).
/// An unknown organization is `Missing` on `input.organizationId`, an unknown parent
/// `Missing` on `input.parentId`; a field that does not parse is `InvalidInput` naming
/// it; a parent that is the organization itself or one of its descendants, or a chain
/// of parents more than 64 deep, is `InvalidInput` on `input.parentId`; a change of
/// kind away from `FOUNDATION` while memberships name it as their foundation is
/// `Conflict`; an organization no longer at `expected_version` is a stale-version
/// `Conflict`. Parent changes take turns under one lock, so that two of them cannot
/// close a cycle together. Bumps the version and writes an `organization.update` audit
/// record in one transaction.
pub async fn update_organization(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    edit: OrganizationEdit,
) -> ServiceResult<organization::Model> {
    access::require_staff(viewer, "update organizations")?;
    let current = organization(db, id, "input.organizationId").await?;
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
    let website_url = edit
        .website_url
        .as_deref()
        .map(|u| HttpUrl::optional("input.websiteUrl", Some(u)))
        .transpose()?;
    if let Some(Some(parent)) = edit.parent_id {
        organization(db, parent, "input.parentId").await?;
    }
    let txn = db.begin().await?;
    let mut update = versioned::bump::<organization::Entity>(id, edit.expected_version);
    if let Some(name) = name {
        // A bulk update skips `before_save`: the folded copy is written here.
        update = update.col_expr(
            organization::Column::NameFolded,
            Expr::val(search::fold(&name)),
        );
        update = update.col_expr(organization::Column::Name, Expr::val(String::from(name)));
    }
    if let Some(kind) = edit.kind {
        update = update.col_expr(organization::Column::Kind, Expr::val(kind.as_str()));
    }
    if let Some(parent) = edit.parent_id {
        update = update.col_expr(organization::Column::ParentId, Expr::val(parent));
    }
    if let Some(description) = description {
        update = update.col_expr(
            organization::Column::Description,
            Expr::val(description.map(String::from)),
        );
    }
    if let Some(url) = website_url {
        update = update.col_expr(
            organization::Column::WebsiteUrl,
            Expr::val(url.map(String::from)),
        );
    }
    if edit.parent_id.is_some() {
        // Parent changes take turns from here to commit: two that each look fine alone
        // (A under B, B under A) must not both pass the walk below.
        crate::db::serialise(&txn, PARENT_CHANGES).await?;
    }
    let Some(updated) = versioned::apply(update, &txn).await? else {
        txn.rollback().await?;
        let now = organization(db, id, "input.organizationId").await?;
        return Err(versioned::stale::<organization::Entity>(
            edit.expected_version,
            now.version,
        ));
    };
    // Checked after the write, inside its transaction: the rows read are those the
    // commit will stand on (the write holds this row, and on SQLite the write lock).
    if let Err(refusal) = check_hierarchy(&txn, &updated, edit.parent_id.is_some()).await {
        txn.rollback().await?;
        return Err(refusal);
    }
    audit::record(
        &txn,
        viewer,
        Change {
            action: "organization.update",
            object_type: "Organization",
            object_id: id,
            before: Some(audit::snapshot(&current)),
            after: Some(audit::snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// The lock key under which parent changes take turns (see [`crate::db::serialise`]).
const PARENT_CHANGES: &str = "organizations:parents";

/// How far up a parent chain is walked; deeper chains are refused rather than walked on.
const MAX_DEPTH: usize = 64;

/// The rules an organization's new state must meet against the rows around it:
/// - it does not sit under itself or one of its own descendants;
/// - it stays a foundation while memberships name it as their foundation (else they
///   would be memberships of something that is not a foundation).
async fn check_hierarchy(
    txn: &DatabaseTransaction,
    after: &organization::Model,
    parent_changed: bool,
) -> ServiceResult<()> {
    if parent_changed {
        let mut cursor = after.parent_id;
        let mut steps = 0;
        while let Some(at) = cursor {
            if at == after.id {
                return Err(ServiceError::invalid(
                    "input.parentId",
                    "An organization cannot sit under itself or under one of its own members.",
                ));
            }
            steps += 1;
            if steps > MAX_DEPTH {
                return Err(ServiceError::invalid(
                    "input.parentId",
                    "This parent sits too deep in the hierarchy.",
                ));
            }
            cursor = organization(txn, at, "input.parentId").await?.parent_id;
        }
    }
    // Only a foundation can have come to hold memberships (see `record_membership`).
    if after.kind != OrganizationKind::Foundation {
        let memberships = foundation_membership::Entity::find()
            .filter(foundation_membership::Column::FoundationId.eq(after.id))
            .count(txn)
            .await?;
        if memberships > 0 {
            return Err(ServiceError::Conflict(format!(
                "This foundation has {memberships} membership records; it stays a foundation while they name it."
            )));
        }
    }
    Ok(())
}
