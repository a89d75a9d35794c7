//! The nomination workflow: submit, endorse, withdraw, start review, decide.
//!
//! `SUBMITTED -> UNDER_REVIEW -> ACCEPTED | DECLINED`, and
//! `SUBMITTED | UNDER_REVIEW -> WITHDRAWN`; nothing else. Staff and active fellows
//! nominate and endorse; nobody nominates or endorses themselves; only the nominator
//! withdraws; only staff review and decide, and nobody decides a nomination they
//! submitted or endorsed; a decision always carries a note; an active fellow cannot be
//! nominated; a nominee has at most one open nomination.
//!
//! Concurrency: every change is one transaction that begins with a guarded `UPDATE`
//! (`WHERE id = ? AND version = ? AND status IN (...)`) or an `INSERT` guarded by a
//! unique index. The first statement takes the write lock, so on SQLite concurrent
//! writers queue instead of failing on a stale snapshot, and on PostgreSQL the row lock
//! serialises them; exactly one of many racing changes matches, the others get
//! `CONFLICT`. Endorsements bump the version too, so a decision is always taken on the
//! nomination as its decider last saw it. The change, its outbox event and its audit
//! record commit together or not at all.

use chrono::Utc;
use entity::enums::{AccountRole, FellowStatus, NominationEventKind, NominationStatus};
use entity::{
    account, endorsement, fellow, fellow_strategic_area, nomination, nomination_strategic_area,
    person, strategic_area,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::{json, Value};

use crate::auth::Viewer;
use crate::domain::{Email, Handle, Line, LinkInput, Links, Note, Prose};
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::idempotency::{self, Claim};
use crate::service::nomination_events;
use crate::service::search;
use crate::service::versioned;
use crate::service::webhooks;

/// A nomination as its nominator sends it. It is serialized only to fingerprint the
/// request for an idempotent retry.
#[derive(serde::Serialize)]
pub struct Submission {
    /// The nominee's name: one line, 1 to 200 characters.
    pub nominee_name: String,
    /// The nominee's hub handle, kept as typed; compared ignoring case with the
    /// nominator's, the active fellows' and the open nominations' nominees.
    pub nominee_handle: String,
    /// A private contact address, shown only to staff and the nominator.
    pub nominee_email: String,
    /// How the nominee advanced open-source ML: 1 to 5,000 characters.
    pub rationale: String,
    /// What support would make the nominee more impactful: up to 2,000 characters;
    /// `None` or blank for none.
    pub support_requested: Option<String>,
    /// Slugs of the strategic areas the nomination concerns, case ignored, none archived;
    /// repeats count once, and the list may be empty.
    pub strategic_area_slugs: Vec<String>,
    /// At most 10 labelled http(s) links about the nominee.
    pub links: Vec<LinkInput>,
}

/// A staff member's decision on a nomination under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The nominee becomes an active fellow.
    Accept,
    /// The nomination closes; nothing else changes.
    Decline,
}

/// What a decision produced.
pub struct Decided {
    /// The nomination, now `ACCEPTED` or `DECLINED`.
    pub nomination: nomination::Model,
    /// The fellow an acceptance created (or made active again).
    pub fellow: Option<fellow::Model>,
}

/// The person acting for a nominating or endorsing member: staff, or an active fellow.
async fn acting_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    what: &str,
) -> ServiceResult<person::Model> {
    let (user, must_be_fellow) = match viewer {
        Viewer::Staff(user) => (user, false),
        Viewer::Fellow(user) => (user, true),
        _ => {
            return Err(ServiceError::Forbidden(format!(
                "Only staff and active fellows may {what}."
            )))
        }
    };
    let person = match user.person_id {
        Some(id) => person::Entity::find_by_id(id).one(db).await?,
        None => None,
    }
    .ok_or_else(|| {
        ServiceError::Forbidden("Your token names no person known to this service.".into())
    })?;
    if must_be_fellow {
        let active = fellow::Entity::find()
            .filter(fellow::Column::PersonId.eq(person.id))
            .filter(fellow::Column::Status.eq(FellowStatus::Active))
            .one(db)
            .await?
            .is_some();
        if !active {
            return Err(ServiceError::Forbidden(format!(
                "Only staff and active fellows may {what}."
            )));
        }
    }
    Ok(person)
}

async fn staff_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    what: &str,
) -> ServiceResult<person::Model> {
    access::require_staff(viewer, what)?;
    acting_member(db, viewer, what).await
}

fn no_such_nomination() -> ServiceError {
    ServiceError::missing("input.nominationId", "No nomination has this ID.")
}

async fn find(db: &impl ConnectionTrait, id: i64) -> ServiceResult<nomination::Model> {
    nomination::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(no_such_nomination)
}

/// The nomination a caller's input names, answered as missing when the caller may not
/// read it (`access::Reach`), so that a change refused never tells whether it exists.
async fn find_for(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<nomination::Model> {
    let found = nomination::Entity::find_by_id(id).one(db).await?;
    access::visible(found, |n| access::can_read_nomination(viewer, n))
        .ok_or_else(no_such_nomination)
}

async fn open_nomination_for(
    db: &impl ConnectionTrait,
    handle: &str,
) -> ServiceResult<Option<nomination::Model>> {
    Ok(nomination::Entity::find()
        .filter(search::equals_ignoring_case(
            Expr::col(nomination::Column::NomineeHandleFolded),
            handle,
        ))
        // The open statuses as literals, not parameters: they are the predicate of the
        // partial unique index on the nominee, which a generic plan can only use when
        // it sees them (with parameters it scanned every nomination).
        .filter(Expr::col(nomination::Column::Status).is_in(
            NominationStatus::OPEN.map(|status| Expr::cust(format!("'{}'", status.as_str()))),
        ))
        .one(db)
        .await?)
}

fn already_open(open: &nomination::Model) -> ServiceError {
    ServiceError::AlreadyNominated {
        nominee_handle: open.nominee_handle.clone(),
        nomination_id: open.id,
    }
}

/// The nomination as the audit log keeps it (no contact details).
fn snapshot(n: &nomination::Model) -> Value {
    json!({
        "nomineeName": n.nominee_name,
        "nomineeHandle": n.nominee_handle,
        "status": n.status,
        "version": n.version,
        "nominatorPersonId": n.nominator_person_id,
        "reviewerPersonId": n.reviewer_person_id,
        "decidedByPersonId": n.decided_by_person_id,
        "decisionNote": n.decision_note,
    })
}

/// Writes the audit record and the outbox event of a change, inside its transaction;
/// the event goes last (see `nomination_events` on why its lock must be the last).
async fn record(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    actor: &person::Model,
    kind: NominationEventKind,
    before: Option<&nomination::Model>,
    after: &nomination::Model,
) -> ServiceResult<()> {
    let action = match kind {
        NominationEventKind::Submitted => "nomination.submit",
        NominationEventKind::Endorsed => "nomination.endorse",
        NominationEventKind::ReviewStarted => "nomination.startReview",
        NominationEventKind::Accepted | NominationEventKind::Declined => "nomination.decide",
        NominationEventKind::Withdrawn => "nomination.withdraw",
    };
    audit::record(
        txn,
        viewer,
        Change {
            action,
            object_type: "Nomination",
            object_id: after.id,
            before: before.map(snapshot),
            after: Some(snapshot(after)),
        },
    )
    .await?;
    nomination_events::append(txn, kind, actor.id, after).await?;
    webhooks::outbox::record(
        txn,
        webhooks::EventType::of_nomination(kind),
        nomination_events::payload(after)?,
    )
    .await
}

/// The nomination an earlier request with the same idempotency key created.
async fn replay(
    db: &DatabaseConnection,
    claim: Option<&Claim>,
) -> ServiceResult<Option<nomination::Model>> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    match idempotency::recall(db, claim).await? {
        Some(response) => Ok(Some(
            find(db, idempotency::remembered_id(&response)?).await?,
        )),
        None => Ok(None),
    }
}

/// Submits a nomination. Staff and active fellows only: anyone else is `Forbidden`, as
/// is a token that names no known person. With an idempotency `claim`, a retry with the
/// same key and input returns the nomination the first request created; the same key
/// with other input is `Conflict`.
///
/// Refuses a field that does not parse with `InvalidInput` naming it; nominating
/// oneself with `NotPermitted` on `input.nomineeHandle`; a slug no strategic area has
/// with `Missing`, and an archived area with `InvalidInput`, on
/// `input.strategicAreaSlugs.N`; a nominee who is an active fellow with `Conflict`; and
/// a nominee who already has an open nomination with `AlreadyNominated`, which names
/// that nomination for the caller to endorse instead (also when a concurrent
/// submission for the nominee wins the race on the unique index).
///
/// Writes, in one transaction, the nomination (`SUBMITTED`, version 1), its links to
/// the strategic areas, the idempotency record, a `nomination.submit` audit record
/// (without the nominee's e-mail) and a `Submitted` outbox event.
pub async fn submit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    s: Submission,
    claim: Option<Claim>,
) -> ServiceResult<nomination::Model> {
    let nominator = acting_member(db, viewer, "nominate").await?;
    if let Some(first) = replay(db, claim.as_ref()).await? {
        return Ok(first);
    }
    let nominee_name = Line::parse("input.nomineeName", &s.nominee_name)?;
    let nominee_handle = Handle::parse("input.nomineeHandle", &s.nominee_handle)?;
    let nominee_email = Email::parse("input.nomineeEmail", &s.nominee_email)?;
    let rationale = Prose::parse("input.rationale", &s.rationale)?;
    let support_requested =
        Note::optional("input.supportRequested", s.support_requested.as_deref())?;
    let links = Links::parse("input.links", &s.links)?;
    if nominator
        .handle
        .as_deref()
        .is_some_and(|h| nominee_handle.is(h))
    {
        return Err(ServiceError::not_permitted(
            Some("input.nomineeHandle"),
            "Nobody nominates themselves.",
        ));
    }
    let mut area_ids = Vec::new();
    for (i, slug) in s.strategic_area_slugs.iter().enumerate() {
        let field = format!("input.strategicAreaSlugs.{i}");
        let area = strategic_area::Entity::find()
            .filter(search::equals_ignoring_case(
                Expr::col(strategic_area::Column::SlugFolded),
                slug,
            ))
            .one(db)
            .await?
            .ok_or_else(|| {
                ServiceError::missing(&field, format!("No strategic area has the slug `{slug}`."))
            })?;
        if area.archived_at.is_some() {
            return Err(ServiceError::invalid(
                field,
                format!("The strategic area `{slug}` is archived."),
            ));
        }
        if !area_ids.contains(&area.id) {
            area_ids.push(area.id);
        }
    }
    let nominee_is_active_fellow = fellow::Entity::find()
        .inner_join(person::Entity)
        .filter(search::equals_ignoring_case(
            Expr::col((person::Entity, person::Column::HandleFolded)),
            &nominee_handle,
        ))
        .filter(fellow::Column::Status.eq(FellowStatus::Active))
        .one(db)
        .await?
        .is_some();
    if nominee_is_active_fellow {
        return Err(ServiceError::Conflict(format!(
            "`{nominee_handle}` is already an active fellow."
        )));
    }
    if let Some(open) = open_nomination_for(db, &nominee_handle).await? {
        // The open one may be this very request's, committed by a retry that raced it
        // (the nomination and its idempotency record commit together).
        if let Some(first) = replay(db, claim.as_ref()).await? {
            return Ok(first);
        }
        return Err(already_open(&open));
    }

    let txn = db.begin().await?;
    let inserted = nomination::ActiveModel {
        nominee_name: Set(nominee_name.into()),
        nominee_handle: Set(nominee_handle.to_string()),
        nominee_email: Set(nominee_email.into()),
        rationale: Set(rationale.into()),
        support_requested: Set(support_requested.map(Into::into)),
        links: Set(links.to_json()),
        status: Set(NominationStatus::Submitted),
        nominator_person_id: Set(nominator.id),
        reviewer_person_id: Set(None),
        review_started_at: Set(None),
        decided_by_person_id: Set(None),
        decided_at: Set(None),
        decision_note: Set(None),
        withdrawn_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let nomination = match inserted {
        Ok(n) => n,
        Err(err) if ServiceError::is_unique_violation(&err) => {
            // Another submission for this nominee won the race: perhaps this very
            // request, sent twice with one key.
            txn.rollback().await?;
            if let Some(first) = replay(db, claim.as_ref()).await? {
                return Ok(first);
            }
            return Err(match open_nomination_for(db, &nominee_handle).await? {
                Some(open) => already_open(&open),
                None => ServiceError::Conflict(
                    "Another nomination for this nominee was just submitted.".into(),
                ),
            });
        }
        Err(err) => return Err(err.into()),
    };
    for area_id in area_ids {
        nomination_strategic_area::ActiveModel {
            nomination_id: Set(nomination.id),
            strategic_area_id: Set(area_id),
        }
        .insert(&txn)
        .await?;
    }
    if let Some(claim) = &claim {
        if let Err(err) = idempotency::remember(&txn, claim, json!({ "id": nomination.id })).await {
            txn.rollback().await?;
            if ServiceError::is_unique_violation(&err) {
                if let Some(first) = replay(db, Some(claim)).await? {
                    return Ok(first);
                }
            }
            return Err(err.into());
        }
    }
    record(
        &txn,
        viewer,
        &nominator,
        NominationEventKind::Submitted,
        None,
        &nomination,
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(nomination)
}

/// Applies a guarded change as the transaction's first statement; `None` when the
/// nomination was not in `from` at `expected_version` (someone changed it first).
async fn guarded_update(
    txn: &DatabaseTransaction,
    id: i64,
    expected_version: Option<i32>,
    from: &[NominationStatus],
    set: impl FnOnce(sea_orm::UpdateMany<nomination::Entity>) -> sea_orm::UpdateMany<nomination::Entity>,
) -> ServiceResult<Option<nomination::Model>> {
    let update = versioned::bump::<nomination::Entity>(id, expected_version)
        .filter(nomination::Column::Status.is_in(from.iter().copied()));
    Ok(versioned::apply(set(update), txn).await?)
}

/// Why a guarded change matched nothing, read after the fact.
async fn conflict(
    db: &DatabaseConnection,
    id: i64,
    expected_version: Option<i32>,
    action: &str,
) -> ServiceError {
    match find(db, id).await {
        Ok(current) => match expected_version {
            Some(v) if v != current.version => {
                versioned::stale::<nomination::Entity>(v, current.version)
            }
            // The status as the API spells it (`UNDER_REVIEW`), not as Rust does.
            _ => ServiceError::Conflict(format!(
                "A nomination that is {} cannot be {action}.",
                current.status.as_str()
            )),
        },
        Err(err) => err,
    }
}

/// Endorses an open nomination, with an optional comment of up to 2,000 characters.
/// Staff and active fellows only (`Forbidden` otherwise, as for [`submit`]). A
/// nomination the caller may not read (a fellow reads the open ones and their own) is
/// `Missing` on `input.nominationId`, as an unknown one is. The nominee endorsing their
/// own nomination, and its nominator endorsing it, are `NotPermitted`; a nomination no
/// longer open, and a second endorsement by the same person, are `Conflict`. Takes no
/// expected version. Writes the endorsement, bumps the nomination's version (so that a
/// decision taken on an older version fails), and writes a `nomination.endorse` audit
/// record and an `Endorsed` outbox event, in one transaction.
pub async fn endorse(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    comment: Option<String>,
) -> ServiceResult<nomination::Model> {
    let endorser = acting_member(db, viewer, "endorse nominations").await?;
    let comment = Note::optional("input.comment", comment.as_deref())?;
    let current = find_for(db, viewer, id).await?;
    let own = endorser
        .handle
        .as_deref()
        .is_some_and(|h| h.eq_ignore_ascii_case(&current.nominee_handle));
    if own {
        return Err(ServiceError::not_permitted(
            None,
            "Nobody endorses their own nomination.",
        ));
    }
    if current.nominator_person_id == endorser.id {
        return Err(ServiceError::not_permitted(
            None,
            "The nominator already backs this nomination.",
        ));
    }
    let txn = db.begin().await?;
    let Some(updated) = guarded_update(&txn, id, None, &NominationStatus::OPEN, |u| u).await?
    else {
        txn.rollback().await?;
        return Err(conflict(db, id, None, "endorsed").await);
    };
    let inserted = endorsement::ActiveModel {
        nomination_id: Set(id),
        endorser_person_id: Set(endorser.id),
        comment: Set(comment.map(Into::into)),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(err) if ServiceError::is_unique_violation(&err) => {
            txn.rollback().await?;
            return Err(ServiceError::Conflict(
                "You have already endorsed this nomination.".into(),
            ));
        }
        Err(err) => return Err(err.into()),
    }
    record(
        &txn,
        viewer,
        &endorser,
        NominationEventKind::Endorsed,
        Some(&current),
        &updated,
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// Withdraws an open nomination; only its nominator may. A caller whose token names no
/// person (anonymous, a partner) is `Forbidden`; a nomination the caller may not read,
/// or an unknown one, is `Missing` on `input.nominationId`; someone else's nomination
/// the caller can read is `NotPermitted`. A nomination no longer open is `Conflict`, as
/// is one no longer at `expected_version` (the stale-version answer, naming the current
/// version). Sets `WITHDRAWN` and the time, bumps the version, and writes a
/// `nomination.withdraw` audit record and a `Withdrawn` outbox event, in one
/// transaction.
pub async fn withdraw(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    expected_version: i32,
) -> ServiceResult<nomination::Model> {
    let Some(person_id) = viewer.person_id() else {
        return Err(ServiceError::Forbidden(
            "Only the nominator may withdraw a nomination.".into(),
        ));
    };
    let current = find_for(db, viewer, id).await?;
    if current.nominator_person_id != person_id {
        return Err(ServiceError::not_permitted(
            None,
            "Only the nominator may withdraw a nomination.",
        ));
    }
    let actor = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("viewer's person vanished")))?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let Some(updated) = guarded_update(
        &txn,
        id,
        Some(expected_version),
        &NominationStatus::OPEN,
        |u| {
            u.col_expr(
                nomination::Column::Status,
                Expr::val(NominationStatus::Withdrawn.as_str()),
            )
            .col_expr(nomination::Column::WithdrawnAt, Expr::val(now))
        },
    )
    .await?
    else {
        txn.rollback().await?;
        return Err(conflict(db, id, Some(expected_version), "withdrawn").await);
    };
    record(
        &txn,
        viewer,
        &actor,
        NominationEventKind::Withdrawn,
        Some(&current),
        &updated,
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// Puts a `SUBMITTED` nomination under review, with the caller as its reviewer. Staff
/// only: anyone else is `Forbidden`, as is a staff token that names no known person.
/// An unknown nomination is `Missing` on `input.nominationId`; one that is not
/// `SUBMITTED` is `Conflict`, as is one no longer at `expected_version` (the
/// stale-version answer). It does not check whether the reviewer submitted or endorsed
/// the nomination: that rule binds [`decide`]. Sets `UNDER_REVIEW`, the reviewer and
/// the time, bumps the version, and writes a `nomination.startReview` audit record and
/// a `ReviewStarted` outbox event, in one transaction.
pub async fn start_review(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    expected_version: i32,
) -> ServiceResult<nomination::Model> {
    let reviewer = staff_member(db, viewer, "review nominations").await?;
    let current = find(db, id).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let Some(updated) = guarded_update(
        &txn,
        id,
        Some(expected_version),
        &[NominationStatus::Submitted],
        |u| {
            u.col_expr(
                nomination::Column::Status,
                Expr::val(NominationStatus::UnderReview.as_str()),
            )
            .col_expr(nomination::Column::ReviewerPersonId, Expr::val(reviewer.id))
            .col_expr(nomination::Column::ReviewStartedAt, Expr::val(now))
        },
    )
    .await?
    else {
        txn.rollback().await?;
        return Err(conflict(db, id, Some(expected_version), "put under review").await);
    };
    record(
        &txn,
        viewer,
        &reviewer,
        NominationEventKind::ReviewStarted,
        Some(&current),
        &updated,
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// Accepts or declines a nomination under review, always with a note. Staff only
/// (`Forbidden` otherwise, as for [`start_review`]); the staff member who submitted or
/// endorsed the nomination is `NotPermitted`. A blank note, or one over 2,000
/// characters, is `InvalidInput` on `input.note`; an unknown nomination is `Missing` on
/// `input.nominationId`; one that is not `UNDER_REVIEW` is `Conflict`, as is one no
/// longer at `expected_version` (the stale-version answer).
///
/// Accepting admits the nominee: their person (found by hub handle, case ignored, or
/// created with the nominated name and handle), a `FELLOW` account when the person has
/// no account at all, and their fellow record, naming the nominator and the nomination
/// and joined today: a new one with the nomination's links, or an alumnus made active
/// again. The fellow is linked to the nomination's strategic areas as well. A nominee
/// who is an active fellow by then is `Conflict`, and nothing is written.
///
/// Sets the status, the decider, the time and the note, bumps the version, and writes a
/// `nomination.decide` audit record and an `Accepted` or `Declined` outbox event, all
/// in one transaction with the admission.
pub async fn decide(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    decision: Decision,
    note: &str,
    expected_version: i32,
) -> ServiceResult<Decided> {
    let decider = staff_member(db, viewer, "decide nominations").await?;
    let note = Note::parse("input.note", note)?;
    let current = find(db, id).await?;
    if current.nominator_person_id == decider.id {
        return Err(ServiceError::not_permitted(
            None,
            "Nobody decides a nomination they submitted.",
        ));
    }
    let endorsed = endorsement::Entity::find()
        .filter(endorsement::Column::NominationId.eq(id))
        .filter(endorsement::Column::EndorserPersonId.eq(decider.id))
        .one(db)
        .await?
        .is_some();
    if endorsed {
        return Err(ServiceError::not_permitted(
            None,
            "Nobody decides a nomination they endorsed.",
        ));
    }
    let (status, kind) = match decision {
        Decision::Accept => (NominationStatus::Accepted, NominationEventKind::Accepted),
        Decision::Decline => (NominationStatus::Declined, NominationEventKind::Declined),
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let Some(updated) = guarded_update(
        &txn,
        id,
        Some(expected_version),
        &[NominationStatus::UnderReview],
        |u| {
            u.col_expr(nomination::Column::Status, Expr::val(status.as_str()))
                .col_expr(nomination::Column::DecidedByPersonId, Expr::val(decider.id))
                .col_expr(nomination::Column::DecidedAt, Expr::val(now))
                .col_expr(nomination::Column::DecisionNote, Expr::val(note.as_str()))
        },
    )
    .await?
    else {
        txn.rollback().await?;
        return Err(conflict(db, id, Some(expected_version), "decided").await);
    };
    let fellow = match decision {
        Decision::Accept => Some(admit(&txn, &updated).await?),
        Decision::Decline => None,
    };
    record(&txn, viewer, &decider, kind, Some(&current), &updated).await?;
    if let Some(fellow) = &fellow {
        let person = person::Entity::find_by_id(fellow.person_id)
            .one(&txn)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a fellow without a person")))?;
        webhooks::outbox::record(
            &txn,
            webhooks::EventType::FellowAdmitted,
            json!({ "fellow": audit::snapshot(fellow), "person": audit::snapshot(&person) }),
        )
        .await?;
    }
    crate::db::commit(txn).await?;
    Ok(Decided {
        nomination: updated,
        fellow,
    })
}

/// Makes the nominee a fellow: their person (found by handle or created), a fellow
/// account, the fellow record linked to the nominator and the nomination, and the
/// nomination's strategic areas.
async fn admit(txn: &DatabaseTransaction, n: &nomination::Model) -> ServiceResult<fellow::Model> {
    let now = Utc::now();
    let existing = person::Entity::find()
        .filter(search::equals_ignoring_case(
            Expr::col(person::Column::HandleFolded),
            &n.nominee_handle,
        ))
        .one(txn)
        .await?;
    let person = match existing {
        Some(person) => person,
        None => {
            person::ActiveModel {
                name: Set(n.nominee_name.clone()),
                handle: Set(Some(n.nominee_handle.clone())),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
    };
    let has_account = account::Entity::find()
        .filter(account::Column::PersonId.eq(person.id))
        .one(txn)
        .await?
        .is_some();
    if !has_account {
        account::ActiveModel {
            person_id: Set(person.id),
            role: Set(AccountRole::Fellow),
            disabled_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    let previous = fellow::Entity::find()
        .filter(fellow::Column::PersonId.eq(person.id))
        .one(txn)
        .await?;
    let fellow = match previous {
        Some(f) if f.status == FellowStatus::Active => {
            return Err(ServiceError::Conflict(format!(
                "`{}` is already an active fellow.",
                n.nominee_handle
            )));
        }
        Some(alumnus) => {
            // The alumnus row was read in this transaction, so its version still holds.
            versioned::bump::<fellow::Entity>(alumnus.id, alumnus.version)
                .col_expr(fellow::Column::Status, Expr::val(FellowStatus::Active))
                .col_expr(fellow::Column::JoinedOn, Expr::val(now.date_naive()))
                .col_expr(
                    fellow::Column::NominatedByPersonId,
                    Expr::val(n.nominator_person_id),
                )
                .col_expr(fellow::Column::NominationId, Expr::val(n.id))
                .exec_with_returning(txn)
                .await?
                .pop()
                .ok_or_else(|| {
                    ServiceError::Conflict(format!(
                        "`{}` changed while being admitted; decide the nomination again.",
                        n.nominee_handle
                    ))
                })?
        }
        None => {
            fellow::ActiveModel {
                person_id: Set(person.id),
                headline: Set(None),
                bio: Set(None),
                links: Set(n.links.clone()),
                status: Set(FellowStatus::Active),
                joined_on: Set(now.date_naive()),
                nominated_by_person_id: Set(Some(n.nominator_person_id)),
                nomination_id: Set(Some(n.id)),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
    };
    let areas = nomination_strategic_area::Entity::find()
        .filter(nomination_strategic_area::Column::NominationId.eq(n.id))
        .all(txn)
        .await?;
    let linked: Vec<i64> = fellow_strategic_area::Entity::find()
        .filter(fellow_strategic_area::Column::FellowId.eq(fellow.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| l.strategic_area_id)
        .collect();
    for area in areas
        .into_iter()
        .filter(|a| !linked.contains(&a.strategic_area_id))
    {
        fellow_strategic_area::ActiveModel {
            fellow_id: Set(fellow.id),
            strategic_area_id: Set(area.strategic_area_id),
        }
        .insert(txn)
        .await?;
    }
    Ok(fellow)
}
