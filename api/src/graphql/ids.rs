//! Global object IDs: opaque to clients, they name a type and a row.
//!
//! An ID is base64url of `Type:row`, so that `node(id:)` can tell which table to read
//! without a lookup. Clients must treat them as opaque strings; the encoding may change
//! behind a version prefix.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{ServiceError, ServiceResult};

/// Every type that implements `Node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// A fellowship (`fellows`), not the person who holds it.
    Fellow,
    /// Anyone the records mention (`people`).
    Person,
    /// Something a fellow did (`contributions`).
    Contribution,
    /// A strategic area, current or archived (`strategic_areas`).
    StrategicArea,
    /// A company, foundation or other body (`organizations`).
    Organization,
    /// An organization's membership of a foundation (`foundation_memberships`).
    FoundationMembership,
    /// A seat on a foundation's board (`board_seats`).
    BoardSeat,
    /// A nomination (`nominations`); private.
    Nomination,
    /// An endorsement of a nomination (`endorsements`); private with it.
    Endorsement,
    /// A benefit granted to a fellow (`benefit_grants`); private.
    BenefitGrant,
    /// A partner API token (`api_tokens`); staff only.
    ApiToken,
    /// An entry of the audit log (`audit_events`); staff only.
    AuditEvent,
    /// A staff member's or a fellow's sign-in (`accounts`); staff only.
    Account,
    /// A webhook endpoint (`webhook_endpoints`); staff and its owner only.
    WebhookEndpoint,
    /// A webhook delivery (`webhook_deliveries`); with its endpoint.
    WebhookDelivery,
}

impl NodeType {
    const ALL: [NodeType; 15] = [
        NodeType::Fellow,
        NodeType::Person,
        NodeType::Contribution,
        NodeType::StrategicArea,
        NodeType::Organization,
        NodeType::FoundationMembership,
        NodeType::BoardSeat,
        NodeType::Nomination,
        NodeType::Endorsement,
        NodeType::BenefitGrant,
        NodeType::ApiToken,
        NodeType::AuditEvent,
        NodeType::Account,
        NodeType::WebhookEndpoint,
        NodeType::WebhookDelivery,
    ];

    /// The type with this GraphQL name, such as `"Fellow"`; `None` for any other name.
    pub fn from_name(name: &str) -> Option<NodeType> {
        NodeType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The GraphQL type's name, as its IDs carry it.
    pub fn name(self) -> &'static str {
        match self {
            NodeType::Fellow => "Fellow",
            NodeType::Person => "Person",
            NodeType::Contribution => "Contribution",
            NodeType::StrategicArea => "StrategicArea",
            NodeType::Organization => "Organization",
            NodeType::FoundationMembership => "FoundationMembership",
            NodeType::BoardSeat => "BoardSeat",
            NodeType::Nomination => "Nomination",
            NodeType::Endorsement => "Endorsement",
            NodeType::BenefitGrant => "BenefitGrant",
            NodeType::ApiToken => "ApiToken",
            NodeType::AuditEvent => "AuditEvent",
            NodeType::Account => "Account",
            NodeType::WebhookEndpoint => "WebhookEndpoint",
            NodeType::WebhookDelivery => "WebhookDelivery",
        }
    }
}

/// The global ID of row `row` of `node_type`.
pub fn encode(node_type: NodeType, row: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{row}", node_type.name())))
}

/// The type and row an ID names; `field` is the argument it came in, for the error.
pub fn decode(id: &str, field: &str) -> ServiceResult<(NodeType, i64)> {
    let refuse = || ServiceError::invalid(field, format!("`{id}` is not a valid ID."));
    let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| refuse())?;
    let text = String::from_utf8(bytes).map_err(|_| refuse())?;
    let (name, row) = text.split_once(':').ok_or_else(refuse)?;
    let node_type = NodeType::ALL
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(refuse)?;
    let row: i64 = row.parse().map_err(|_| refuse())?;
    if row <= 0 || row.to_string() != row_text(&text) {
        return Err(refuse());
    }
    Ok((node_type, row))
}

fn row_text(text: &str) -> &str {
    text.split_once(':').map(|(_, row)| row).unwrap_or_default()
}

/// Decodes an ID that must name a row of `expected`.
pub fn decode_as(id: &str, expected: NodeType, field: &str) -> ServiceResult<i64> {
    match decode(id, field)? {
        (node_type, row) if node_type == expected => Ok(row),
        _ => Err(ServiceError::invalid(
            field,
            format!("`{id}` is not the ID of a {}.", expected.name()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips() {
        let id = encode(NodeType::StrategicArea, 42);
        assert_eq!(decode(&id, "id").unwrap(), (NodeType::StrategicArea, 42));
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "42",
            "%%%",
            &URL_SAFE_NO_PAD.encode("Nomad:1"),
            &URL_SAFE_NO_PAD.encode("Fellow:x"),
            &URL_SAFE_NO_PAD.encode("Fellow:-1"),
            &URL_SAFE_NO_PAD.encode("Fellow:01"),
        ] {
            assert!(decode(bad, "id").is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn an_id_of_another_type_is_refused_where_a_type_is_expected() {
        let id = encode(NodeType::Person, 1);
        assert!(decode_as(&id, NodeType::Fellow, "fellowId").is_err());
    }
}
