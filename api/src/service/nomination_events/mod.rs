//! Nomination events: the outbox every nomination change writes, and how subscribers
//! read it.
//!
//! An event is written in the same transaction as the change it records, so a change
//! that rolls back leaves no event and one that commits always has one. Subscribers
//! never hear of a change from the code that made it, only from the outbox, after
//! commit: [`feed`] reads new rows in id order and fans them out in this process,
//! [`follow`] turns that into one subscriber's stream, resuming from a cursor.
//!
//! Id order is commit order. On SQLite a transaction holds the only write lock from its
//! first write to its commit, so ids are handed out in commit order anyway. On
//! PostgreSQL ids come from a sequence before commit, so two transactions could commit
//! out of id order and a reader at `id > last` would skip the slower one for good; an
//! advisory lock taken just before the insert and held to commit rules that out. It is
//! the last lock a change takes, so it cannot close a cycle with row locks, and it is
//! held only for the insert and the commit.

pub mod feed;
pub mod follow;

use chrono::{DateTime, Duration, Utc};
use entity::enums::NominationEventKind;
use entity::{nomination, nomination_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::{json, Value};

use crate::auth::Viewer;
use crate::error::{ServiceError, ServiceResult};
use crate::service::access::NominationRule;
use crate::service::page::{Cursor, CursorKeys, KeyValue};

/// The PostgreSQL channel on which a committed event is announced.
pub const CHANNEL: &str = "fellowship_nomination_events";

/// The advisory lock that orders outbox inserts by commit (an arbitrary constant).
pub(crate) const OUTBOX_LOCK: i64 = 0x6665_6c6c_6f77_0001;

/// An event's cursor: its time and id.
const CURSOR_SCOPE: &str = "nominationEvents/occurredAt";
/// A position's cursor (`nominationEventsCursor`): when it was read, and the newest
/// event id the reader could see then.
const POSITION_SCOPE: &str = "nominationEventPosition/occurredAt";

/// One committed change of a nomination, with the nomination as it was right after.
#[derive(Debug, Clone, PartialEq)]
pub struct NominationEvent {
    /// The outbox row's ID; events are delivered in ID order, which is commit order.
    pub id: i64,
    /// What happened: submitted, endorsed, review started, accepted, declined or withdrawn.
    pub kind: NominationEventKind,
    /// When the change was made, by the clock of the replica that made it.
    pub occurred_at: DateTime<Utc>,
    /// The person who made the change. Every change written by [`append`] names one; the
    /// column allows `None`.
    pub actor_person_id: Option<i64>,
    /// The nomination as it was right after the change, with the nominee's e-mail taken
    /// from the current row; show the e-mail only where
    /// [`crate::service::access::can_read_nominee_email`] allows.
    pub nomination: nomination::Model,
}

impl NominationEvent {
    /// The opaque position of this event, to resume after it, signed with `keys` like
    /// every cursor (see [`crate::service::page`]).
    pub fn cursor(&self, keys: &CursorKeys) -> String {
        cursor_of(keys, self.id, self.occurred_at)
    }
}

/// Who may follow which events: staff every nomination's, a nominator their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff: the events of every nomination.
    Everything,
    /// A fellow: the events of the nominations this person submitted.
    NominatedBy(i64),
}

impl Audience {
    /// The audience of a viewer, or why they may not subscribe at all: staff hear of
    /// every nomination, a fellow of the nominations they submitted. Anonymous callers,
    /// partners (whatever their scopes) and a fellow token that names no known person
    /// are `Forbidden`.
    pub fn of(viewer: &Viewer) -> ServiceResult<Audience> {
        match viewer {
            Viewer::Staff(_) => Ok(Audience::Everything),
            Viewer::Fellow(user) => user.person_id.map(Audience::NominatedBy).ok_or_else(|| {
                ServiceError::Forbidden("Your token names no person known to this service.".into())
            }),
            Viewer::Anonymous => Err(ServiceError::Forbidden(
                "Nomination events are for staff and nominators; sign in with a bearer token."
                    .into(),
            )),
            Viewer::Partner(_) => Err(ServiceError::Forbidden(
                "Nomination events are for staff and nominators, not partner tokens.".into(),
            )),
        }
    }

    /// The nominations whose events the audience hears of, as the access policy words it.
    fn rule(self) -> NominationRule {
        match self {
            Audience::Everything => NominationRule::Every,
            Audience::NominatedBy(person) => NominationRule::NominatedBy(person),
        }
    }

    /// Whether this audience hears of `event`.
    pub fn sees(self, event: &NominationEvent) -> bool {
        self.rule().admits(&event.nomination)
    }

    /// The same rule as a condition on `nominations`; `None` when it admits every
    /// nomination, so that a query need not join them.
    fn condition(self) -> Option<Condition> {
        match self.rule() {
            NominationRule::Every => None,
            rule => Some(rule.condition()),
        }
    }
}

/// What a subscriber asked to see.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only the events of this nomination; `None` for those of every nomination.
    pub nomination_id: Option<i64>,
    /// Only these kinds; empty means all.
    pub kinds: Vec<NominationEventKind>,
}

impl EventFilter {
    /// Whether `event` passes the filter; who may hear of it is [`Audience::sees`].
    pub fn matches(&self, event: &NominationEvent) -> bool {
        self.nomination_id
            .is_none_or(|id| event.nomination.id == id)
            && (self.kinds.is_empty() || self.kinds.contains(&event.kind))
    }

    /// Refuses a filter on one nomination that `audience` could never hear of, rather
    /// than leave the subscriber waiting forever. Someone else's nomination and one
    /// that does not exist get the same answer, `NotFound`.
    pub async fn check(&self, db: &DatabaseConnection, audience: Audience) -> ServiceResult<()> {
        let Some(id) = self.nomination_id else {
            return Ok(());
        };
        let mut found = nomination::Entity::find_by_id(id)
            .select_only()
            .column(nomination::Column::Id);
        if let Some(condition) = audience.condition() {
            found = found.filter(condition);
        }
        let visible = found.into_tuple::<i64>().one(db).await?.is_some();
        if visible {
            Ok(())
        } else {
            Err(ServiceError::NotFound(
                "`filter.nominationId` names no nomination whose events you may follow.".into(),
            ))
        }
    }
}

/// The id after which a resumed subscription starts, from its cursor (an event's, or a
/// position from [`current_cursor`]). A cursor this server did not sign, or that
/// predates the retention, is `InvalidInput` on `filter.after`. A cursor that
/// may point before events already pruned is refused rather than answered with a
/// silent gap: an event's cursor once its event is gone (pruning removes a prefix of
/// ids, so every later event is still there while it is), a position's once it is
/// older than the retention (the events its reader could not yet see all came later,
/// so they are younger than it).
pub async fn resume_point(
    db: &DatabaseConnection,
    keys: &CursorKeys,
    cursor: &str,
    retention: std::time::Duration,
) -> ServiceResult<i64> {
    let (id, of_event) = decode_resume_cursor(keys, cursor, retention)?;
    if of_event
        && nomination_event::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_none()
    {
        return Err(too_old(retention));
    }
    Ok(id)
}

/// Where the events `audience` sees stand now: a position after the newest of them,
/// good for the whole retention from now. A client that reads it before loading
/// nominations and then subscribes after it misses no change made in between.
pub async fn current_cursor(
    db: &DatabaseConnection,
    keys: &CursorKeys,
    audience: Audience,
) -> ServiceResult<String> {
    let newest = latest_id(db, audience).await?;
    Ok(keys.encode(
        POSITION_SCOPE,
        &Cursor::new(KeyValue::Int(Utc::now().timestamp()), newest),
    ))
}

fn cursor_of(keys: &CursorKeys, id: i64, occurred_at: DateTime<Utc>) -> String {
    keys.encode(
        CURSOR_SCOPE,
        &Cursor::new(KeyValue::Int(occurred_at.timestamp()), id),
    )
}

/// The oldest moment whose events are still kept.
fn kept_since(retention: std::time::Duration) -> DateTime<Utc> {
    Duration::from_std(retention)
        .ok()
        .and_then(|retention| Utc::now().checked_sub_signed(retention))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn too_old(retention: std::time::Duration) -> ServiceError {
    ServiceError::invalid(
        "filter.after",
        format!(
            "Events are kept for {} hours and some after this cursor may be gone; read \
             `nominationEventsCursor` and the nominations again, then subscribe after it.",
            retention.as_secs() / 3600
        ),
    )
}

/// The id a cursor points after, and whether it is an event's (rather than a
/// position's); refused when it is older than the retention.
fn decode_resume_cursor(
    keys: &CursorKeys,
    cursor: &str,
    retention: std::time::Duration,
) -> ServiceResult<(i64, bool)> {
    let (decoded, of_event) = match keys.decode(CURSOR_SCOPE, cursor, "filter.after") {
        Ok(decoded) => (decoded, true),
        Err(refused) => match keys.decode(POSITION_SCOPE, cursor, "filter.after") {
            Ok(decoded) => (decoded, false),
            Err(_) => return Err(refused),
        },
    };
    let Some(KeyValue::Int(stamped_at)) = decoded.key else {
        return Err(ServiceError::invalid(
            "filter.after",
            "`filter.after` is not a cursor this subscription issued.",
        ));
    };
    if stamped_at < kept_since(retention).timestamp() {
        return Err(too_old(retention));
    }
    Ok((decoded.id, of_event))
}

/// What the outbox keeps of the nomination: everything but the nominee's e-mail, which
/// never changes and is read from the nomination itself.
pub(crate) fn payload(after: &nomination::Model) -> ServiceResult<Value> {
    let mut nomination = serde_json::to_value(after)
        .map_err(|err| ServiceError::Internal(anyhow::anyhow!("nomination snapshot: {err}")))?;
    if let Some(fields) = nomination.as_object_mut() {
        fields.remove("nominee_email");
    }
    Ok(json!({ "nomination": nomination }))
}

/// Writes the event of a change inside the change's transaction, as its last write.
pub async fn append(
    txn: &DatabaseTransaction,
    kind: NominationEventKind,
    actor_person_id: i64,
    after: &nomination::Model,
) -> ServiceResult<()> {
    let event = nomination_event::ActiveModel {
        nomination_id: Set(after.id),
        kind: Set(kind),
        actor_person_id: Set(Some(actor_person_id)),
        occurred_at: Set(Utc::now()),
        payload: Set(Some(payload(after)?)),
        ..Default::default()
    };
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        // SQLite has one writer at a time: ids are taken in commit order by themselves.
        event.insert(txn).await?;
        return Ok(());
    }
    // One statement: the outbox lock first (the subquery yields its row only once the
    // lock is held, and the id is drawn after that), so that events commit in id order
    // and a follower that has seen id n never later finds a smaller one; then the row;
    // then the notice, which listeners receive only if and when the transaction commits.
    let values = |column: nomination_event::Column| event.get(column).into_value();
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "INSERT INTO nomination_events (nomination_id, kind, actor_person_id, occurred_at, payload) \
         SELECT $1, $2, $3, $4, $5 FROM (SELECT pg_advisory_xact_lock($6)) AS serialised \
         RETURNING id, pg_notify($7, id::text)",
        [
            values(nomination_event::Column::NominationId),
            values(nomination_event::Column::Kind),
            values(nomination_event::Column::ActorPersonId),
            values(nomination_event::Column::OccurredAt),
            values(nomination_event::Column::Payload),
            Some(OUTBOX_LOCK.into()),
            Some(CHANNEL.into()),
        ]
        .into_iter()
        .map(|value| value.ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("an event column was not set"))))
        .collect::<ServiceResult<Vec<_>>>()?,
    );
    txn.execute_raw(statement).await?;
    Ok(())
}

/// The nomination as event `event_id` recorded it: its stored snapshot, with the
/// nominee's e-mail (which never changes and is not kept in the outbox) from the current
/// row. Every event carries a full snapshot (the migration
/// `m20261202_000002_full_event_snapshots` rewrote the older, partial ones), so one
/// without is a fault, reported as such rather than papered over with today's row.
fn as_recorded(
    event_id: i64,
    current: &nomination::Model,
    payload: Option<&Value>,
) -> ServiceResult<nomination::Model> {
    let unreadable = |why: &dyn std::fmt::Display| {
        ServiceError::Internal(anyhow::anyhow!(
            "nomination event {event_id} holds no readable snapshot: {why}"
        ))
    };
    let Some(Value::Object(stored)) = payload else {
        return Err(unreadable(&"the payload is not an object"));
    };
    let Some(Value::Object(snapshot)) = stored.get("nomination") else {
        return Err(unreadable(&"no `nomination` object"));
    };
    let mut fields = snapshot.clone();
    fields.insert(
        "nominee_email".to_owned(),
        Value::String(current.nominee_email.clone()),
    );
    serde_json::from_value(Value::Object(fields)).map_err(|err| unreadable(&err))
}

/// Events after `after`, oldest first, at most `limit`, seen by `audience`.
pub async fn read_after(
    db: &DatabaseConnection,
    after: i64,
    audience: Audience,
    filter: &EventFilter,
    limit: u64,
) -> ServiceResult<Vec<NominationEvent>> {
    let mut query = nomination_event::Entity::find()
        .find_also_related(nomination::Entity)
        .filter(nomination_event::Column::Id.gt(after));
    if let Some(condition) = audience.condition() {
        query = query.filter(condition);
    }
    if let Some(id) = filter.nomination_id {
        query = query.filter(nomination_event::Column::NominationId.eq(id));
    }
    if !filter.kinds.is_empty() {
        query = query.filter(nomination_event::Column::Kind.is_in(filter.kinds.clone()));
    }
    let rows = query
        .order_by_asc(nomination_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(event, nomination)| {
            let current = nomination.ok_or_else(|| {
                ServiceError::Internal(anyhow::anyhow!(
                    "event {} names a missing nomination",
                    event.id
                ))
            })?;
            Ok(NominationEvent {
                id: event.id,
                kind: event.kind,
                occurred_at: event.occurred_at,
                actor_person_id: event.actor_person_id,
                nomination: as_recorded(event.id, &current, event.payload.as_ref())?,
            })
        })
        .collect()
}

/// The id of the newest event `audience` sees, or 0 (before every event) when there is
/// none.
pub async fn latest_id(db: &DatabaseConnection, audience: Audience) -> ServiceResult<i64> {
    let mut query = nomination_event::Entity::find()
        .select_only()
        .column(nomination_event::Column::Id);
    if let Some(condition) = audience.condition() {
        query = query.inner_join(nomination::Entity).filter(condition);
    }
    Ok(query
        .order_by_desc(nomination_event::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0))
}

/// Deletes events older than the retention; returns how many. What goes is always
/// everything up to some id, never an event with an older one left behind it (replicas'
/// clocks may disagree a little about `occurred_at`), so a cursor whose event is still
/// there has every event after it there too.
pub async fn prune(db: &DatabaseConnection, retention: std::time::Duration) -> ServiceResult<u64> {
    let newest_expired = nomination_event::Entity::find()
        .select_only()
        .column(nomination_event::Column::Id)
        .filter(nomination_event::Column::OccurredAt.lt(kept_since(retention)))
        .order_by_desc(nomination_event::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let Some(newest_expired) = newest_expired else {
        return Ok(0);
    };
    Ok(nomination_event::Entity::delete_many()
        .filter(nomination_event::Column::Id.lte(newest_expired))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::enums::NominationStatus;

    fn keys() -> CursorKeys {
        CursorKeys::new(b"a test secret of thirty-two bytes", None)
    }

    fn nomination() -> nomination::Model {
        let at = Utc::now();
        nomination::Model {
            id: 4,
            nominee_name: "Ada".into(),
            nominee_handle: "ada".into(),
            // Never serialized, so an event's snapshot comes back without it.
            nominee_handle_folded: String::new(),
            nominee_email: "ada@example.org".into(),
            rationale: "Because".into(),
            support_requested: None,
            links: json!([]),
            status: NominationStatus::Declined,
            nominator_person_id: 7,
            reviewer_person_id: Some(2),
            review_started_at: Some(at),
            decided_by_person_id: Some(2),
            decided_at: Some(at),
            decision_note: Some("Not now".into()),
            withdrawn_at: None,
            version: 5,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_snapshot_gives_back_the_nomination_as_it_was_without_storing_the_email() {
        let mut then = nomination();
        then.status = NominationStatus::Submitted;
        then.version = 1;
        then.reviewer_person_id = None;
        let stored = payload(&then).unwrap();
        assert!(!stored.to_string().contains("ada@example.org"));
        assert_eq!(as_recorded(1, &nomination(), Some(&stored)).unwrap(), then);
    }

    #[test]
    fn an_event_without_a_full_snapshot_is_a_fault_not_the_current_row() {
        for stored in [
            None,
            Some(json!({ "status": "UNDER_REVIEW", "version": 3, "decisionNote": null })),
            Some(json!({ "nomination": { "status": "UNDER_REVIEW" } })),
        ] {
            let read = as_recorded(7, &nomination(), stored.as_ref());
            assert!(
                matches!(&read, Err(ServiceError::Internal(err)) if err.to_string().contains("event 7")),
                "{stored:?} gave {read:?}"
            );
        }
    }

    #[test]
    fn cursors_round_trip_and_expire_with_the_retention() {
        let event = NominationEvent {
            id: 42,
            kind: NominationEventKind::Submitted,
            occurred_at: Utc::now(),
            actor_person_id: Some(1),
            nomination: nomination(),
        };
        let week = std::time::Duration::from_secs(7 * 86_400);
        assert_eq!(
            decode_resume_cursor(&keys(), &event.cursor(&keys()), week).unwrap(),
            (42, true)
        );
        let old = NominationEvent {
            occurred_at: Utc::now() - Duration::days(8),
            ..event
        };
        assert!(decode_resume_cursor(&keys(), &old.cursor(&keys()), week).is_err());
        assert!(decode_resume_cursor(&keys(), "bm90IGEgY3Vyc29y", week).is_err());
    }

    #[test]
    fn a_position_lasts_the_retention_from_when_it_was_read() {
        let position = |at: DateTime<Utc>| {
            keys().encode(
                POSITION_SCOPE,
                &Cursor::new(KeyValue::Int(at.timestamp()), 5),
            )
        };
        let week = std::time::Duration::from_secs(7 * 86_400);
        assert_eq!(
            decode_resume_cursor(&keys(), &position(Utc::now()), week).unwrap(),
            (5, false)
        );
        assert!(
            decode_resume_cursor(&keys(), &position(Utc::now() - Duration::days(8)), week).is_err()
        );
    }

    #[test]
    fn nominators_see_their_own_nominations_only() {
        let event = NominationEvent {
            id: 1,
            kind: NominationEventKind::Submitted,
            occurred_at: Utc::now(),
            actor_person_id: Some(7),
            nomination: nomination(),
        };
        assert!(Audience::Everything.sees(&event));
        assert!(Audience::NominatedBy(7).sees(&event));
        assert!(!Audience::NominatedBy(8).sees(&event));
    }
}
