//! Organizations, their foundation memberships and the board seats those carry: a
//! public record that reads the same for every caller. What changes them is in
//! [`register`], [`memberships`](mod@memberships) and [`board_seats`].

pub mod board_seats;
pub mod memberships;
pub mod register;

use std::collections::HashMap;

use entity::enums::{MembershipTier, OrganizationKind};
use entity::{board_seat, foundation_membership, organization, person};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use crate::error::ServiceResult;
use crate::service::page::{self, Breadth, Cursor, KeyValue, KeysetOrder, Page, PageArgs};
use crate::service::search;

/// Which organizations a list shows; each `None` field admits all.
#[derive(Debug, Default, Clone)]
pub struct OrganizationFilter {
    /// Only organizations of this kind.
    pub kind: Option<OrganizationKind>,
    /// Only organizations directly under the one with this slug.
    pub parent: Option<String>,
    /// Text found in the name or slug.
    pub search: Option<String>,
}

fn org_column(col: organization::Column) -> SimpleExpr {
    Expr::col((organization::Entity, col))
}

/// `column IN (SELECT id FROM organizations WHERE slug_folded = fold(?))`.
fn organization_with_slug(column: SimpleExpr, slug: &str) -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    let ids = Query::select()
        .column(organization::Column::Id)
        .from(organization::Entity)
        .and_where(search::equals_ignoring_case(
            Expr::col(organization::Column::SlugFolded),
            slug,
        ))
        .to_owned();
    // `= (SELECT ...)`, not `IN (SELECT ...)`: slugs are unique, and an equality lets
    // SQLite serve the filter and the order from one (column, id) index.
    column.eq(ids)
}

impl OrganizationFilter {
    fn condition(&self) -> ServiceResult<Condition> {
        let mut condition = Condition::all();
        if let Some(kind) = self.kind {
            condition = condition.add(organization::Column::Kind.eq(kind));
        }
        if let Some(parent) = &self.parent {
            condition = condition.add(organization_with_slug(
                org_column(organization::Column::ParentId),
                parent,
            ));
        }
        if let Some(term) = search::term(self.search.as_deref(), "filter.search")? {
            condition = condition.add(
                Condition::any()
                    .add(search::contains(
                        org_column(organization::Column::NameFolded),
                        &term,
                    ))
                    .add(search::contains(
                        org_column(organization::Column::SlugFolded),
                        &term,
                    )),
            );
        }
        Ok(condition)
    }
}

/// One page of organizations by name (A to Z, or Z to A when `descending`), ties
/// broken by ID. Public: no access rule applies. A search over 100 characters, or bad
/// page arguments, is `InvalidInput`; a `parent` slug that names no organization
/// matches nothing.
pub async fn list(
    db: &DatabaseConnection,
    filter: &OrganizationFilter,
    descending: bool,
    args: &PageArgs,
) -> ServiceResult<Page<organization::Model>> {
    const SCOPE: &str = "organizations/name";
    let window = args.window(SCOPE)?;
    let condition = filter.condition()?;
    let keyset = KeysetOrder {
        key: Some(org_column(organization::Column::Name)),
        id: org_column(organization::Column::Id),
        descending,
    };
    page::of_table::<organization::Entity>(db, condition, &keyset, &window, SCOPE, |org| {
        Cursor::new(KeyValue::Text(org.name.clone()), org.id)
    })
    .await
}

/// The organization with this slug (case ignored), if any. Public.
pub async fn by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> ServiceResult<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(search::equals_ignoring_case(
            org_column(organization::Column::SlugFolded),
            slug,
        ))
        .one(db)
        .await?)
}

/// A page of the organizations directly under each parent, in the order they were
/// registered.
pub async fn children_of(
    db: &DatabaseConnection,
    parent_ids: &[i64],
    window: &page::Window,
) -> ServiceResult<HashMap<i64, Vec<organization::Model>>> {
    let keyset = KeysetOrder::by_id(org_column(organization::Column::Id));
    page::under_each(
        db,
        organization::Entity::find(),
        organization::Column::ParentId,
        parent_ids,
        Breadth::Unbounded,
        &keyset,
        window,
    )
    .await
}

/// How many organizations sit directly under each parent.
pub async fn child_counts(
    db: &DatabaseConnection,
    parent_ids: &[i64],
) -> ServiceResult<HashMap<i64, u64>> {
    page::counts_under(
        db,
        organization::Entity::find(),
        organization::Column::ParentId,
        parent_ids,
    )
    .await
}

/// Which foundation memberships a list shows; each `None` field admits all, and a slug
/// that names no organization matches nothing.
#[derive(Debug, Default, Clone)]
pub struct MembershipFilter {
    /// The slug of the foundation joined.
    pub foundation: Option<String>,
    /// The slug of the member organization.
    pub member: Option<String>,
    /// Only memberships at this tier.
    pub tier: Option<MembershipTier>,
    /// `Some(true)`: memberships not ended; `Some(false)`: ended ones; `None`: both.
    pub active: Option<bool>,
}

fn membership_column(col: foundation_membership::Column) -> SimpleExpr {
    Expr::col((foundation_membership::Entity, col))
}

impl MembershipFilter {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(slug) = &self.foundation {
            condition = condition.add(organization_with_slug(
                membership_column(foundation_membership::Column::FoundationId),
                slug,
            ));
        }
        if let Some(slug) = &self.member {
            condition = condition.add(organization_with_slug(
                membership_column(foundation_membership::Column::MemberId),
                slug,
            ));
        }
        if let Some(tier) = self.tier {
            condition = condition.add(foundation_membership::Column::Tier.eq(tier));
        }
        match self.active {
            Some(true) => {
                condition = condition.add(foundation_membership::Column::EndedOn.is_null());
            }
            Some(false) => {
                condition = condition.add(foundation_membership::Column::EndedOn.is_not_null());
            }
            None => {}
        }
        condition
    }
}

/// Memberships in the order they were recorded; with `with_members`, each member
/// organization too, read in the same statement.
pub async fn memberships(
    db: &DatabaseConnection,
    filter: &MembershipFilter,
    args: &PageArgs,
    with_members: bool,
) -> ServiceResult<(Page<foundation_membership::Model>, Vec<organization::Model>)> {
    const SCOPE: &str = "foundationMemberships/id";
    let window = args.window(SCOPE)?;
    let keyset = KeysetOrder::by_id(membership_column(foundation_membership::Column::Id));
    page::of_table_including::<foundation_membership::Entity, organization::Entity>(
        db,
        filter.condition(),
        &keyset,
        &window,
        SCOPE,
        |m| Cursor::by_id(m.id),
        with_members.then(|| foundation_membership::Relation::Member.def()),
    )
    .await
}

/// A page of the memberships under each of the given organizations, in the order they
/// were recorded: those each holds (`column` is `MemberId`) or each has as a foundation
/// (`FoundationId`).
pub async fn memberships_by(
    db: &DatabaseConnection,
    column: foundation_membership::Column,
    organization_ids: &[i64],
    window: &page::Window,
) -> ServiceResult<HashMap<i64, Vec<foundation_membership::Model>>> {
    let keyset = KeysetOrder::by_id(membership_column(foundation_membership::Column::Id));
    // An organization is a member of a few foundations; a foundation may have thousands.
    let breadth = match column {
        foundation_membership::Column::FoundationId => Breadth::Unbounded,
        _ => Breadth::Handful,
    };
    page::under_each(
        db,
        foundation_membership::Entity::find(),
        column,
        organization_ids,
        breadth,
        &keyset,
        window,
    )
    .await
}

/// How many memberships each organization holds or has, by `column` as above.
pub async fn membership_counts(
    db: &DatabaseConnection,
    column: foundation_membership::Column,
    organization_ids: &[i64],
) -> ServiceResult<HashMap<i64, u64>> {
    page::counts_under(
        db,
        foundation_membership::Entity::find(),
        column,
        organization_ids,
    )
    .await
}

/// Board seats of each membership, current and past, oldest first, each with its
/// representative (joined in the same statement: a seat is shown with who holds it).
pub async fn board_seats_of(
    db: &DatabaseConnection,
    membership_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<(board_seat::Model, person::Model)>>> {
    let rows = board_seat::Entity::find()
        .select_also(person::Entity)
        .join(
            JoinType::InnerJoin,
            board_seat::Relation::Representative.def(),
        )
        .filter(page::keys_in(
            db.get_database_backend(),
            board_seat::Column::MembershipId,
            membership_ids,
        ))
        // In the order of the (membership_id, id) index, so the database sorts nothing.
        .order_by_asc(board_seat::Column::MembershipId)
        .order_by_asc(board_seat::Column::Id)
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<(board_seat::Model, person::Model)>> = HashMap::new();
    for (row, representative) in rows {
        if let Some(representative) = representative {
            grouped
                .entry(row.membership_id)
                .or_default()
                .push((row, representative));
        }
    }
    Ok(grouped)
}
