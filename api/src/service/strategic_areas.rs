//! Strategic areas: the fields where the program seeks contributions. Archived areas
//! stay readable, with their history; a list shows both unless filtered.

use std::sync::Arc;

use entity::strategic_area;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::page::{self, Cursor, KeyValue, KeysetOrder, Page, PageArgs, TotalCount};
use super::search;
use crate::error::ServiceResult;

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
                condition = condition.add(strategic_area::Column::ArchivedAt.is_not_null())
            }
            Some(false) => condition = condition.add(strategic_area::Column::ArchivedAt.is_null()),
            None => {}
        }
        if let Some(term) = search::term(self.search.as_deref(), "filter.search")? {
            condition = condition.add(
                Condition::any()
                    .add(search::contains(
                        column(strategic_area::Column::Name),
                        &term,
                    ))
                    .add(search::contains(
                        column(strategic_area::Column::Slug),
                        &term,
                    )),
            );
        }
        Ok(condition)
    }
}

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
    let rows = keyset
        .apply(
            strategic_area::Entity::find().filter(condition.clone()),
            &window,
        )
        .all(db)
        .await?;
    let count_db = db.clone();
    let total = TotalCount::Deferred(Arc::new(move || {
        let db = count_db.clone();
        let condition = condition.clone();
        Box::pin(async move {
            Ok(strategic_area::Entity::find()
                .filter(condition)
                .count(&db)
                .await?)
        })
    }));
    Ok(page::finish(
        rows,
        &window,
        SCOPE,
        |area| Cursor::new(KeyValue::Text(area.name.clone()), area.id),
        total,
    ))
}

pub async fn by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> ServiceResult<Option<strategic_area::Model>> {
    Ok(strategic_area::Entity::find()
        .filter(search::equals_ignoring_case(
            column(strategic_area::Column::Slug),
            slug,
        ))
        .one(db)
        .await?)
}
