//! The bookkeeping columns of a row, set in each entity's `before_save` so that no
//! write has to: `created_at` when a row is inserted, `updated_at` whenever it is saved,
//! `version` 1 for a new row. A write that sets one itself (the demo data's fixed
//! times, say) keeps its value. The guarded changes of existing rows (`versioned::bump`
//! in the API) move `version` and `updated_at` in their own `UPDATE` statement, which
//! no `before_save` sees.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue, Set};

/// Sets `column` to `now` on insert, unless the write set it.
pub fn created_at(column: &mut ActiveValue<DateTime<Utc>>, insert: bool, now: DateTime<Utc>) {
    if insert && !column.is_set() {
        *column = Set(now);
    }
}

/// Sets `column` to `now` on every save, unless the write set it.
pub fn updated_at(column: &mut ActiveValue<DateTime<Utc>>, _insert: bool, now: DateTime<Utc>) {
    if !column.is_set() {
        *column = Set(now);
    }
}

/// Sets `column` to 1 on insert, unless the write set it.
pub fn version(column: &mut ActiveValue<i32>, insert: bool, _now: DateTime<Utc>) {
    if insert && !column.is_set() {
        *column = Set(1);
    }
}

/// Fills the named bookkeeping columns of an active model about to be saved:
/// `stamp!(self, insert; created_at, updated_at, version)` in its `before_save`.
#[macro_export]
macro_rules! stamp {
    ($model:expr, $insert:expr; $($column:ident),+ $(,)?) => {{
        let now = chrono::Utc::now();
        $( $crate::stamps::$column(&mut $model.$column, $insert, now); )+
    }};
}

/// The `ActiveModelBehavior` of an entity whose only rule is its bookkeeping columns.
#[macro_export]
macro_rules! stamped {
    ($($column:ident),+ $(,)?) => {
        #[async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            /// Fills the bookkeeping columns the write left unset ([`crate::stamps`]).
            async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr>
            where
                C: ConnectionTrait,
            {
                $crate::stamp!(self, insert; $($column),+);
                Ok(self)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveValue::{NotSet, Unchanged};

    #[test]
    fn a_new_row_gets_its_times_and_first_version_unless_the_write_set_them() {
        let now = Utc::now();
        let earlier = now - chrono::Duration::days(3);
        let (mut created, mut updated, mut v) = (NotSet, NotSet, NotSet);
        created_at(&mut created, true, now);
        updated_at(&mut updated, true, now);
        version(&mut v, true, now);
        assert_eq!((created, updated, v), (Set(now), Set(now), Set(1)));

        let mut given = Set(earlier);
        created_at(&mut given, true, now);
        assert_eq!(given, Set(earlier));
    }

    #[test]
    fn a_saved_row_gets_a_new_updated_at_and_keeps_its_creation_and_version() {
        let now = Utc::now();
        let earlier = now - chrono::Duration::days(3);
        let (mut created, mut updated, mut v) =
            (Unchanged(earlier), Unchanged(earlier), Unchanged(4));
        created_at(&mut created, false, now);
        updated_at(&mut updated, false, now);
        version(&mut v, false, now);
        assert_eq!(
            (created, updated, v),
            (Unchanged(earlier), Set(now), Unchanged(4))
        );
    }
}
