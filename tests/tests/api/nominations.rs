//! The nomination workflow, as nominators and staff use it: the whole lifecycle, every
//! rule with the database checked after each refusal, and the races.

use api::auth::Role;
use chrono::Utc;
use entity::enums::NominationStatus;
use entity::{audit_event, endorsement, fellow, nomination, nomination_event};
use fellowship_tests::{on_both_databases, seed, TestApp};
use futures::future::join_all;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::{json, Value};

/// Everything a submission answers, for the tests of submitting itself; the other tests
/// reach a submitted nomination through `TestApp::submit_nomination`.
const SUBMIT: &str = r#"mutation($input: SubmitNominationInput!) { submitNomination(input: $input) {
    nomination { id status version nomineeHandle nomineeEmail nominator { handle } strategicAreas { slug } links { label url } }
    userErrors { field message code } } }"#;
const ENDORSE: &str = r#"mutation($id: ID!, $comment: String) { endorseNomination(input: { nominationId: $id, comment: $comment }) {
    nomination { version endorsements { endorser { handle } comment } } userErrors { field message code } } }"#;
const START: &str = r#"mutation($id: ID!, $v: Int!) { startNominationReview(input: { nominationId: $id, expectedVersion: $v }) {
    nomination { status version reviewer { handle } } userErrors { field message code } } }"#;
const DECIDE: &str = r#"mutation($id: ID!, $d: NominationDecision!, $note: String!, $v: Int!) {
    decideNomination(input: { nominationId: $id, decision: $d, note: $note, expectedVersion: $v }) {
    nomination { status version decisionNote decidedBy { handle } } fellow { handle name status nominatedBy { handle } strategicAreas { nodes { slug } } }
    userErrors { field message code } } }"#;
const WITHDRAW: &str = r#"mutation($id: ID!, $v: Int!) { withdrawNomination(input: { nominationId: $id, expectedVersion: $v }) {
    nomination { status version } userErrors { field message code } } }"#;

fn submission(handle: &str) -> Value {
    json!({
        "nomineeName": "Ada Lovelace", "nomineeHandle": handle, "nomineeEmail": "ada@example.org",
        "rationale": "Published widely used open speech models and mentored contributors.",
        "supportRequested": "Compute for training", "strategicAreaSlugs": ["speech-and-audio"],
        "links": [{ "label": "Hub", "url": "https://huggingface.co/ada" }]
    })
}

struct Callers {
    merve: String,
    omar: String,
    maria: String,
    manuel: String,
}

fn callers(app: &TestApp) -> Callers {
    Callers {
        merve: app.token(Role::Staff, "merve"),
        omar: app.token(Role::Staff, "espejelomar"),
        maria: app.token(Role::Fellow, "mariagrandury"),
        manuel: app.token(Role::Fellow, "mrm8488"),
    }
}

/// Runs a mutation and returns its payload (the only field of `data`).
async fn mutate(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let data = app
        .graphql_as(Some(token), query, variables)
        .await
        .expect_ok();
    data.as_object().unwrap().values().next().unwrap().clone()
}

fn error_code(payload: &Value) -> &str {
    payload["userErrors"][0]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// What a refused call must leave as it was.
async fn state(app: &TestApp) -> (u64, u64, u64, u64) {
    (
        nomination::Entity::find().count(&app.db).await.unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
        nomination_event::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        fellow::Entity::find().count(&app.db).await.unwrap(),
    )
}

/// A nomination of `handle` in review's first state: its id and version.
async fn submitted(app: &TestApp, token: &str, handle: &str) -> (String, i64) {
    let submitted = app.submit_nomination(token, handle).await;
    (submitted.id, submitted.version)
}

on_both_databases! {
    async fn a_nomination_goes_from_submission_to_a_new_fellow(backend) {
        let app = TestApp::with_demo(backend).await;
        let c = callers(&app);

        let payload = mutate(&app, &c.maria, SUBMIT, json!({ "input": submission("ada") })).await;
        assert_eq!(payload["userErrors"], json!([]));
        let n = &payload["nomination"];
        assert_eq!(n["status"], "SUBMITTED");
        assert_eq!(n["nominator"]["handle"], "mariagrandury");
        assert_eq!(n["nomineeEmail"], "ada@example.org");
        assert_eq!(n["strategicAreas"][0]["slug"], "speech-and-audio");
        let id = n["id"].as_str().unwrap().to_owned();
        let version = n["version"].as_i64().unwrap();

        let endorsed = mutate(&app, &c.manuel, ENDORSE, json!({ "id": id, "comment": "Great mentor" })).await;
        assert_eq!(endorsed["nomination"]["endorsements"][0]["endorser"]["handle"], "mrm8488");
        let version_after_endorsement = endorsed["nomination"]["version"].as_i64().unwrap();
        assert!(version_after_endorsement > version);

        // A review started on the version read before the endorsement is stale.
        let stale = mutate(&app, &c.merve, START, json!({ "id": id, "v": version })).await;
        assert_eq!(error_code(&stale), "CONFLICT");
        let started = mutate(&app, &c.merve, START, json!({ "id": id, "v": version_after_endorsement })).await;
        assert_eq!(started["nomination"]["status"], "UNDER_REVIEW");
        assert_eq!(started["nomination"]["reviewer"]["handle"], "merve");
        let version = started["nomination"]["version"].as_i64().unwrap();

        let decided = mutate(&app, &c.omar, DECIDE, json!({ "id": id, "d": "ACCEPT", "note": "Welcome!", "v": version })).await;
        assert_eq!(decided["userErrors"], json!([]), "{decided}");
        assert_eq!(decided["nomination"]["status"], "ACCEPTED");
        assert_eq!(decided["nomination"]["decisionNote"], "Welcome!");
        assert_eq!(decided["nomination"]["decidedBy"]["handle"], "espejelomar");
        let fellow = &decided["fellow"];
        assert_eq!(fellow["handle"], "ada");
        assert_eq!(fellow["status"], "ACTIVE");
        assert_eq!(fellow["nominatedBy"]["handle"], "mariagrandury");
        assert_eq!(fellow["strategicAreas"]["nodes"][0]["slug"], "speech-and-audio");

        // The new fellow is in the public directory, and can now nominate in turn.
        let directory = app.query(r#"{ fellows { totalCount } fellow(handle: "ada") { name } }"#, json!({})).await;
        assert_eq!(directory["fellows"]["totalCount"], 8);
        assert_eq!(directory["fellow"]["name"], "Ada Lovelace");
        let ada = app.token(Role::Fellow, "ada");
        submitted(&app, &ada, "babbage").await;

        // Once decided, nothing moves it any more.
        let again = mutate(&app, &c.merve, DECIDE, json!({ "id": id, "d": "DECLINE", "note": "No", "v": version + 1 })).await;
        assert_eq!(error_code(&again), "CONFLICT");
        let withdrawn = mutate(&app, &c.maria, WITHDRAW, json!({ "id": id, "v": version + 1 })).await;
        assert_eq!(error_code(&withdrawn), "CONFLICT");

        let admitted = app.graphql_as(Some(&c.merve), r#"query($id: ID!) { nomination(id: $id) { fellow { handle } } }"#,
            json!({ "id": id })).await.expect_ok();
        assert_eq!(admitted["nomination"]["fellow"]["handle"], "ada");

        let by_actor = app.graphql_as(Some(&c.merve), r#"{ auditEvents(filter: { actor: "mrm8488" }) { nodes { action actor { handle } } } }"#,
            json!({})).await.expect_ok();
        assert_eq!(by_actor["auditEvents"]["nodes"], json!([{ "action": "nomination.endorse", "actor": { "handle": "mrm8488" } }]));

        let audit = app.graphql_as(Some(&c.merve), r#"query($id: ID!) { auditEvents(filter: { objectId: $id }) { nodes { action actor { handle } before after } } }"#,
            json!({ "id": id })).await.expect_ok();
        let actions: Vec<&str> = audit["auditEvents"]["nodes"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["nomination.decide", "nomination.startReview", "nomination.endorse", "nomination.submit"]);
        assert_eq!(audit["auditEvents"]["nodes"][0]["before"]["status"], "UNDER_REVIEW");
        assert_eq!(audit["auditEvents"]["nodes"][0]["after"]["status"], "ACCEPTED");
        assert!(!audit.to_string().contains("ada@example.org"), "the audit log keeps no contact details");
    }

    async fn a_declined_or_withdrawn_nomination_creates_no_fellow(backend) {
        let app = TestApp::with_demo(backend).await;
        let c = callers(&app);
        let (id, v) = submitted(&app, &c.maria, "ada").await;
        let started = mutate(&app, &c.merve, START, json!({ "id": id, "v": v })).await;
        let v = started["nomination"]["version"].as_i64().unwrap();
        let declined = mutate(&app, &c.omar, DECIDE, json!({ "id": id, "d": "DECLINE", "note": "Not yet", "v": v })).await;
        assert_eq!(declined["nomination"]["status"], "DECLINED");
        assert_eq!(declined["fellow"], Value::Null);

        // A closed nomination no longer blocks a new one for the same nominee.
        let (id, v) = submitted(&app, &c.manuel, "ADA").await;
        let other = mutate(&app, &c.maria, WITHDRAW, json!({ "id": id, "v": v })).await;
        assert_eq!(error_code(&other), "FORBIDDEN");
        let stale = mutate(&app, &c.manuel, WITHDRAW, json!({ "id": id, "v": v + 7 })).await;
        assert_eq!(error_code(&stale), "CONFLICT");
        let withdrawn = mutate(&app, &c.manuel, WITHDRAW, json!({ "id": id, "v": v })).await;
        assert_eq!(withdrawn["nomination"]["status"], "WITHDRAWN");
        assert_eq!(app.query(r#"{ fellows { totalCount } }"#, json!({})).await["fellows"]["totalCount"], 7);
    }

    async fn every_rule_of_the_program_refuses_and_leaves_the_data_as_it_was(backend) {
        let app = TestApp::with_demo(backend).await;
        let c = callers(&app);
        let (open_id, open_v) = submitted(&app, &c.merve, "ada").await;
        let (staff_nominee, _) = submitted(&app, &c.maria, "espejelomar").await;
        mutate(&app, &c.omar, ENDORSE, json!({ "id": open_id })).await;
        let open_v = open_v + 1;
        let started = mutate(&app, &c.omar, START, json!({ "id": open_id, "v": open_v })).await;
        let review_v = started["nomination"]["version"].as_i64().unwrap();
        let before = state(&app).await;

        let mut bad_email = submission("grace"); bad_email["nomineeEmail"] = json!("grace-at-example");
        let mut bad_handle = submission("grace"); bad_handle["nomineeHandle"] = json!("grace hopper");
        let mut bad_url = submission("grace"); bad_url["links"] = json!([{ "label": "x", "url": "ftp://example.org" }]);
        let mut unknown_area = submission("grace"); unknown_area["strategicAreaSlugs"] = json!(["speech-and-audio", "astrology"]);
        let mut empty_rationale = submission("grace"); empty_rationale["rationale"] = json!("   ");
        let cases: Vec<(&str, &str, &str, Value, &str, Value)> = vec![
            ("self-nomination", "merve", SUBMIT, json!({ "input": submission("Merve") }), "FORBIDDEN", json!(["input", "nomineeHandle"])),
            ("an active fellow", "maria", SUBMIT, json!({ "input": submission("ceyda") }), "CONFLICT", Value::Null),
            ("a second open nomination", "manuel", SUBMIT, json!({ "input": submission("ADA") }), "CONFLICT", Value::Null),
            ("a malformed e-mail", "maria", SUBMIT, json!({ "input": bad_email }), "BAD_USER_INPUT", json!(["input", "nomineeEmail"])),
            ("a malformed handle", "maria", SUBMIT, json!({ "input": bad_handle }), "BAD_USER_INPUT", json!(["input", "nomineeHandle"])),
            ("a non-http link", "maria", SUBMIT, json!({ "input": bad_url }), "BAD_USER_INPUT", json!(["input", "links", "0", "url"])),
            ("an unknown area", "maria", SUBMIT, json!({ "input": unknown_area }), "NOT_FOUND", json!(["input", "strategicAreaSlugs", "1"])),
            ("an empty rationale", "maria", SUBMIT, json!({ "input": empty_rationale }), "BAD_USER_INPUT", json!(["input", "rationale"])),
            ("self-endorsement", "omar", ENDORSE, json!({ "id": staff_nominee }), "FORBIDDEN", Value::Null),
            ("the nominator endorsing", "merve", ENDORSE, json!({ "id": open_id }), "FORBIDDEN", Value::Null),
            ("a second endorsement", "omar", ENDORSE, json!({ "id": open_id }), "CONFLICT", Value::Null),
            ("deciding one's own nomination", "merve", DECIDE, json!({ "id": open_id, "d": "ACCEPT", "note": "ok", "v": review_v }), "FORBIDDEN", Value::Null),
            ("deciding an endorsed nomination", "omar", DECIDE, json!({ "id": open_id, "d": "ACCEPT", "note": "ok", "v": review_v }), "FORBIDDEN", Value::Null),
            ("deciding without review", "merve", DECIDE, json!({ "id": staff_nominee, "d": "ACCEPT", "note": "ok", "v": 1 }), "CONFLICT", Value::Null),
            ("reviewing twice", "merve", START, json!({ "id": open_id, "v": review_v }), "CONFLICT", Value::Null),
            ("withdrawing someone else's", "maria", WITHDRAW, json!({ "id": open_id, "v": review_v }), "FORBIDDEN", Value::Null),
            ("an unknown nomination", "merve", START, json!({ "id": "Tm9taW5hdGlvbjo5OTk5", "v": 1 }), "NOT_FOUND", json!(["input", "nominationId"])),
            ("an ID of another type", "merve", START, json!({ "id": "RmVsbG93OjE", "v": 1 }), "BAD_USER_INPUT", json!(["input", "nominationId"])),
        ];
        for (what, who, query, variables, code, field) in cases {
            let token = match who { "merve" => &c.merve, "omar" => &c.omar, "maria" => &c.maria, _ => &c.manuel };
            let payload = mutate(&app, token, query, variables).await;
            assert_eq!(error_code(&payload), code, "{what}: {payload}");
            if !field.is_null() {
                assert_eq!(payload["userErrors"][0]["field"], field, "{what}");
            }
            assert_eq!(state(&app).await, before, "{what} wrote something");
        }
        let second = mutate(&app, &c.manuel, SUBMIT, json!({ "input": submission("ada") })).await;
        assert!(second["userErrors"][0]["message"].as_str().unwrap().contains(&open_id),
            "the refusal points to the open nomination: {second}");

        let note = mutate(&app, &c.merve, DECIDE, json!({ "id": staff_nominee, "d": "DECLINE", "note": " ", "v": 1 })).await;
        assert_eq!(note["userErrors"][0]["field"], json!(["input", "note"]));

        // Callers who may not nominate at all get a FORBIDDEN error, not a payload.
        for token in [None, Some(app.account_token(Role::Fellow, "someone-unknown").await)] {
            let response = app.graphql_as(token.as_deref(), SUBMIT, json!({ "input": submission("grace") })).await;
            assert_eq!(response.error_codes(), ["FORBIDDEN"]);
            assert_eq!(response.data()["submitNomination"], Value::Null);
        }
        assert_eq!(state(&app).await, before);
    }

    async fn of_fifty_concurrent_decisions_exactly_one_wins(backend) {
        let app = TestApp::with_demo(backend).await;
        let c = callers(&app);
        let (id, v) = submitted(&app, &c.maria, "ada").await;
        let started = mutate(&app, &c.merve, START, json!({ "id": id, "v": v })).await;
        let v = started["nomination"]["version"].as_i64().unwrap();

        let attempts = (0..50).map(|i| {
            let (app, token, id) = (&app, if i % 2 == 0 { &c.merve } else { &c.omar }, id.clone());
            let decision = if i % 3 == 0 { "DECLINE" } else { "ACCEPT" };
            async move { mutate(app, token, DECIDE, json!({ "id": id, "d": decision, "note": format!("attempt {i}"), "v": v })).await }
        });
        let results = join_all(attempts).await;
        let winners = results.iter().filter(|p| p["userErrors"] == json!([])).count();
        let conflicts = results.iter().filter(|p| error_code(p) == "CONFLICT").count();
        assert_eq!((winners, conflicts), (1, 49), "{results:?}");

        let decisions = app.graphql_as(Some(&c.merve), r#"{ auditEvents(filter: { action: "nomination.decide" }) { totalCount } }"#, json!({})).await.expect_ok();
        assert_eq!(decisions["auditEvents"]["totalCount"], 1);
        let accepted = results.iter().any(|p| p["nomination"]["status"] == "ACCEPTED");
        let fellows = app.query("{ fellows { totalCount } }", json!({})).await;
        assert_eq!(fellows["fellows"]["totalCount"], if accepted { 8 } else { 7 });
    }

    async fn concurrent_submissions_for_one_nominee_leave_exactly_one_open_nomination(backend) {
        let app = TestApp::with_demo(backend).await;
        let c = callers(&app);
        let tokens = [&c.merve, &c.omar, &c.maria, &c.manuel];
        let attempts = (0..20).map(|i| {
            let (app, token) = (&app, tokens[i % tokens.len()]);
            async move { mutate(app, token, SUBMIT, json!({ "input": submission(if i % 2 == 0 { "ada" } else { "Ada" }) })).await }
        });
        let results = join_all(attempts).await;
        let accepted = results.iter().filter(|p| p["userErrors"] == json!([])).count();
        let conflicts = results.iter().filter(|p| error_code(p) == "CONFLICT").count();
        assert_eq!((accepted, conflicts), (1, 19), "{results:?}");
        assert_eq!(nomination::Entity::find().count(&app.db).await.unwrap(), 1);
        assert_eq!(nomination_event::Entity::find().count(&app.db).await.unwrap(), 1);
    }

    async fn the_review_queue_reads_nominators_and_endorsers_in_a_fixed_three_statements(backend) {
        let app = TestApp::empty(backend).await;
        let staff = app.account_token(Role::Staff, "reviewer").await;
        for i in 0..40 {
            let nominator = seed::person(&app.db, &format!("Nominator {i:02}"), Some(&format!("nominator-{i:02}"))).await;
            let nomination = seed::nomination(&app.db, nominator.id, &format!("nominee-{i:02}"), NominationStatus::Submitted).await;
            for j in 0..2 {
                let endorser = seed::person(&app.db, &format!("Endorser {i:02}.{j}"), Some(&format!("endorser-{i:02}-{j}"))).await;
                endorsement::ActiveModel {
                    nomination_id: Set(nomination.id),
                    endorser_person_id: Set(endorser.id),
                    comment: Set(Some(format!("{i:02}.{j}"))),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(&app.db)
                .await
                .unwrap();
            }
        }
        // The same selection written inline and through a fragment: the page sees that
        // nominators are wanted either way.
        let inline = "query($first: Int) { nominations(first: $first, filter: {status: [SUBMITTED]}) { edges { node {
            nomineeHandle nominator { name } endorsements { endorser { name } comment } } } } }";
        let fragment = "query($first: Int) { nominations(first: $first, filter: {status: [SUBMITTED]}) { nodes { ...Queue } } }
            fragment Queue on Nomination { nomineeHandle nominator { name } endorsements { endorser { name } comment } }";
        let mut costs = Vec::new();
        for (query, path) in [(inline, "edges"), (fragment, "nodes")] {
            for first in [1, 20, 40] {
                let before = app.statements_sent().await;
                let data = app.graphql_as(Some(&staff), query, json!({ "first": first })).await.expect_ok();
                costs.push(app.statements_sent().await - before);
                let rows = data["nominations"][path].as_array().unwrap();
                assert_eq!(rows.len(), first);
                for (k, row) in rows.iter().enumerate() {
                    let node = if path == "edges" { &row["node"] } else { row };
                    let i = 39 - k; // newest first
                    assert_eq!(node["nomineeHandle"], format!("nominee-{i:02}"));
                    assert_eq!(node["nominator"]["name"], format!("Nominator {i:02}"));
                    assert_eq!(node["endorsements"], json!([
                        { "endorser": { "name": format!("Endorser {i:02}.0") }, "comment": format!("{i:02}.0") },
                        { "endorser": { "name": format!("Endorser {i:02}.1") }, "comment": format!("{i:02}.1") },
                    ]));
                }
            }
        }
        // The caller's account, the page with its nominators, the endorsements with
        // their endorsers: whatever the page size.
        assert_eq!(costs, [3; 6], "statements for 1, 20 and 40 nominations, inline then by fragment");
    }

}
