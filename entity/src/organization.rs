//! `organizations`: a company, foundation or other body.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::OrganizationKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique case-insensitively (unique index on `lower(slug)`).
    pub slug: String,
    pub name: String,
    pub kind: OrganizationKind,
    /// Umbrella organization; never the organization itself (CHECK).
    pub parent_id: Option<i64>,
    pub description: Option<String>,
    pub website_url: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

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

pub struct ParentLink;

/// `organization -> parent organization`, for `find_linked` / `find_also_linked`.
impl Linked for ParentLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Parent.def()]
    }
}

impl ActiveModelBehavior for ActiveModel {}
