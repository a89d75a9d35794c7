//! Authorization, as a matrix: every kind of caller against every protected field and
//! operation, reached directly, through `node`, and through a nested edge.

use api::auth::Role;
use entity::enums::{BenefitKind, NominationStatus};
use entity::{api_token, fellow, person};
use fellowship_tests::{on_both_databases, seed, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

// No partner without scopes: such a token is refused at creation and at sign-in.
const CALLERS: [&str; 6] = [
    "anonymous",
    "partner+benefits",
    "partner+nominations",
    "fellow",
    "another fellow",
    "staff",
];

struct World {
    app: TestApp,
    tokens: Vec<Option<String>>,
    grant_id: String,
    open_by_fellow: String,
    declined_by_other: String,
    token_id: String,
}

async fn person_id(app: &TestApp, handle: &str) -> i64 {
    person::Entity::find()
        .filter(person::Column::Handle.eq(handle))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn world(backend: fellowship_tests::Backend) -> World {
    let app = TestApp::with_demo(backend).await;
    let staff = app.token(Role::Staff, "merve");
    let mut partners = Vec::new();
    let mut token_id = String::new();
    for scopes in [json!(["benefits:read"]), json!(["nominations:read"])] {
        let created = app.graphql_as(Some(&staff),
            r#"mutation($scopes: [String!]!) { createApiToken(input: { name: "partner", scopes: $scopes }) { token apiToken { id } } }"#,
            json!({ "scopes": scopes })).await.expect_ok();
        partners.push(
            created["createApiToken"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        token_id = created["createApiToken"]["apiToken"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let maria = person_id(&app, "mariagrandury").await;
    let manuel = person_id(&app, "mrm8488").await;
    let maria_fellow = fellow::Entity::find()
        .filter(fellow::Column::PersonId.eq(maria))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let grant = seed::benefit_grant(&app.db, maria_fellow.id, BenefitKind::Compute).await;
    let open = seed::nomination(&app.db, maria, "ada", NominationStatus::Submitted).await;
    let declined = seed::nomination(&app.db, manuel, "grace", NominationStatus::Declined).await;
    let global = |kind: &str, id: i64| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
    };
    let tokens = vec![
        None,
        Some(partners[0].clone()),
        Some(partners[1].clone()),
        Some(app.token(Role::Fellow, "mariagrandury")),
        Some(app.token(Role::Fellow, "mrm8488")),
        Some(staff),
    ];
    World {
        grant_id: global("BenefitGrant", grant.id),
        open_by_fellow: global("Nomination", open.id),
        declined_by_other: global("Nomination", declined.id),
        token_id,
        app,
        tokens,
    }
}

/// Runs `query` as each caller; returns, per caller, the body and whether it was refused:
/// FORBIDDEN, or NOT_FOUND for an ID that a fellow may not read (existence must not
/// leak: see tests/api/existence.rs). Every response must be a 200 with the rest of the
/// data intact.
async fn as_everyone(w: &World, query: &str, variables: Value) -> Vec<(Value, bool)> {
    let mut out = Vec::new();
    for (caller, token) in CALLERS.iter().zip(&w.tokens) {
        let response = w
            .app
            .graphql_as(token.as_deref(), query, variables.clone())
            .await;
        assert_eq!(response.status, 200, "{caller}: {}", response.body);
        let codes = response.error_codes();
        assert!(
            codes.iter().all(|c| c == "FORBIDDEN" || c == "NOT_FOUND"),
            "{caller}: unexpected errors {codes:?}"
        );
        out.push((response.body.clone(), !codes.is_empty()));
    }
    out
}

fn allowed(results: &[(Value, bool)]) -> Vec<&'static str> {
    CALLERS
        .iter()
        .zip(results)
        .filter(|(_, (_, forbidden))| !forbidden)
        .map(|(c, _)| *c)
        .collect()
}

on_both_databases! {
    async fn benefit_grants_are_seen_by_their_fellow_staff_and_scoped_partners_only(backend) {
        let w = world(backend).await;
        let expected = ["partner+benefits", "fellow", "staff"];

        let direct = as_everyone(&w, r#"{ fellow(handle: "mariagrandury") { handle benefits { kind } } }"#, json!({})).await;
        assert_eq!(allowed(&direct), expected);
        for (body, forbidden) in &direct {
            // The rest of the response comes back either way.
            assert_eq!(body["data"]["fellow"]["handle"], "mariagrandury");
            if *forbidden {
                // Present and null, not missing: serde_json's indexing would hide that.
                assert_eq!(body["data"]["fellow"].get("benefits"), Some(&Value::Null), "{body}");
                assert_eq!(body["errors"][0]["path"], json!(["fellow", "benefits"]));
            } else {
                assert_eq!(body["data"]["fellow"]["benefits"][0]["kind"], "COMPUTE");
            }
        }

        let by_node = as_everyone(&w, r#"query($id: ID!) { node(id: $id) { ... on BenefitGrant { kind } } }"#, json!({ "id": w.grant_id })).await;
        assert_eq!(allowed(&by_node), expected);

        // A forbidden field alone in its object still leaves the object in place.
        let alone = as_everyone(&w, r#"{ fellow(handle: "mariagrandury") { benefits { kind } } }"#, json!({})).await;
        for (body, forbidden) in &alone {
            assert!(body["data"]["fellow"].is_object(), "{body}");
            if *forbidden {
                assert_eq!(body["data"]["fellow"].get("benefits"), Some(&Value::Null));
            }
        }

        let nested = as_everyone(&w, r#"{ fellows(filter: { search: "grandury" }) { nodes { handle benefits { kind } } } }"#, json!({})).await;
        assert_eq!(allowed(&nested), expected);

        let via_contribution = as_everyone(&w, r#"{ fellow(handle: "mariagrandury") { contributions(first: 1) { nodes { fellow { benefits { kind } } } } } }"#, json!({})).await;
        assert_eq!(allowed(&via_contribution), expected);
    }

    async fn nominations_are_seen_as_the_contract_says(backend) {
        let w = world(backend).await;
        let listed = as_everyone(&w, "{ nominations { totalCount nodes { nomineeHandle } } }", json!({})).await;
        assert_eq!(allowed(&listed), ["partner+nominations", "fellow", "another fellow", "staff"]);
        for (body, forbidden) in &listed {
            if *forbidden {
                assert_eq!(body["data"].get("nominations"), Some(&Value::Null), "{body}");
            }
        }
        let count = |caller: &str| {
            let i = CALLERS.iter().position(|c| *c == caller).unwrap();
            listed[i].0["data"]["nominations"]["totalCount"].clone()
        };
        assert_eq!(count("partner+nominations"), 2, "a partner with the scope sees all");
        assert_eq!(count("fellow"), 1, "a fellow sees open ones and their own");
        assert_eq!(count("another fellow"), 2, "another fellow sees the open one and their own declined one");
        assert_eq!(count("staff"), 2, "staff see all");

        let closed = "query($id: ID!) { nomination(id: $id) { status } }";
        let direct = as_everyone(&w, closed, json!({ "id": w.declined_by_other })).await;
        assert_eq!(allowed(&direct), ["partner+nominations", "another fellow", "staff"]);
        let by_node = as_everyone(&w, "query($id: ID!) { node(id: $id) { ... on Nomination { status } } }",
            json!({ "id": w.declined_by_other })).await;
        assert_eq!(allowed(&by_node), ["partner+nominations", "another fellow", "staff"]);
        // One forbidden ID in `nodes` costs only its own place; to the fellow who may
        // not read it, it is `null` without an error, as a missing one would be.
        let by_nodes = as_everyone(&w, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [w.declined_by_other, "RmVsbG93OjE"] })).await;
        assert_eq!(allowed(&by_nodes), ["partner+nominations", "fellow", "another fellow", "staff"]);
        for (i, (body, forbidden)) in by_nodes.iter().enumerate() {
            assert_eq!(body["data"]["nodes"][1]["id"], "RmVsbG93OjE");
            if *forbidden {
                assert_eq!(body["data"]["nodes"][0], Value::Null);
                assert_eq!(body["errors"][0]["path"], json!(["nodes", 0]));
            }
            if CALLERS[i] == "fellow" {
                assert_eq!(body["data"]["nodes"][0], Value::Null);
            }
        }

        // The nominee's e-mail: staff and the nominator only, and the rest still comes back.
        let email = as_everyone(&w, "query($id: ID!) { nomination(id: $id) { nomineeHandle nomineeEmail } }",
            json!({ "id": w.open_by_fellow })).await;
        assert_eq!(allowed(&email), ["fellow", "staff"]);
        for (i, caller) in CALLERS.iter().enumerate() {
            let nomination = &email[i].0["data"]["nomination"];
            match *caller {
                "fellow" | "staff" => assert_eq!(nomination["nomineeEmail"], "ada@example.org"),
                "partner+nominations" | "another fellow" => {
                    assert_eq!(nomination["nomineeHandle"], "ada");
                    assert_eq!(nomination["nomineeEmail"], Value::Null);
                }
                _ => assert_eq!(email[i].0["data"].get("nomination"), Some(&Value::Null)),
            }
        }
    }

    async fn tokens_and_the_audit_log_are_for_staff_alone(backend) {
        let w = world(backend).await;
        for (query, variables) in [
            ("{ apiTokens { totalCount } }", json!({})),
            ("{ auditEvents { totalCount } }", json!({})),
            ("query($id: ID!) { node(id: $id) { ... on ApiToken { name } } }", json!({ "id": w.token_id })),
        ] {
            let results = as_everyone(&w, query, variables).await;
            assert_eq!(allowed(&results), ["staff"], "{query}");
        }
        let tokens_before = api_token::Entity::find().count(&w.app.db).await.unwrap();
        let created = as_everyone(&w, r#"mutation { createApiToken(input: { name: "x", scopes: ["benefits:read"] }) { token } }"#, json!({})).await;
        assert_eq!(allowed(&created), ["staff"]);
        for (body, forbidden) in &created {
            if *forbidden {
                assert_eq!(body["data"]["createApiToken"], Value::Null);
            }
        }
        assert_eq!(api_token::Entity::find().count(&w.app.db).await.unwrap(), tokens_before + 1);
        let revoked = as_everyone(&w, "mutation($id: ID!) { revokeApiToken(input: { apiTokenId: $id }) { apiToken { active } } }",
            json!({ "id": w.token_id })).await;
        assert_eq!(allowed(&revoked), ["staff"]);
    }

    async fn public_data_is_readable_by_everyone(backend) {
        let w = world(backend).await;
        let results = as_everyone(&w, r#"{ fellows { totalCount } strategicAreas { totalCount }
            organizations { totalCount } foundationMemberships { nodes { boardSeats { representative { name } } } } }"#, json!({})).await;
        assert_eq!(allowed(&results), CALLERS);
        for (body, _) in &results {
            assert_eq!(body["data"]["fellows"]["totalCount"], 7);
        }
    }
}
