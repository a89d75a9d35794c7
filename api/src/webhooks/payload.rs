//! The body receivers get: `{"type", "timestamp", "data"}`, the data in the API's own
//! vocabulary (camelCase names, global IDs that `node(id:)` resolves), rendered from
//! the rows the outbox recorded. Only fields a receiver of that event type may see are
//! written: a nominee's e-mail never is (the outbox does not even hold it).

use entity::{
    board_seat, fellow, foundation_membership, nomination, organization, person, webhook_event,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::error::{ServiceError, ServiceResult};
use crate::graphql::ids::{encode, NodeType};
use crate::service::webhooks::EventType;

fn part<T: DeserializeOwned>(event: &webhook_event::Model, name: &str) -> ServiceResult<T> {
    let value = event.payload.get(name).cloned().ok_or_else(|| {
        ServiceError::Internal(anyhow::anyhow!(
            "webhook event {} holds no `{name}`",
            event.id
        ))
    })?;
    serde_json::from_value(value).map_err(|err| {
        ServiceError::Internal(anyhow::anyhow!(
            "webhook event {}: `{name}` is unreadable: {err}",
            event.id
        ))
    })
}

fn id(node: NodeType, row: i64) -> Value {
    Value::String(encode(node, row).0)
}

fn person_id(row: Option<i64>) -> Value {
    row.map_or(Value::Null, |row| id(NodeType::Person, row))
}

fn nomination(n: &nomination::Model) -> Value {
    json!({
        "id": id(NodeType::Nomination, n.id),
        "status": n.status.as_str(),
        "version": n.version,
        "nomineeName": n.nominee_name,
        "nomineeHandle": n.nominee_handle,
        "rationale": n.rationale,
        "supportRequested": n.support_requested,
        "links": n.links,
        "nominatorId": id(NodeType::Person, n.nominator_person_id),
        "reviewerId": person_id(n.reviewer_person_id),
        "decidedById": person_id(n.decided_by_person_id),
        "decisionNote": n.decision_note,
        "submittedAt": n.created_at,
        "reviewStartedAt": n.review_started_at,
        "decidedAt": n.decided_at,
        "withdrawnAt": n.withdrawn_at,
        "updatedAt": n.updated_at,
    })
}

fn organization(o: &organization::Model) -> Value {
    json!({
        "id": id(NodeType::Organization, o.id),
        "slug": o.slug,
        "name": o.name,
        "kind": o.kind.as_str(),
    })
}

fn person(p: &person::Model) -> Value {
    json!({ "id": id(NodeType::Person, p.id), "name": p.name, "handle": p.handle })
}

fn membership(m: &foundation_membership::Model, member: Value, foundation: Value) -> Value {
    json!({
        "id": id(NodeType::FoundationMembership, m.id),
        "member": member,
        "foundation": foundation,
        "tier": m.tier.as_str(),
        "joinedOn": m.joined_on,
        "endedOn": m.ended_on,
        "announcementUrl": m.announcement_url,
        "version": m.version,
    })
}

/// The `data` of an event.
fn data(event_type: EventType, event: &webhook_event::Model) -> ServiceResult<Value> {
    Ok(match event_type {
        EventType::NominationSubmitted
        | EventType::NominationEndorsed
        | EventType::NominationReviewStarted
        | EventType::NominationAccepted
        | EventType::NominationDeclined
        | EventType::NominationWithdrawn => {
            // The snapshot has no e-mail; the entity wants one, and none is rendered.
            let mut snapshot: Map<String, Value> = part(event, "nomination")?;
            snapshot.insert("nominee_email".into(), Value::String(String::new()));
            let n: nomination::Model =
                serde_json::from_value(Value::Object(snapshot)).map_err(|err| {
                    ServiceError::Internal(anyhow::anyhow!("webhook event {}: {err}", event.id))
                })?;
            json!({ "nomination": nomination(&n) })
        }
        EventType::FellowAdmitted => {
            let f: fellow::Model = part(event, "fellow")?;
            let p: person::Model = part(event, "person")?;
            json!({ "fellow": {
                "id": id(NodeType::Fellow, f.id),
                "handle": p.handle,
                "name": p.name,
                "status": f.status.as_str(),
                "headline": f.headline,
                "joinedOn": f.joined_on,
                "nominatedById": person_id(f.nominated_by_person_id),
                "nominationId": f.nomination_id.map_or(Value::Null, |n| id(NodeType::Nomination, n)),
            }})
        }
        EventType::MembershipRecorded | EventType::MembershipEnded => {
            let m: foundation_membership::Model = part(event, "membership")?;
            let member: organization::Model = part(event, "member")?;
            let foundation: organization::Model = part(event, "foundation")?;
            json!({ "membership": membership(&m, organization(&member), organization(&foundation)) })
        }
        EventType::BoardSeatAppointed => {
            let seat: board_seat::Model = part(event, "board_seat")?;
            let representative: person::Model = part(event, "representative")?;
            json!({ "boardSeat": {
                "id": id(NodeType::BoardSeat, seat.id),
                "membershipId": id(NodeType::FoundationMembership, seat.membership_id),
                "board": seat.board,
                "representative": person(&representative),
                "title": seat.title,
                "since": seat.since,
                "until": seat.until,
            }})
        }
    })
}

/// The JSON body of a delivery of `event`.
pub fn body(event: &webhook_event::Model) -> ServiceResult<String> {
    let event_type = EventType::parse(&event.event_type).ok_or_else(|| {
        ServiceError::Internal(anyhow::anyhow!(
            "webhook event {} has the unknown type {}",
            event.id,
            event.event_type
        ))
    })?;
    let body = json!({
        "type": event_type.name(),
        "timestamp": event.occurred_at,
        "data": data(event_type, event)?,
    });
    Ok(body.to_string())
}
