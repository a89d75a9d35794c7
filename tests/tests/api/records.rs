//! The records beside the nomination workflow: profiles, contributions, status and
//! benefits; strategic areas; organizations, memberships and board seats.

use api::auth::Role;
use entity::{
    audit_event, board_seat, contribution, foundation_membership, organization, strategic_area,
};
use fellowship_tests::nominations::{submission, variables, SUBMIT_NOMINATION};
use fellowship_tests::{mutate, user_error_code as code};
use fellowship_tests::{on_both_databases, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

async fn audit_count(app: &TestApp) -> u64 {
    audit_event::Entity::find().count(&app.db).await.unwrap()
}

/// A fellow's global id and current version, as a client reads them before an edit.
async fn fellow_ref(app: &TestApp, handle: &str) -> (String, i64) {
    let data = app
        .query(
            "query($handle: String!) { fellow(handle: $handle) { id version } }",
            json!({ "handle": handle }),
        )
        .await;
    let fellow = &data["fellow"];
    let id = fellow["id"].as_str().expect("the fellow exists").to_owned();
    let version = fellow["version"].as_i64().expect("a fellow has a version");
    (id, version)
}

const CREATE_ORGANIZATION: &str = r#"mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) {
    organization { id kind version } userErrors { field code } } }"#;
const UPDATE_ORGANIZATION: &str = r#"mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) {
    organization { id kind version parent { id } } userErrors { field code } } }"#;
const RECORD_MEMBERSHIP: &str = r#"mutation($input: RecordFoundationMembershipInput!) { recordFoundationMembership(input: $input) {
    membership { id } userErrors { field code } } }"#;
const PROFILE: &str = r#"mutation($input: UpdateFellowProfileInput!) { updateFellowProfile(input: $input) {
    fellow { headline bio links { url } name } userErrors { field code } } }"#;
const ADD: &str = r#"mutation($input: AddContributionInput!) { addContribution(input: $input) {
    contribution { id title kind } userErrors { field code } } }"#;
const REMOVE: &str = r#"mutation($input: RemoveContributionInput!) { removeContribution(input: $input) {
    contribution { id title } userErrors { field code } } }"#;
const STATUS: &str = r#"mutation($input: SetFellowStatusInput!) { setFellowStatus(input: $input) {
    fellow { status } userErrors { field code } } }"#;
const GRANT: &str = r#"mutation($input: GrantBenefitInput!) { grantBenefit(input: $input) {
    benefitGrant { id kind active } userErrors { field code } } }"#;
const REVOKE: &str = r#"mutation($input: RevokeBenefitInput!) { revokeBenefit(input: $input) {
    benefitGrant { active revocationNote } userErrors { field code } } }"#;

on_both_databases! {
    async fn fellows_edit_their_own_profile_and_contributions_and_nobody_else_s(backend) {
        let app = TestApp::with_demo(backend).await;
        let (maria, version) = fellow_ref(&app, "mariagrandury").await;
        let own = app.token(Role::Fellow, "mariagrandury");
        let other = app.token(Role::Fellow, "mrm8488");
        let staff = app.token(Role::Staff, "merve");

        let before = audit_count(&app).await;
        for (token, input, expected) in [
            (&other, json!({ "fellowId": maria, "headline": "hijacked", "expectedVersion": version }), "FORBIDDEN"),
            (&own, json!({ "fellowId": maria, "headline": "x", "expectedVersion": version + 6 }), "CONFLICT"),
            (&own, json!({ "fellowId": maria, "links": [{ "label": "x", "url": "javascript:alert(1)" }], "expectedVersion": version }), "BAD_USER_INPUT"),
            (&own, json!({ "fellowId": maria, "name": "", "expectedVersion": version }), "BAD_USER_INPUT"),
        ] {
            let response = app.graphql_as(Some(token), PROFILE, json!({ "input": input })).await;
            let got = if response.error_codes().is_empty() {
                code(&response.body["data"]["updateFellowProfile"]).to_owned()
            } else {
                response.error_codes()[0].clone()
            };
            assert_eq!(got, expected, "{input}");
        }
        assert_eq!(audit_count(&app).await, before, "a refused edit was recorded");

        let edited = mutate(&app, &own, PROFILE, json!({ "fellowId": maria, "headline": "Founder of SomosNLP",
            "bio": "NLP in Spanish.", "links": [{ "label": "Hub", "url": "https://huggingface.co/mariagrandury" }], "expectedVersion": version })).await;
        assert_eq!(edited["userErrors"], json!([]));
        assert_eq!(edited["fellow"]["bio"], "NLP in Spanish.");
        let by_staff = mutate(&app, &staff, PROFILE, json!({ "fellowId": maria, "bio": "", "expectedVersion": version + 1 })).await;
        assert_eq!(by_staff["fellow"]["bio"], Value::Null, "an empty string clears");

        let contributions_before = contribution::Entity::find().count(&app.db).await.unwrap();
        let refused = mutate(&app, &own, ADD, json!({ "fellowId": maria, "kind": "EVENTS", "title": "Future", "occurredOn": "2999-01-01" })).await;
        assert_eq!(refused["userErrors"][0]["field"], json!(["input", "occurredOn"]));
        let added = mutate(&app, &own, ADD, json!({ "fellowId": maria, "kind": "EVENTS", "title": "Hackathon 2023", "url": "https://somosnlp.org" })).await;
        assert_eq!(added["contribution"]["kind"], "EVENTS");
        let id = added["contribution"]["id"].clone();
        let theirs = app.graphql_as(Some(&other), REMOVE, json!({ "input": { "contributionId": id } })).await;
        assert_eq!(theirs.error_codes(), ["FORBIDDEN"]);
        let removed = mutate(&app, &own, REMOVE, json!({ "contributionId": id })).await;
        assert_eq!(removed["contribution"]["title"], "Hackathon 2023");
        assert_eq!(contribution::Entity::find().count(&app.db).await.unwrap(), contributions_before);
        let again = mutate(&app, &own, REMOVE, json!({ "contributionId": id })).await;
        assert_eq!(code(&again), "NOT_FOUND");
    }

    async fn staff_make_fellows_alumni_and_grant_and_revoke_benefits(backend) {
        let app = TestApp::with_demo(backend).await;
        let (ceyda, version) = fellow_ref(&app, "ceyda").await;
        let staff = app.token(Role::Staff, "merve");
        let fellow = app.token(Role::Fellow, "ceyda");

        let granted = mutate(&app, &staff, GRANT, json!({ "fellowId": ceyda, "kind": "COMPUTE", "description": "GPU hours" })).await;
        assert_eq!(granted["benefitGrant"]["active"], true);
        let grant = granted["benefitGrant"]["id"].clone();
        let seen = app.graphql_as(Some(&fellow), r#"{ fellow(handle: "ceyda") { benefits { kind active } } }"#, json!({})).await.expect_ok();
        assert_eq!(seen["fellow"]["benefits"][0]["kind"], "COMPUTE");
        let by_fellow = app.graphql_as(Some(&fellow), GRANT, json!({ "input": { "fellowId": ceyda, "kind": "MERCHANDISE" } })).await;
        assert_eq!(by_fellow.error_codes(), ["FORBIDDEN"]);

        let no_note = mutate(&app, &staff, REVOKE, json!({ "benefitGrantId": grant, "note": "" })).await;
        assert_eq!(no_note["userErrors"][0]["field"], json!(["input", "note"]));
        let revoked = mutate(&app, &staff, REVOKE, json!({ "benefitGrantId": grant, "note": "Project ended" })).await;
        assert_eq!(revoked["benefitGrant"]["active"], false);
        assert_eq!(revoked["benefitGrant"]["revocationNote"], "Project ended");
        assert_eq!(code(&mutate(&app, &staff, REVOKE, json!({ "benefitGrantId": grant, "note": "again" })).await), "CONFLICT");

        let stale = mutate(&app, &staff, STATUS, json!({ "fellowId": ceyda, "status": "ALUMNI", "expectedVersion": version + 8 })).await;
        assert_eq!(code(&stale), "CONFLICT");
        let alumni = mutate(&app, &staff, STATUS, json!({ "fellowId": ceyda, "status": "ALUMNI", "expectedVersion": version })).await;
        assert_eq!(alumni["fellow"]["status"], "ALUMNI");
        let listed = app.query(r#"{ fellows(filter: { status: ALUMNI }) { nodes { handle } } }"#, json!({})).await;
        assert_eq!(listed["fellows"]["nodes"][0]["handle"], "ceyda");
        assert_eq!(code(&mutate(&app, &staff, GRANT, json!({ "fellowId": ceyda, "kind": "COMPUTE" })).await), "CONFLICT");
        // An alumna no longer nominates.
        let nominate = app.graphql_as(Some(&fellow), SUBMIT_NOMINATION, variables(submission("a"))).await;
        assert_eq!(nominate.error_codes(), ["FORBIDDEN"]);
    }

    async fn strategic_areas_are_created_updated_and_archived_by_staff(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let create = r#"mutation($input: CreateStrategicAreaInput!) { createStrategicArea(input: $input) { strategicArea { id slug version archived } userErrors { field code } } }"#;
        let update = r#"mutation($input: UpdateStrategicAreaInput!) { updateStrategicArea(input: $input) { strategicArea { name version } userErrors { field code } } }"#;
        let archive = r#"mutation($input: ArchiveStrategicAreaInput!) { archiveStrategicArea(input: $input) { strategicArea { archived version } userErrors { field code } } }"#;
        let areas_before = strategic_area::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(code(&mutate(&app, &staff, create, json!({ "slug": "Bad Slug", "name": "x" })).await), "BAD_USER_INPUT");
        assert_eq!(code(&mutate(&app, &staff, create, json!({ "slug": "speech-and-audio", "name": "x" })).await), "CONFLICT");
        let fellow = app.graphql_as(Some(&app.token(Role::Fellow, "ceyda")), create, json!({ "input": { "slug": "x", "name": "x" } })).await;
        assert_eq!(fellow.error_codes(), ["FORBIDDEN"]);
        assert_eq!(strategic_area::Entity::find().count(&app.db).await.unwrap(), areas_before);

        let created = mutate(&app, &staff, create, json!({ "slug": "multilingual-evaluation", "name": "Multilingual evaluation" })).await;
        let id = created["strategicArea"]["id"].clone();
        let renamed = mutate(&app, &staff, update, json!({ "strategicAreaId": id, "name": "Evaluation across languages", "expectedVersion": 1 })).await;
        assert_eq!(renamed["strategicArea"]["version"], 2);
        assert_eq!(code(&mutate(&app, &staff, update, json!({ "strategicAreaId": id, "name": "x", "expectedVersion": 1 })).await), "CONFLICT");
        let archived = mutate(&app, &staff, archive, json!({ "strategicAreaId": id, "expectedVersion": 2 })).await;
        assert_eq!(archived["strategicArea"]["archived"], true);
        assert_eq!(code(&mutate(&app, &staff, archive, json!({ "strategicAreaId": id, "expectedVersion": 3 })).await), "CONFLICT");
        let listed = app.query(r#"{ strategicAreas(filter: { archived: true }) { nodes { slug } } strategicArea(slug: "multilingual-evaluation") { archived } }"#, json!({})).await;
        assert_eq!(listed["strategicAreas"]["nodes"][0]["slug"], "multilingual-evaluation");
        // An archived area takes no new nominations.
        let mut input = submission("a");
        input["strategicAreaSlugs"] = json!(["multilingual-evaluation"]);
        let nominate = mutate(&app, &staff, SUBMIT_NOMINATION, input).await;
        assert_eq!(nominate["userErrors"][0]["field"], json!(["input", "strategicAreaSlugs", "0"]));
    }

    async fn organizations_memberships_and_board_seats_follow_the_rules(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let orgs = app.query(r#"{ organizations { nodes { id slug } } foundationMemberships { nodes { id version } } }"#, json!({})).await;
        let org = |slug: &str| orgs["organizations"]["nodes"].as_array().unwrap().iter().find(|o| o["slug"] == slug).unwrap()["id"].clone();
        let (hf, lf, pt) = (org("hugging-face"), org("linux-foundation"), org("pytorch-foundation"));
        let premier = orgs["foundationMemberships"]["nodes"][0]["id"].clone();

        let create = r#"mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id slug parent { slug } version } userErrors { field code } } }"#;
        let update = r#"mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { parent { slug } version } userErrors { field code } } }"#;
        let record = r#"mutation($input: RecordFoundationMembershipInput!) { recordFoundationMembership(input: $input) { membership { id tier active version } userErrors { field code } } }"#;
        let end = r#"mutation($input: EndFoundationMembershipInput!) { endFoundationMembership(input: $input) { membership { active endedOn boardSeats { until } } userErrors { field code } } }"#;
        let appoint = r#"mutation($input: AppointBoardRepresentativeInput!) { appointBoardRepresentative(input: $input) { boardSeat { title since until representative { name } } userErrors { field code } } }"#;

        let orgs_before = organization::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(code(&mutate(&app, &staff, create, json!({ "slug": "HUGGING-FACE", "name": "x", "kind": "COMPANY" })).await), "BAD_USER_INPUT");
        assert_eq!(code(&mutate(&app, &staff, create, json!({ "slug": "hugging-face", "name": "x", "kind": "COMPANY" })).await), "CONFLICT");
        assert_eq!(code(&mutate(&app, &staff, create, json!({ "slug": "x", "name": "x", "kind": "COMPANY", "websiteUrl": "ftp://x.org" })).await), "BAD_USER_INPUT");
        assert_eq!(organization::Entity::find().count(&app.db).await.unwrap(), orgs_before);
        let created = mutate(&app, &staff, create, json!({ "slug": "lf-ai-data", "name": "LF AI & Data", "kind": "FOUNDATION", "parentId": lf })).await;
        assert_eq!(created["organization"]["parent"]["slug"], "linux-foundation");
        // The Linux Foundation cannot sit under its own child.
        let cycle = mutate(&app, &staff, update, json!({ "organizationId": lf, "parentId": created["organization"]["id"], "expectedVersion": 1 })).await;
        assert_eq!(cycle["userErrors"][0]["field"], json!(["input", "parentId"]));
        let unparented = mutate(&app, &staff, update, json!({ "organizationId": created["organization"]["id"], "parentId": null, "expectedVersion": 1 })).await;
        assert_eq!(unparented["organization"]["parent"], Value::Null);

        let memberships_before = foundation_membership::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(code(&mutate(&app, &staff, record, json!({ "memberId": hf, "foundationId": pt, "tier": "GENERAL" })).await), "CONFLICT");
        assert_eq!(code(&mutate(&app, &staff, record, json!({ "memberId": lf, "foundationId": hf, "tier": "GENERAL" })).await), "BAD_USER_INPUT");
        assert_eq!(foundation_membership::Entity::find().count(&app.db).await.unwrap(), memberships_before);
        let key = [("Idempotency-Key", "hf-joins-lf")];
        let general = app.graphql_with(Some(&staff), &key, record, json!({ "input": { "memberId": hf, "foundationId": lf, "tier": "GENERAL", "joinedOn": "2023-01-10" } })).await.expect_ok();
        let retry = app.graphql_with(Some(&staff), &key, record, json!({ "input": { "memberId": hf, "foundationId": lf, "tier": "GENERAL", "joinedOn": "2023-01-10" } })).await.expect_ok();
        assert_eq!(general["recordFoundationMembership"]["membership"]["id"], retry["recordFoundationMembership"]["membership"]["id"]);
        let general_id = general["recordFoundationMembership"]["membership"]["id"].clone();
        // A general membership carries no seat.
        let no_seat = mutate(&app, &staff, appoint, json!({ "membershipId": general_id, "representativeName": "Someone" })).await;
        assert_eq!(code(&no_seat), "FORBIDDEN");
        let early = mutate(&app, &staff, end, json!({ "membershipId": general_id, "endedOn": "2022-01-01", "expectedVersion": 1 })).await;
        assert_eq!(early["userErrors"][0]["field"], json!(["input", "endedOn"]));

        // Premier carries one seat: a new representative replaces Lysandre Debut.
        let seats_before = board_seat::Entity::find().count(&app.db).await.unwrap();
        let appointed = mutate(&app, &staff, appoint, json!({ "membershipId": premier, "representativeName": "Jane Doe",
            "title": "Head of Open Source", "since": "2024-05-01" })).await;
        assert_eq!(appointed["userErrors"], json!([]), "{appointed}");
        assert_eq!(appointed["boardSeat"]["representative"]["name"], "Jane Doe");
        assert_eq!(board_seat::Entity::find().count(&app.db).await.unwrap(), seats_before + 1);
        let seats = app.query(r#"{ foundationMemberships(filter: { tier: PREMIER }) { nodes { version boardSeats { until representative { name } } } } }"#, json!({})).await;
        let seats = seats["foundationMemberships"]["nodes"][0].clone();
        let open: Vec<&Value> = seats["boardSeats"].as_array().unwrap().iter().filter(|s| s["until"].is_null()).collect();
        assert_eq!(open.len(), 1, "one open seat for a premier membership");
        assert_eq!(open[0]["representative"]["name"], "Jane Doe");
        assert!(seats["boardSeats"].as_array().unwrap().iter().any(|s| s["representative"]["name"] == "Lysandre Debut" && s["until"] == "2024-05-01"));

        // Ending the membership closes the seat; an ended membership takes no appointment.
        let version = seats["version"].clone();
        let ended = mutate(&app, &staff, end, json!({ "membershipId": premier, "endedOn": "2025-01-31", "expectedVersion": version })).await;
        assert_eq!(ended["membership"]["active"], false);
        assert!(ended["membership"]["boardSeats"].as_array().unwrap().iter().all(|s| !s["until"].is_null()));
        assert_eq!(code(&mutate(&app, &staff, appoint, json!({ "membershipId": premier, "representativeName": "Late" })).await), "CONFLICT");

        let audit = app.graphql_as(Some(&staff), r#"{ auditEvents(first: 100) { nodes { action } } }"#, json!({})).await.expect_ok();
        let actions: Vec<&str> = audit["auditEvents"]["nodes"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for action in ["organization.create", "organization.update", "membership.record", "boardSeat.appoint", "membership.end"] {
            assert!(actions.contains(&action), "{action} missing from {actions:?}");
        }
        assert_eq!(actions.iter().filter(|a| **a == "membership.record").count(), 1, "the retry was recorded twice");
    }
    async fn a_foundation_stays_a_foundation_while_memberships_name_it(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let pytorch = app.query(r#"{ organization(slug: "pytorch-foundation") { id kind version } }"#, json!({})).await;
        let pytorch = &pytorch["organization"];
        assert_eq!(pytorch["kind"], "FOUNDATION");
        let audits = audit_count(&app).await;

        let refused = mutate(&app, &staff, UPDATE_ORGANIZATION, json!({ "organizationId": pytorch["id"], "kind": "COMPANY",
            "expectedVersion": pytorch["version"] })).await;
        assert_eq!(code(&refused), "CONFLICT");
        let after = app.query(r#"{ organization(slug: "pytorch-foundation") { kind version } }"#, json!({})).await;
        assert_eq!(after["organization"]["kind"], "FOUNDATION");
        assert_eq!(after["organization"]["version"], pytorch["version"], "a refused change left no trace");
        assert_eq!(audit_count(&app).await, audits);

        // A foundation nobody is a member of may become something else.
        let empty = mutate(&app, &staff, CREATE_ORGANIZATION, json!({ "slug": "empty-foundation", "name": "Empty", "kind": "FOUNDATION" })).await;
        let changed = mutate(&app, &staff, UPDATE_ORGANIZATION, json!({ "organizationId": empty["organization"]["id"], "kind": "NONPROFIT",
            "expectedVersion": 1 })).await;
        assert_eq!(changed["userErrors"], json!([]), "{changed}");
        assert_eq!(changed["organization"]["kind"], "NONPROFIT");
    }

    async fn a_kind_change_and_a_new_membership_racing_never_both_land(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let member = app.query(r#"{ organization(slug: "hugging-face") { id } }"#, json!({})).await["organization"]["id"].clone();
        for round in 0..12 {
            let foundation = mutate(&app, &staff, CREATE_ORGANIZATION, json!({ "slug": format!("race-{round}"), "name": "Race", "kind": "FOUNDATION" })).await;
            let foundation = foundation["organization"]["id"].clone();
            let (kind_change, membership) = tokio::join!(
                mutate(&app, &staff, UPDATE_ORGANIZATION, json!({ "organizationId": foundation, "kind": "COMPANY", "expectedVersion": 1 })),
                mutate(&app, &staff, RECORD_MEMBERSHIP, json!({ "memberId": member, "foundationId": foundation, "tier": "GENERAL" })),
            );
            let kind_changed = kind_change["userErrors"] == json!([]);
            let recorded = membership["userErrors"] == json!([]);
            assert!(kind_changed != recorded, "round {round}: exactly one lands: {kind_change} {membership}");
            let now = app.query("query($id: ID!) { node(id: $id) { ... on Organization { kind } } }", json!({ "id": foundation })).await;
            assert_eq!(now["node"]["kind"] == "FOUNDATION", recorded, "round {round}: a member's foundation is a foundation");
        }
    }

    async fn parents_changed_at_the_same_time_never_close_a_cycle(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let mut ids = Vec::new();
        for slug in ["umbrella-a", "umbrella-b"] {
            let created = mutate(&app, &staff, CREATE_ORGANIZATION, json!({ "slug": slug, "name": slug, "kind": "NONPROFIT" })).await;
            ids.push(created["organization"]["id"].clone());
        }
        let version = |org: &Value| org["version"].clone();
        for round in 0..12 {
            let read = |id: Value| {
                let app = &app;
                async move { app.query("query($id: ID!) { node(id: $id) { ... on Organization { version parent { id } } } }", json!({ "id": id })).await["node"].clone() }
            };
            let (a, b) = (read(ids[0].clone()).await, read(ids[1].clone()).await);
            let (under_b, under_a) = tokio::join!(
                mutate(&app, &staff, UPDATE_ORGANIZATION, json!({ "organizationId": ids[0], "parentId": ids[1], "expectedVersion": version(&a) })),
                mutate(&app, &staff, UPDATE_ORGANIZATION, json!({ "organizationId": ids[1], "parentId": ids[0], "expectedVersion": version(&b) })),
            );
            let landed = [&under_b, &under_a].iter().filter(|p| p["userErrors"] == json!([])).count();
            assert_eq!(landed, 1, "round {round}: one of the two lands, the other meets it: {under_b} {under_a}");
            let refused = if under_b["userErrors"] == json!([]) { &under_a } else { &under_b };
            assert_eq!(refused["userErrors"][0]["field"], json!(["input", "parentId"]), "round {round}: {refused}");
            let (a, b) = (read(ids[0].clone()).await, read(ids[1].clone()).await);
            assert!(a["parent"].is_null() || b["parent"].is_null(), "round {round}: a cycle was stored: {a} {b}");
            // Back to two roots for the next round.
            for (id, org) in [(&ids[0], &a), (&ids[1], &b)] {
                if !org["parent"].is_null() {
                    let undone = mutate(&app, &staff, UPDATE_ORGANIZATION, json!({ "organizationId": id, "parentId": null, "expectedVersion": version(org) })).await;
                    assert_eq!(undone["userErrors"], json!([]));
                }
            }
        }
    }

    async fn a_profile_edit_records_the_name_it_changed_and_the_request_that_changed_it(backend) {
        let app = TestApp::with_demo(backend).await;
        let (maria, version) = fellow_ref(&app, "mariagrandury").await;
        let own = app.token(Role::Fellow, "mariagrandury");
        let headers = [("X-Request-Id", "rename-maria-1")];
        let edited = app.graphql_with(Some(&own), &headers, PROFILE,
            json!({ "input": { "fellowId": maria, "name": "María Grandury López", "expectedVersion": version } })).await.expect_ok();
        assert_eq!(edited["updateFellowProfile"]["fellow"]["name"], "María Grandury López");

        let staff = app.token(Role::Staff, "merve");
        let audit = app.graphql_as(Some(&staff), r#"query($id: ID!) { auditEvents(filter: { objectId: $id }) { nodes { action requestId before after } } }"#,
            json!({ "id": maria })).await.expect_ok();
        let records = audit["auditEvents"]["nodes"].as_array().unwrap();
        assert_eq!(records.len(), 1, "{records:?}");
        let record = &records[0];
        assert_eq!(record["action"], "fellow.updateProfile");
        assert_eq!(record["before"]["name"], "María Grandury");
        assert_eq!(record["after"]["name"], "María Grandury López");
        assert_eq!(record["requestId"], "rename-maria-1");

        // Without a header of its own, the record carries the id the response was given.
        let response = app.client.post(app.url("/graphql")).bearer_auth(&own)
            .json(&json!({ "query": PROFILE, "variables": { "input": { "fellowId": maria, "headline": "NLP", "expectedVersion": version + 1 } } }))
            .send().await.unwrap();
        let given = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(response.json::<Value>().await.unwrap()["data"]["updateFellowProfile"]["userErrors"], json!([]));
        let audit = app.graphql_as(Some(&staff), r#"query($id: ID!) { auditEvents(filter: { objectId: $id }) { nodes { requestId after } } }"#,
            json!({ "id": maria })).await.expect_ok();
        let newest = &audit["auditEvents"]["nodes"][0];
        assert_eq!(newest["after"]["headline"], "NLP");
        assert_eq!(newest["requestId"], given);
    }
}
