//! Folded copies of every text matched ignoring case, and the unique indexes moved onto
//! them.
//!
//! Matching used to be `lower(column) = lower(?)`, which folds Unicode on PostgreSQL and
//! only ASCII on SQLite, so the same lookup answered differently on the two databases.
//! Case is now folded in Rust by `entity::folding::fold`; this migration adds a `*_folded`
//! column beside each matched text, fills it with that function (not SQL `lower()`), and
//! rebuilds the case-insensitive unique indexes, under their old names, on the folded
//! columns so that uniqueness follows the lookup rule.
//!
//! Before changing anything it checks that no two rows become duplicates under the new
//! rule (possible for non-ASCII handles that SQLite's `lower()` kept apart, or for
//! canonically equivalent spellings that neither database joined) and refuses with the
//! values to rename. It runs in one transaction on both databases, so a refusal or a
//! failure leaves the schema as it was.

use std::collections::HashMap;

use entity::folding::fold;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::common::exec_portable_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A text matched ignoring case, and the column that holds its folded copy.
struct Folded {
    table: &'static str,
    text: &'static str,
    folded: &'static str,
    nullable: bool,
}

const FOLDED: &[Folded] = &[
    Folded {
        table: "people",
        text: "name",
        folded: "name_folded",
        nullable: false,
    },
    Folded {
        table: "people",
        text: "handle",
        folded: "handle_folded",
        nullable: true,
    },
    Folded {
        table: "fellows",
        text: "headline",
        folded: "headline_folded",
        nullable: true,
    },
    Folded {
        table: "strategic_areas",
        text: "slug",
        folded: "slug_folded",
        nullable: false,
    },
    Folded {
        table: "strategic_areas",
        text: "name",
        folded: "name_folded",
        nullable: false,
    },
    Folded {
        table: "organizations",
        text: "slug",
        folded: "slug_folded",
        nullable: false,
    },
    Folded {
        table: "organizations",
        text: "name",
        folded: "name_folded",
        nullable: false,
    },
    Folded {
        table: "nominations",
        text: "nominee_handle",
        folded: "nominee_handle_folded",
        nullable: false,
    },
];

/// A unique index that moves from `lower(text)` to the folded column.
struct Unique {
    name: &'static str,
    table: &'static str,
    text: &'static str,
    folded: &'static str,
    /// The partial index's condition, if any.
    only: Option<&'static str>,
}

const UNIQUE: &[Unique] = &[
    Unique {
        name: "ux_people_handle",
        table: "people",
        text: "handle",
        folded: "handle_folded",
        only: None,
    },
    Unique {
        name: "ux_strategic_areas_slug",
        table: "strategic_areas",
        text: "slug",
        folded: "slug_folded",
        only: None,
    },
    Unique {
        name: "ux_organizations_slug",
        table: "organizations",
        text: "slug",
        folded: "slug_folded",
        only: None,
    },
    Unique {
        name: "ux_nominations_open_nominee",
        table: "nominations",
        text: "nominee_handle",
        folded: "nominee_handle_folded",
        only: Some(r#""status" IN ('SUBMITTED', 'UNDER_REVIEW')"#),
    },
];

/// `(id, text)` of every row of `table` (that satisfies `only`), in id order.
async fn texts(
    manager: &SchemaManager<'_>,
    table: &str,
    text: &str,
    only: Option<&str>,
) -> Result<Vec<(i64, Option<String>)>, DbErr> {
    let db = manager.get_connection();
    let filter = only.map(|c| format!(" WHERE {c}")).unwrap_or_default();
    let sql = format!(r#"SELECT "id", "{text}" FROM "{table}"{filter} ORDER BY "id""#);
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// Refuses when two rows would share a folded value under a unique index.
async fn check_no_new_duplicates(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut clashes = Vec::new();
    for unique in UNIQUE {
        let mut seen: HashMap<String, String> = HashMap::new();
        for (_, text) in texts(manager, unique.table, unique.text, unique.only).await? {
            let Some(text) = text else { continue };
            match seen.get(&fold(&text)) {
                Some(first) => clashes.push(format!(
                    "{}.{}: {first:?} and {text:?}",
                    unique.table, unique.text
                )),
                None => {
                    seen.insert(fold(&text), text);
                }
            }
        }
    }
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(DbErr::Migration(format!(
            "these values are one value under the new case rule; rename one of each pair \
             and migrate again: {}",
            clashes.join("; ")
        )))
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// SQLite too, so that a refusal half-way leaves nothing half-done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        check_no_new_duplicates(manager).await?;
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        for f in FOLDED {
            let mut column = ColumnDef::new(Alias::new(f.folded));
            column.text();
            if f.nullable {
                column.null();
            } else {
                // SQLite adds a NOT NULL column only with a default; PostgreSQL drops
                // it again below, so that a row written without its copy is refused.
                column.not_null().default("");
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(f.table))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
            for (id, text) in texts(manager, f.table, f.text, None).await? {
                let Some(text) = text else { continue };
                db.execute(
                    Query::update()
                        .table(Alias::new(f.table))
                        .value(Alias::new(f.folded), fold(&text))
                        .and_where(Expr::col(Alias::new("id")).eq(id)),
                )
                .await?;
            }
            if postgres && !f.nullable {
                exec_portable_sql(
                    manager,
                    &format!(
                        r#"ALTER TABLE "{}" ALTER COLUMN "{}" DROP DEFAULT"#,
                        f.table, f.folded
                    ),
                )
                .await?;
            }
        }
        for u in UNIQUE {
            exec_portable_sql(manager, &format!(r#"DROP INDEX "{}""#, u.name)).await?;
            exec_portable_sql(manager, &create_unique(u, &format!(r#""{}""#, u.folded))).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for u in UNIQUE {
            exec_portable_sql(manager, &format!(r#"DROP INDEX "{}""#, u.name)).await?;
            exec_portable_sql(
                manager,
                &create_unique(u, &format!(r#"lower("{}")"#, u.text)),
            )
            .await?;
        }
        for f in FOLDED.iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(f.table))
                        .drop_column(Alias::new(f.folded))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// `CREATE UNIQUE INDEX` of `u` over `key`, valid as-is on SQLite and PostgreSQL.
fn create_unique(u: &Unique, key: &str) -> String {
    let only = u.only.map(|c| format!(" WHERE {c}")).unwrap_or_default();
    format!(
        r#"CREATE UNIQUE INDEX "{}" ON "{}" ({key}){only}"#,
        u.name, u.table
    )
}
