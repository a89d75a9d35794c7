//! Fellows: the public directory of the program, with what each fellow contributed and
//! the strategic areas they work in. [`profile`] and [`status`] hold what edits them.
//! Everything here is public data and reads the same for every caller.

pub mod profile;
pub mod status;

use std::collections::HashMap;
use std::sync::Arc;

use entity::enums::{ContributionKind, FellowStatus};
use entity::{contribution, fellow, fellow_strategic_area, person, strategic_area};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, JoinType, PaginatorTrait, QueryFilter,
    QuerySelect, RelationTrait,
};

use crate::error::{ServiceError, ServiceResult};
use crate::service::page::{
    self, Breadth, Cursor, KeyValue, KeysetOrder, Page, PageArgs, TotalCount,
};
use crate::service::search;

/// Which fellows a list shows.
#[derive(Debug, Default, Clone)]
pub struct FellowFilter {
    /// Only fellows of this status; `None` for both active fellows and alumni.
    pub status: Option<FellowStatus>,
    /// The slug of a strategic area the fellow works in.
    pub strategic_area: Option<String>,
    /// A kind of contribution the fellow has made.
    pub contribution_kind: Option<ContributionKind>,
    /// Text found in the fellow's name, handle or headline.
    pub search: Option<String>,
}

/// What a list of fellows is sorted by; ties are broken by ID, so the order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FellowOrderField {
    /// The fellow's name, as their person record spells it.
    Name,
    /// The date the fellow joined the program.
    JoinedOn,
}

/// The order of a list of fellows: by default by name, A to Z.
#[derive(Debug, Clone, Copy)]
pub struct FellowOrder {
    /// The column sorted on.
    pub field: FellowOrderField,
    /// Z to A, or latest first, when set.
    pub descending: bool,
}

impl Default for FellowOrder {
    fn default() -> Self {
        FellowOrder {
            field: FellowOrderField::Name,
            descending: false,
        }
    }
}

fn column(table: impl sea_orm::Iden + 'static, col: impl sea_orm::IdenStatic) -> SimpleExpr {
    Expr::col((table, col))
}

impl FellowFilter {
    fn condition(&self) -> ServiceResult<Condition> {
        let mut condition = Condition::all();
        if let Some(status) = self.status {
            condition = condition.add(fellow::Column::Status.eq(status));
        }
        if let Some(slug) = &self.strategic_area {
            let in_area = Query::select()
                .column((
                    fellow_strategic_area::Entity,
                    fellow_strategic_area::Column::FellowId,
                ))
                .from(fellow_strategic_area::Entity)
                .inner_join(
                    strategic_area::Entity,
                    Expr::col((strategic_area::Entity, strategic_area::Column::Id)).equals((
                        fellow_strategic_area::Entity,
                        fellow_strategic_area::Column::StrategicAreaId,
                    )),
                )
                .and_where(search::equals_ignoring_case(
                    column(strategic_area::Entity, strategic_area::Column::SlugFolded),
                    slug,
                ))
                .to_owned();
            condition =
                condition.add(Expr::col((fellow::Entity, fellow::Column::Id)).in_subquery(in_area));
        }
        if let Some(kind) = self.contribution_kind {
            let with_kind = Query::select()
                .column(contribution::Column::FellowId)
                .from(contribution::Entity)
                .and_where(Expr::col(contribution::Column::Kind).eq(kind.as_str()))
                .to_owned();
            condition = condition
                .add(Expr::col((fellow::Entity, fellow::Column::Id)).in_subquery(with_kind));
        }
        if let Some(term) = search::term(self.search.as_deref(), "filter.search")? {
            condition = condition.add(
                Condition::any()
                    .add(search::contains(
                        column(person::Entity, person::Column::NameFolded),
                        &term,
                    ))
                    .add(search::contains(
                        column(person::Entity, person::Column::HandleFolded),
                        &term,
                    ))
                    .add(search::contains(
                        column(fellow::Entity, fellow::Column::HeadlineFolded),
                        &term,
                    )),
            );
        }
        Ok(condition)
    }
}

/// One page of fellows, in the requested order, each with the person behind them.
///
/// By name, fellows are ordered by their person's name and then by the person's id (a
/// fellow has one person and a person at most one fellowship, so that is a total
/// order): both columns sit in one index of `people`, which a page walks from its
/// cursor and joins to `fellows` by its unique `person_id`, reading about a page of rows
/// wherever it starts. By join date the index is the fellows' own `(joined_on, id)`.
pub async fn list(
    db: &DatabaseConnection,
    filter: &FellowFilter,
    order: FellowOrder,
    args: &PageArgs,
) -> ServiceResult<Page<(fellow::Model, person::Model)>> {
    let scope = match order.field {
        FellowOrderField::Name => NAME_SCOPE,
        FellowOrderField::JoinedOn => "fellows/joinedOn",
    };
    let window = args.window(scope)?;
    let condition = filter.condition()?;
    let rows = page_rows(db, filter, order, &window).await?;
    let count_db = db.clone();
    // Every fellow has a person (a foreign key), so the count joins `people` only when
    // the filter reads a person's columns; otherwise it is a count of one index.
    let join_people = filter.search.is_some();
    let total = TotalCount::Deferred(Arc::new(move || {
        let db = count_db.clone();
        let condition = condition.clone();
        Box::pin(async move {
            let mut query = fellow::Entity::find();
            if join_people {
                query = query.join(JoinType::InnerJoin, fellow::Relation::Person.def());
            }
            Ok(query.filter(condition).count(&db).await?)
        })
    }));
    Ok(page::finish(
        rows,
        &window,
        scope,
        |(fellow, person)| match order.field {
            FellowOrderField::Name => Cursor::new(KeyValue::Text(person.name.clone()), person.id),
            FellowOrderField::JoinedOn => Cursor::new(KeyValue::Date(fellow.joined_on), fellow.id),
        },
        total,
    ))
}

/// The scope of cursors of fellows by name. Their id is the person's, which breaks ties
/// between equal names; the scope changed with it, so that a cursor that held a fellow
/// id is refused instead of read as a person's.
const NAME_SCOPE: &str = "fellows.person/name";

/// The rows of one page, each fellow with its person.
async fn page_rows(
    db: &DatabaseConnection,
    filter: &FellowFilter,
    order: FellowOrder,
    window: &page::Window,
) -> ServiceResult<Vec<(fellow::Model, person::Model)>> {
    let condition = filter.condition()?;
    let pairs = match order.field {
        FellowOrderField::Name => {
            let keyset = KeysetOrder {
                key: Some(column(person::Entity, person::Column::Name)),
                id: column(person::Entity, person::Column::Id),
                descending: order.descending,
            };
            // People lead, in the order of their (name, id) index, and each is matched
            // to its fellowship. Written as a CROSS JOIN because SQLite keeps the left
            // table of one as the outer loop (its documented way to fix a join order):
            // otherwise a filter on fellows (their status, say) leads it to read every
            // matching fellow and sort them all for one page. PostgreSQL plans a CROSS
            // JOIN with a join condition like any inner join.
            let mut query = person::Entity::find().select_also(fellow::Entity);
            QuerySelect::query(&mut query).cross_join(fellow::Entity);
            let query = query
                .filter(
                    Expr::col((fellow::Entity, fellow::Column::PersonId))
                        .equals((person::Entity, person::Column::Id)),
                )
                .filter(condition);
            keyset
                .apply(query, window)
                .all(db)
                .await?
                .into_iter()
                .map(|(person, fellow)| fellow.map(|fellow| (fellow, person)))
                .collect::<Option<Vec<_>>>()
        }
        FellowOrderField::JoinedOn => {
            let keyset = KeysetOrder {
                key: Some(column(fellow::Entity, fellow::Column::JoinedOn)),
                id: column(fellow::Entity, fellow::Column::Id),
                descending: order.descending,
            };
            let query = fellow::Entity::find()
                .select_also(person::Entity)
                .join(JoinType::InnerJoin, fellow::Relation::Person.def())
                .filter(condition);
            keyset
                .apply(query, window)
                .all(db)
                .await?
                .into_iter()
                .map(|(fellow, person)| person.map(|person| (fellow, person)))
                .collect::<Option<Vec<_>>>()
        }
    };
    pairs.ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a fellow without a person")))
}

/// The fellow whose person has this hub handle (case-insensitive), with that person.
pub async fn by_handle(
    db: &DatabaseConnection,
    handle: &str,
) -> ServiceResult<Option<(fellow::Model, person::Model)>> {
    let row = fellow::Entity::find()
        .select_also(person::Entity)
        .join(JoinType::InnerJoin, fellow::Relation::Person.def())
        .filter(search::equals_ignoring_case(
            column(person::Entity, person::Column::HandleFolded),
            handle,
        ))
        .one(db)
        .await?;
    Ok(row.and_then(|(fellow, person)| Some((fellow, person?))))
}

/// The fellowship of each of these people, keyed by person ID; a person who is not a
/// fellow has no entry.
pub async fn by_person_ids(
    db: &DatabaseConnection,
    person_ids: &[i64],
) -> ServiceResult<HashMap<i64, fellow::Model>> {
    let fellows = fellow::Entity::find()
        .filter(fellow::Column::PersonId.is_in(person_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(fellows.into_iter().map(|f| (f.person_id, f)).collect())
}

/// A page of each fellow's contributions, oldest first.
pub async fn contributions_of(
    db: &DatabaseConnection,
    fellow_ids: &[i64],
    window: &page::Window,
) -> ServiceResult<HashMap<i64, Vec<contribution::Model>>> {
    let keyset = KeysetOrder::by_id(column(contribution::Entity, contribution::Column::Id));
    page::under_each(
        db,
        contribution::Entity::find(),
        contribution::Column::FellowId,
        fellow_ids,
        Breadth::Handful,
        &keyset,
        window,
    )
    .await
}

/// How many contributions each fellow has.
pub async fn contribution_counts(
    db: &DatabaseConnection,
    fellow_ids: &[i64],
) -> ServiceResult<HashMap<i64, u64>> {
    page::counts_under(
        db,
        contribution::Entity::find(),
        contribution::Column::FellowId,
        fellow_ids,
    )
    .await
}

/// The strategic areas a fellow works in, joined through their links.
fn linked_areas() -> sea_orm::Select<strategic_area::Entity> {
    strategic_area::Entity::find().join(
        JoinType::InnerJoin,
        strategic_area::Relation::FellowStrategicArea.def(),
    )
}

/// A page of the strategic areas each fellow works in, by name.
pub async fn strategic_areas_of(
    db: &DatabaseConnection,
    fellow_ids: &[i64],
    window: &page::Window,
) -> ServiceResult<HashMap<i64, Vec<strategic_area::Model>>> {
    let keyset = KeysetOrder {
        key: Some(column(strategic_area::Entity, strategic_area::Column::Name)),
        id: column(strategic_area::Entity, strategic_area::Column::Id),
        descending: false,
    };
    page::under_each(
        db,
        linked_areas(),
        fellow_strategic_area::Column::FellowId,
        fellow_ids,
        Breadth::Handful,
        &keyset,
        window,
    )
    .await
}

/// How many strategic areas each fellow works in.
pub async fn strategic_area_counts(
    db: &DatabaseConnection,
    fellow_ids: &[i64],
) -> ServiceResult<HashMap<i64, u64>> {
    page::counts_under(
        db,
        linked_areas(),
        fellow_strategic_area::Column::FellowId,
        fellow_ids,
    )
    .await
}

/// The fellow each accepted nomination admitted.
pub async fn by_nomination_ids(
    db: &DatabaseConnection,
    nomination_ids: &[i64],
) -> ServiceResult<HashMap<i64, fellow::Model>> {
    let fellows = fellow::Entity::find()
        .filter(fellow::Column::NominationId.is_in(nomination_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(fellows
        .into_iter()
        .filter_map(|f| f.nomination_id.map(|n| (n, f)))
        .collect())
}

/// The fellow with this id, or `NOT_FOUND` naming `field`.
pub(crate) async fn find_fellow(
    db: &sea_orm::DatabaseConnection,
    id: i64,
    field: &str,
) -> ServiceResult<fellow::Model> {
    fellow::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::missing(field, "No fellow has this ID."))
}
