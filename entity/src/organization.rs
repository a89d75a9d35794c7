//! `organizations`: a company, foundation or other body.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::folding::refold;

use crate::enums::OrganizationKind;

/// One row of `organizations`: a company, foundation or other body that the public
/// membership records name, such as Hugging Face, the PyTorch Foundation or the Linux
/// Foundation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// A short, stable, URL-friendly name, such as `pytorch-foundation`: lower-case
    /// words joined by hyphens. Unique ignoring case (unique index on `slug_folded`).
    pub slug: String,
    /// The organization's display name (at most 200 characters).
    pub name: String,
    /// What sort of body it is; only a `FOUNDATION` can be joined through a membership.
    pub kind: OrganizationKind,
    /// The umbrella organization this one sits under (the PyTorch Foundation under
    /// the Linux Foundation); never the organization itself (CHECK), nor one of its
    /// descendants (checked by the API).
    pub parent_id: Option<i64>,
    /// What the organization is and does (at most 5,000 characters).
    pub description: Option<String>,
    /// The organization's website, an http(s) URL.
    pub website_url: Option<String>,
    /// Optimistic-concurrency counter (starts at 1, bumped by every change); clients
    /// send it back as `expectedVersion`, and a stale one is refused with `CONFLICT`.
    pub version: i32,
    /// When the row was written.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// `slug` folded for lookup and uniqueness ([`crate::folding`]); written by
    /// `before_save`.
    #[serde(skip)]
    pub slug_folded: String,
    /// `name` folded for search ([`crate::folding`]).
    #[serde(skip)]
    pub name_folded: String,
}

/// The relations of `organizations`: to itself (the umbrella hierarchy) and to
/// `foundation_memberships` from either side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Self-reference: the umbrella organization (`parent_id`).
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::ParentId",
        to = "Column::Id",
        on_delete = "Restrict"
    )]
    Parent,
    /// Self-reference, reversed: organizations whose `parent_id` is this one.
    #[sea_orm(has_many = "Entity", via_rel = "Relation::Parent")]
    Children,
    /// Memberships where this organization is the member (`member_id`).
    #[sea_orm(
        has_many = "super::foundation_membership::Entity",
        via_rel = "Relation::Member"
    )]
    MemberOf,
    /// Memberships of this foundation (`foundation_id`).
    #[sea_orm(
        has_many = "super::foundation_membership::Entity",
        via_rel = "Relation::Foundation"
    )]
    Members,
}

/// Follows `parent_id` from an organization to its umbrella organization.
pub struct ParentLink;

/// `organization -> parent organization`, for `find_linked` / `find_also_linked`.
impl Linked for ParentLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Parent.def()]
    }
}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Keeps the folded copies in step with the texts they fold, and fills the
    /// bookkeeping columns the write left unset ([`crate::stamps`]).
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        crate::stamp!(self, insert; created_at, updated_at, version);
        refold(&self.slug, &mut self.slug_folded);
        refold(&self.name, &mut self.name_folded);
        Ok(self)
    }
}
