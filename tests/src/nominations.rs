//! Submitting a nomination, which many tests do on their way to what they check:
//! the document, a valid input and the call, written once.

use serde_json::{json, Value};

use crate::TestApp;

/// `submitNomination`, answering the new nomination's id, version and status, and any
/// user errors with their field, message and code. Its variable is `$input`.
pub const SUBMIT_NOMINATION: &str = "mutation SubmitNomination($input: SubmitNominationInput!) { \
    submitNomination(input: $input) { nomination { id version status } userErrors { field message code } } }";

/// A valid submission for the nominee with this handle: the name and the e-mail address
/// are made from the handle; no strategic areas, no links. Tests that need more set the
/// field on the returned object.
pub fn submission(handle: &str) -> Value {
    json!({
        "nomineeName": format!("Nominee {handle}"),
        "nomineeHandle": handle,
        "nomineeEmail": format!("{handle}@example.org"),
        "rationale": "Maintains widely used open speech models.",
        "strategicAreaSlugs": [],
        "links": [],
    })
}

/// The variables of [`SUBMIT_NOMINATION`] for `input`.
pub fn variables(input: Value) -> Value {
    json!({ "input": input })
}

/// What a successful submission answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The nomination's GraphQL id.
    pub id: String,
    /// Its version, as `expectedVersion` of the next change expects it.
    pub version: i64,
}

impl Submitted {
    /// Reads a `submitNomination` answer (the whole response body), or `None` when it
    /// carries no nomination (a refusal, a user error, an outage).
    pub fn from_body(body: &Value) -> Option<Submitted> {
        let nomination = &body["data"]["submitNomination"]["nomination"];
        Some(Submitted {
            id: nomination["id"].as_str()?.to_owned(),
            version: nomination["version"].as_i64()?,
        })
    }

    /// Like [`Submitted::from_body`], but panics with the body when nothing was submitted.
    pub fn expect(body: &Value) -> Submitted {
        Submitted::from_body(body).unwrap_or_else(|| panic!("a submitted nomination: {body}"))
    }
}

/// POSTs [`SUBMIT_NOMINATION`] for `handle` to the server at `address` as `token`, with
/// extra headers (an `Idempotency-Key`, say), and returns the status and the body.
pub async fn post(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    headers: &[(&str, &str)],
    handle: &str,
) -> (u16, Value) {
    let mut request = client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": SUBMIT_NOMINATION, "variables": variables(submission(handle)) }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("POST /graphql");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Submits a valid nomination for `handle` to the server at `address` as `token`,
/// insisting that it is accepted.
pub async fn submit_to(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    handle: &str,
) -> Submitted {
    let (_, body) = post(client, address, token, &[], handle).await;
    Submitted::expect(&body)
}

impl TestApp {
    /// Submits a valid nomination for `handle` as `token` ([`submission`]), insisting
    /// that it is accepted.
    pub async fn submit_nomination(&self, token: &str, handle: &str) -> Submitted {
        submit_to(&self.client, &self.address, token, handle).await
    }
}
