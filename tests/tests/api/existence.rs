//! Existence does not leak: looking a private object up by ID answers alike whether it
//! exists or not, for every caller who may not read it (the rule of
//! `api::service::access::Reach`), and messages spell statuses as the API does.

use api::auth::Role;
use entity::enums::{BenefitKind, NominationStatus};
use entity::{fellow, person};
use fellowship_tests::{on_both_databases, seed, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// Far beyond any row a test makes.
const MISSING: i64 = 987_654;

fn global(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

fn raw_id(global_id: &str) -> i64 {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global_id)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    text.split_once(':').unwrap().1.parse().unwrap()
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

async fn fellow_id(app: &TestApp, handle: &str) -> i64 {
    let person = person_id(app, handle).await;
    fellow::Entity::find()
        .filter(fellow::Column::PersonId.eq(person))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// One private object of each type that exists, and its ID with the row number changed
/// to one that does not.
struct Private {
    app: TestApp,
    staff: String,
    /// (type, an existing object's ID, a missing object's ID of that type)
    ids: Vec<(&'static str, String, String)>,
    /// A nomination that María (a fellow) may not read: Manuel's, declined.
    hidden_nomination: String,
    /// A benefit grant María may not read: Manuel's.
    hidden_grant: String,
}

async fn private_objects(backend: fellowship_tests::Backend) -> Private {
    let app = TestApp::with_demo(backend).await;
    let staff = app.token(Role::Staff, "merve");
    let maria = person_id(&app, "mariagrandury").await;
    let manuel = person_id(&app, "mrm8488").await;
    let open = seed::nomination(&app.db, maria, "ada", NominationStatus::Submitted).await;
    let declined = seed::nomination(&app.db, manuel, "grace", NominationStatus::Declined).await;
    let grant = seed::benefit_grant(
        &app.db,
        fellow_id(&app, "mrm8488").await,
        BenefitKind::Compute,
    )
    .await;
    let endorsed = app.graphql_as(Some(&staff),
        "mutation($id: ID!) { endorseNomination(input: { nominationId: $id }) { nomination { endorsements { id } } userErrors { code } } }",
        json!({ "id": global("Nomination", open.id) })).await.expect_ok();
    let endorsement = endorsed["endorseNomination"]["nomination"]["endorsements"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.graphql_as(Some(&staff),
        r#"mutation { createApiToken(input: { name: "partner", scopes: ["benefits:read"] }) { apiToken { id } } }"#,
        json!({})).await.expect_ok()["createApiToken"]["apiToken"]["id"].as_str().unwrap().to_owned();
    let audit = app
        .graphql_as(
            Some(&staff),
            "{ auditEvents(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await
        .expect_ok()["auditEvents"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = app
        .graphql_as(
            Some(&staff),
            "{ accounts(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await
        .expect_ok()["accounts"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_missing = |kind: &'static str, id: String| (kind, id, global(kind, MISSING));
    let ids = vec![
        with_missing("Nomination", global("Nomination", declined.id)),
        with_missing("Endorsement", endorsement),
        with_missing("BenefitGrant", global("BenefitGrant", grant.id)),
        with_missing("ApiToken", token),
        with_missing("AuditEvent", audit),
        with_missing("Account", account),
    ];
    assert!(ids.iter().all(|(_, id, _)| raw_id(id) < MISSING));
    Private {
        hidden_nomination: global("Nomination", declined.id),
        hidden_grant: global("BenefitGrant", grant.id),
        app,
        staff,
        ids,
    }
}

const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
const NOMINATION: &str = "query($id: ID!) { nomination(id: $id) { id } }";

/// The answer with the ID it was asked about blanked out (a message may quote it): the
/// rest must be the same, byte for byte, for an existing and a missing object.
fn answer(body: &Value, id: &str) -> String {
    json!({ "data": body["data"], "errors": body["errors"] })
        .to_string()
        .replace(id, "<id>")
}

on_both_databases! {
    async fn callers_who_may_read_none_of_a_type_are_forbidden_every_id_of_it_existing_or_not(backend) {
        let p = private_objects(backend).await;
        let benefits_only = p.app.graphql_as(Some(&p.staff),
            r#"mutation { createApiToken(input: { name: "nominations-blind", scopes: ["benefits:read"] }) { token } }"#,
            json!({})).await.expect_ok()["createApiToken"]["token"].as_str().unwrap().to_owned();
        let fellow = p.app.token(Role::Fellow, "mariagrandury");
        let callers: [(&str, Option<&str>, &[&str]); 3] = [
            ("anonymous", None, &["Nomination", "Endorsement", "BenefitGrant", "ApiToken", "AuditEvent", "Account"]),
            ("a partner reading only benefit grants", Some(&benefits_only), &["Nomination", "Endorsement", "ApiToken", "AuditEvent", "Account"]),
            ("a fellow", Some(&fellow), &["ApiToken", "AuditEvent", "Account"]),
        ];
        for (caller, token, closed) in callers {
            for (kind, existing, missing) in p.ids.iter().filter(|(kind, ..)| closed.contains(kind)) {
                let there = p.app.graphql_as(token, NODE, json!({ "id": existing })).await;
                let absent = p.app.graphql_as(token, NODE, json!({ "id": missing })).await;
                assert_eq!(there.error_codes(), ["FORBIDDEN"], "{caller}, an existing {kind}");
                assert_eq!(answer(&there.body, existing), answer(&absent.body, missing), "{caller}, {kind}");

                let both = p.app.graphql_as(token, NODES, json!({ "ids": [existing, missing] })).await;
                assert_eq!(both.data()["nodes"], json!([null, null]), "{caller}, {kind}");
                assert_eq!(both.error_codes(), ["FORBIDDEN", "FORBIDDEN"], "{caller}, {kind}");
                assert_eq!(both.body["errors"][0]["message"], both.body["errors"][1]["message"]);
            }
            if closed.contains(&"Nomination") {
                let there = p.app.graphql_as(token, NOMINATION, json!({ "id": p.hidden_nomination })).await;
                let absent = p.app.graphql_as(token, NOMINATION, json!({ "id": global("Nomination", MISSING) })).await;
                assert_eq!(there.error_codes(), ["FORBIDDEN"], "{caller}");
                assert_eq!(answer(&there.body, &p.hidden_nomination), answer(&absent.body, &global("Nomination", MISSING)), "{caller}");
            }
        }
    }

    async fn a_fellow_gets_the_same_not_found_for_a_private_object_they_may_not_read_as_for_a_missing_one(backend) {
        let p = private_objects(backend).await;
        let maria = p.app.token(Role::Fellow, "mariagrandury");
        let me = Some(maria.as_str());
        for (hidden, missing) in [
            (p.hidden_nomination.clone(), global("Nomination", MISSING)),
            (p.hidden_grant.clone(), global("BenefitGrant", MISSING)),
        ] {
            let there = p.app.graphql_as(me, NODE, json!({ "id": hidden })).await;
            let absent = p.app.graphql_as(me, NODE, json!({ "id": missing })).await;
            assert_eq!(there.error_codes(), ["NOT_FOUND"], "{hidden}");
            assert_eq!(answer(&there.body, &hidden), answer(&absent.body, &missing));

            let both = p.app.graphql_as(me, NODES, json!({ "ids": [hidden, missing] })).await;
            assert_eq!(both.data()["nodes"], json!([null, null]));
            assert_eq!(both.error_codes(), Vec::<String>::new());
        }

        let there = p.app.graphql_as(me, NOMINATION, json!({ "id": p.hidden_nomination })).await;
        let absent = p.app.graphql_as(me, NOMINATION, json!({ "id": global("Nomination", MISSING) })).await;
        assert_eq!(there.error_codes(), ["NOT_FOUND"]);
        assert_eq!(answer(&there.body, &p.hidden_nomination), answer(&absent.body, &global("Nomination", MISSING)));

        // Changes that name a nomination answer alike too, and change nothing.
        for mutation in [
            "mutation($id: ID!) { endorseNomination(input: { nominationId: $id }) { nomination { id } userErrors { field message code } } }",
            "mutation($id: ID!) { withdrawNomination(input: { nominationId: $id, expectedVersion: 1 }) { nomination { id } userErrors { field message code } } }",
        ] {
            let there = p.app.graphql_as(me, mutation, json!({ "id": p.hidden_nomination })).await;
            let absent = p.app.graphql_as(me, mutation, json!({ "id": global("Nomination", MISSING) })).await;
            let name = if mutation.contains("endorse") { "endorseNomination" } else { "withdrawNomination" };
            assert_eq!(there.data()[name]["userErrors"][0]["code"], "NOT_FOUND", "{name}: {}", there.body);
            assert_eq!(answer(&there.body, &p.hidden_nomination), answer(&absent.body, &global("Nomination", MISSING)), "{name}");
        }
        let staff_view = p.app.graphql_as(Some(&p.staff),
            "query($id: ID!) { nomination(id: $id) { status version endorsements { id } } }",
            json!({ "id": p.hidden_nomination })).await.expect_ok();
        assert_eq!(staff_view["nomination"], json!({ "status": "DECLINED", "version": 1, "endorsements": [] }));
    }

    async fn a_fellow_still_reads_the_private_objects_that_are_theirs_or_open(backend) {
        let p = private_objects(backend).await;
        let manuel = p.app.token(Role::Fellow, "mrm8488");
        let maria = p.app.token(Role::Fellow, "mariagrandury");
        for id in [&p.hidden_nomination, &p.hidden_grant] {
            let own = p.app.graphql_as(Some(&manuel), NODE, json!({ "id": id })).await.expect_ok();
            assert_eq!(&own["node"]["id"], id);
        }
        // The endorsement of an open nomination, which every fellow may read.
        let (_, endorsement, _) = &p.ids[1];
        let open = p.app.graphql_as(Some(&maria), NODE, json!({ "id": endorsement })).await.expect_ok();
        assert_eq!(&open["node"]["id"], endorsement);
    }

    async fn a_refused_change_names_the_status_as_the_api_spells_it(backend) {
        let app = TestApp::with_demo(backend).await;
        let maria = person_id(&app, "mariagrandury").await;
        let declined = seed::nomination(&app.db, maria, "ada", NominationStatus::Declined).await;
        let under_review = seed::nomination(&app.db, maria, "grace", NominationStatus::UnderReview).await;
        let token = app.token(Role::Fellow, "mariagrandury");
        let staff = app.token(Role::Staff, "merve");
        let withdrawn = app.graphql_as(Some(&token),
            "mutation($id: ID!) { withdrawNomination(input: { nominationId: $id, expectedVersion: 1 }) { userErrors { message code } } }",
            json!({ "id": global("Nomination", declined.id) })).await.expect_ok();
        let error = &withdrawn["withdrawNomination"]["userErrors"][0];
        assert_eq!(error["code"], "CONFLICT");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("DECLINED") && !message.contains("Declined"), "{message}");

        let reviewed = app.graphql_as(Some(&staff),
            "mutation($id: ID!) { startNominationReview(input: { nominationId: $id, expectedVersion: 1 }) { userErrors { message code } } }",
            json!({ "id": global("Nomination", under_review.id) })).await.expect_ok();
        let error = &reviewed["startNominationReview"]["userErrors"][0];
        assert_eq!(error["code"], "CONFLICT");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("UNDER_REVIEW") && !message.contains("UnderReview"), "{message}");
    }
}
