//! Small helpers shared by the migrations.
//!
//! These are deliberately tiny and stable: changing what they emit would change
//! what already-applied migrations mean. Add new helpers rather than editing these.

use sea_orm_migration::{prelude::*, schema::*};

/// `id`: 64-bit auto-increment primary key.
///
/// Renders as `integer NOT NULL PRIMARY KEY AUTOINCREMENT` on SQLite (sea-query
/// maps `BigInteger` to `integer` there, so the column is the rowid alias) and as
/// `bigserial NOT NULL PRIMARY KEY` on PostgreSQL.
pub fn id<T: IntoIden>(name: T) -> ColumnDef {
    big_integer(name).auto_increment().primary_key().take()
}

/// `version int NOT NULL DEFAULT 1`.
pub fn version<T: IntoIden>(name: T) -> ColumnDef {
    integer(name).default(1).take()
}

/// Non-null JSON list column defaulting to `'[]'` (`jsonb` on PostgreSQL,
/// text affinity on SQLite).
pub fn json_list<T: IntoIden>(name: T) -> ColumnDef {
    json_binary(name).default("[]").take()
}

/// `CHECK (<col> IN ('A', 'B', ...))`, named `ck_<table>_<col>`.
pub fn in_check<C>(name: &str, col: C, values: &[&str]) -> Check
where
    C: IntoIden,
{
    Check::named(
        Alias::new(name),
        Expr::col(col).is_in(values.iter().map(|v| (*v).to_owned())),
    )
}

/// A named foreign key `from_table(from_col) -> to_table(id)` with the given
/// `ON DELETE` action (`ON UPDATE` is left at the default, NO ACTION).
pub fn fk<FT, FC, TT>(
    name: &str,
    from_table: FT,
    from_col: FC,
    to_table: TT,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    FT: IntoIden,
    FC: IntoIden,
    TT: IntoIden,
{
    ForeignKey::create()
        .name(name)
        .from(from_table, from_col)
        .to(to_table, Alias::new("id"))
        .on_delete(on_delete)
        .take()
}

/// A plain (non-unique) index over columns.
pub fn index<T, I, C>(name: &str, table: T, cols: I) -> IndexCreateStatement
where
    T: IntoIden,
    I: IntoIterator<Item = C>,
    C: IntoIden,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    stmt.take()
}

/// A unique index over columns.
pub fn unique_index<T, I, C>(name: &str, table: T, cols: I) -> IndexCreateStatement
where
    T: IntoIden,
    I: IntoIterator<Item = C>,
    C: IntoIden,
{
    index(name, table, cols).unique().take()
}

/// Runs a raw statement that is valid, unchanged, on SQLite and PostgreSQL.
pub async fn exec_portable_sql(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}

/// Drops tables, in the given order (children first).
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(Alias::new(*table)).to_owned())
            .await?;
    }
    Ok(())
}
