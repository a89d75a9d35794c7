//! Every outbox event carries the whole nomination as it was.
//!
//! The first outbox rows kept only a nomination's changing fields, in camelCase
//! (`{"status": …, "version": …, "decisionNote": …}`), and readers laid them over the
//! nomination's current row. That silently gave an old event today's times: a
//! `SUBMITTED` event read after the decision showed when the nomination was decided.
//! This migration rewrites each such payload, once, into the snapshot the service writes
//! now (`{"nomination": {…}}`, every field but the nominee's e-mail), rebuilt from what
//! is known exactly:
//!
//! - the fields the old payload kept;
//! - the fields a nomination never changes (nominee, rationale, support, links, who
//!   nominated, when), from its row;
//! - the times, from the nomination's own events: `updated_at` is the event's time, and
//!   `review_started_at`, `decided_at` and `withdrawn_at` are those of the events that
//!   set them, when they came at or before this one.
//!
//! After it, readers accept full snapshots only and treat anything else as the fault it
//! is. Down leaves the rewritten rows as they are: the older reader reads full snapshots
//! too. Runs in one transaction, so a failure rewrites nothing.

use std::collections::BTreeMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::{ChronoDateTimeUtc, Json};
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DbBackend, QueryResult, Statement, TransactionTrait,
};
use serde_json::{Map, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The fields an old payload kept, by their camelCase names, with their names now.
const KEPT: &[(&str, &str)] = &[
    ("nomineeName", "nominee_name"),
    ("nomineeHandle", "nominee_handle"),
    ("status", "status"),
    ("version", "version"),
    ("nominatorPersonId", "nominator_person_id"),
    ("reviewerPersonId", "reviewer_person_id"),
    ("decidedByPersonId", "decided_by_person_id"),
    ("decisionNote", "decision_note"),
];

struct Event {
    id: i64,
    nomination_id: i64,
    kind: String,
    occurred_at: ChronoDateTimeUtc,
    payload: Option<Json>,
}

/// A payload of the old form: an object without the `nomination` snapshot.
fn is_old(payload: Option<&Json>) -> bool {
    !matches!(payload, Some(Value::Object(fields)) if fields.get("nomination").is_some_and(Value::is_object))
}

fn time(at: Option<ChronoDateTimeUtc>) -> Value {
    at.map_or(Value::Null, |at| {
        serde_json::to_value(at).unwrap_or(Value::Null)
    })
}

/// The snapshot of one old event, from the nomination's unchanging fields (`fixed`), the
/// times known at that event, and what the old payload kept.
fn rebuilt(fixed: &Map<String, Value>, event: &Event, times: &Times) -> Value {
    let mut snapshot = fixed.clone();
    if let Some(Value::Object(kept)) = &event.payload {
        for (old, new) in KEPT {
            if let Some(value) = kept.get(*old) {
                snapshot.insert((*new).to_owned(), value.clone());
            }
        }
    }
    snapshot.insert("review_started_at".into(), time(times.review_started_at));
    snapshot.insert("decided_at".into(), time(times.decided_at));
    snapshot.insert("withdrawn_at".into(), time(times.withdrawn_at));
    snapshot.insert("updated_at".into(), time(Some(event.occurred_at)));
    for nullable in [
        "reviewer_person_id",
        "decided_by_person_id",
        "decision_note",
    ] {
        snapshot.entry(nullable).or_insert(Value::Null);
    }
    serde_json::json!({ "nomination": Value::Object(snapshot) })
}

#[derive(Default)]
struct Times {
    review_started_at: Option<ChronoDateTimeUtc>,
    decided_at: Option<ChronoDateTimeUtc>,
    withdrawn_at: Option<ChronoDateTimeUtc>,
}

impl Times {
    fn after(&mut self, event: &Event) {
        match event.kind.as_str() {
            "REVIEW_STARTED" => self.review_started_at = Some(event.occurred_at),
            "ACCEPTED" | "DECLINED" => self.decided_at = Some(event.occurred_at),
            "WITHDRAWN" => self.withdrawn_at = Some(event.occurred_at),
            _ => {}
        }
    }
}

fn event(row: &QueryResult) -> Result<Event, DbErr> {
    Ok(Event {
        id: row.try_get("", "id")?,
        nomination_id: row.try_get("", "nomination_id")?,
        kind: row.try_get("", "kind")?,
        occurred_at: row.try_get("", "occurred_at")?,
        payload: row.try_get("", "payload")?,
    })
}

/// The fields of a nomination that never change, named as its snapshot names them.
async fn unchanging(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    id: i64,
) -> Result<Map<String, Value>, DbErr> {
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id, nominee_name, nominee_handle, rationale, support_requested, links, \
                 nominator_person_id, status, version, created_at FROM nominations WHERE id = {placeholder}"
            ),
            [id.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("nomination event of missing nomination {id}")))?;
    let mut fixed = Map::new();
    fixed.insert("id".into(), Value::from(row.try_get::<i64>("", "id")?));
    for text in ["nominee_name", "nominee_handle", "rationale", "status"] {
        fixed.insert(text.into(), Value::from(row.try_get::<String>("", text)?));
    }
    fixed.insert(
        "support_requested".into(),
        row.try_get::<Option<String>>("", "support_requested")?
            .map_or(Value::Null, Value::from),
    );
    fixed.insert("links".into(), row.try_get::<Json>("", "links")?);
    fixed.insert(
        "nominator_person_id".into(),
        Value::from(row.try_get::<i64>("", "nominator_person_id")?),
    );
    fixed.insert(
        "version".into(),
        Value::from(row.try_get::<i32>("", "version")?),
    );
    fixed.insert(
        "created_at".into(),
        time(Some(row.try_get::<ChronoDateTimeUtc>("", "created_at")?)),
    );
    Ok(fixed)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let txn = db.begin().await?;
        let rows = txn
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, nomination_id, kind, occurred_at, payload FROM nomination_events \
                 ORDER BY nomination_id, id",
            ))
            .await?;
        let mut by_nomination: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
        for row in &rows {
            let event = event(row)?;
            by_nomination
                .entry(event.nomination_id)
                .or_default()
                .push(event);
        }
        let update = if backend == DbBackend::Postgres {
            "UPDATE nomination_events SET payload = $1 WHERE id = $2"
        } else {
            "UPDATE nomination_events SET payload = ? WHERE id = ?"
        };
        for (nomination_id, events) in by_nomination {
            if !events.iter().any(|e| is_old(e.payload.as_ref())) {
                continue;
            }
            let fixed = unchanging(&txn, backend, nomination_id).await?;
            let mut times = Times::default();
            for event in &events {
                times.after(event);
                if is_old(event.payload.as_ref()) {
                    let snapshot = rebuilt(&fixed, event, &times);
                    txn.execute_raw(Statement::from_sql_and_values(
                        backend,
                        update,
                        [snapshot.into(), event.id.into()],
                    ))
                    .await?;
                }
            }
        }
        txn.commit().await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32) -> ChronoDateTimeUtc {
        use chrono::TimeZone;
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 23, hour, 0, 0)
            .unwrap()
    }

    #[test]
    fn an_old_event_gets_the_times_known_when_it_happened_and_its_own_fields() {
        let mut fixed = Map::new();
        fixed.insert("id".into(), Value::from(9));
        fixed.insert("status".into(), Value::from("ACCEPTED"));
        fixed.insert("version".into(), Value::from(4));
        let events = [
            ("SUBMITTED", 9, serde_json::json!({ "status": "SUBMITTED", "version": 1, "reviewerPersonId": null })),
            ("REVIEW_STARTED", 10, serde_json::json!({ "status": "UNDER_REVIEW", "version": 2, "reviewerPersonId": 3 })),
        ]
        .map(|(kind, hour, payload)| Event {
            id: i64::from(hour),
            nomination_id: 9,
            kind: kind.into(),
            occurred_at: at(hour),
            payload: Some(payload),
        });
        let mut times = Times::default();
        times.after(&events[0]);
        let submitted = rebuilt(&fixed, &events[0], &times);
        assert_eq!(submitted["nomination"]["status"], "SUBMITTED");
        assert_eq!(submitted["nomination"]["version"], 1);
        assert_eq!(submitted["nomination"]["review_started_at"], Value::Null);
        assert_eq!(submitted["nomination"]["decided_at"], Value::Null);
        assert_eq!(submitted["nomination"]["updated_at"], time(Some(at(9))));
        times.after(&events[1]);
        let started = rebuilt(&fixed, &events[1], &times);
        assert_eq!(started["nomination"]["status"], "UNDER_REVIEW");
        assert_eq!(started["nomination"]["reviewer_person_id"], 3);
        assert_eq!(
            started["nomination"]["review_started_at"],
            time(Some(at(10)))
        );
        assert!(!is_old(Some(&started)), "the rewritten form is the new one");
        assert!(is_old(events[0].payload.as_ref()));
        assert!(is_old(None));
    }
}
