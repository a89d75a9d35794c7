//! Accounts that staff manage: inviting staff members, giving fellows accounts,
//! disabling and enabling them, and listing them; who may, what a change does to the
//! holder's tokens and subscriptions at once, and what the audit log keeps.

use std::time::Duration;

use api::auth::Role;
use api::graphql::ids::{self, NodeType};
use entity::{account, audit_event, person};
use fellowship_tests::ws::{WsClient, NOMINATION_EVENTS};
use fellowship_tests::{mutate, user_error_code as code};
use fellowship_tests::{on_both_databases, seed, GraphqlResponse, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

/// A mutation document answering the account with the fields the tests read, and the
/// user errors: `$head` is the document up to the field's arguments.
macro_rules! answering_the_account {
    ($head:literal) => {
        concat!(
            $head,
            " { account { id role handle enabled disabledAt disabledNote disabledBy { handle } \
             person { name handle } } userErrors { field code } } }"
        )
    };
}

const INVITE: &str = answering_the_account!(
    "mutation($input: InviteStaffMemberInput!) { inviteStaffMember(input: $input)"
);
const CREATE_FELLOW_ACCOUNT: &str = answering_the_account!(
    "mutation($input: CreateFellowAccountInput!) { createFellowAccount(input: $input)"
);
const DISABLE: &str = answering_the_account!(
    "mutation($input: DisableAccountInput!) { disableAccount(input: $input)"
);
const ENABLE: &str =
    answering_the_account!("mutation($input: EnableAccountInput!) { enableAccount(input: $input)");

const LIST: &str = r#"query($first: Int, $after: String, $last: Int, $before: String, $filter: AccountFilter) {
    accounts(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
        totalCount edges { cursor node { id role handle enabled } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"#;

const VIEWER: &str = "{ viewer { role handle fellow { handle } } }";

/// The account of the person with this handle, as the database has it.
async fn account_row(app: &TestApp, handle: &str) -> account::Model {
    let person = person::Entity::find()
        .filter(person::Column::Handle.eq(handle))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{handle} is in the records"));
    account::Entity::find()
        .filter(account::Column::PersonId.eq(person.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{handle} has an account"))
}

/// The global ID of the account of the person with this handle.
async fn account_id(app: &TestApp, handle: &str) -> String {
    ids::encode(NodeType::Account, account_row(app, handle).await.id).0
}

/// Every account row and the number of audit records: what a refused change must leave
/// as it was.
async fn state(app: &TestApp) -> (Vec<account::Model>, u64) {
    (
        account::Entity::find()
            .order_by_asc(account::Column::Id)
            .all(&app.db)
            .await
            .unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
    )
}

/// The HTTP status and the role `viewer` answers for `token`.
async fn signed_in(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app.graphql_as(Some(token), VIEWER, json!({})).await;
    (
        response.status,
        response.body["data"]["viewer"]["role"].clone(),
    )
}

/// A partner token with `benefits:read`, minted by staff.
async fn partner_token(app: &TestApp, staff: &str) -> String {
    let created = app
        .graphql_as(
            Some(staff),
            r#"mutation { createApiToken(input: { name: "partner", scopes: ["benefits:read"] }) { token } }"#,
            json!({}),
        )
        .await
        .expect_ok();
    created["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_both_databases! {
    async fn only_staff_list_look_up_or_change_accounts(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let partner = partner_token(&app, &staff).await;
        let maria = account_id(&app, "mariagrandury").await;
        let fellow = ids::encode(NodeType::Fellow, 1).0;
        let before = state(&app).await;
        let operations = [
            (LIST, json!({}), "accounts"),
            ("query($id: ID!) { node(id: $id) { ... on Account { role } } }", json!({ "id": maria }), "node"),
            (INVITE, json!({ "input": { "handle": "intruder", "name": "Intruder" } }), "inviteStaffMember"),
            (CREATE_FELLOW_ACCOUNT, json!({ "input": { "fellowId": fellow } }), "createFellowAccount"),
            (DISABLE, json!({ "input": { "accountId": maria } }), "disableAccount"),
            (ENABLE, json!({ "input": { "accountId": maria } }), "enableAccount"),
        ];
        let callers = [
            ("anonymous", None),
            ("partner", Some(partner)),
            ("fellow", Some(app.token(Role::Fellow, "mariagrandury"))),
        ];
        for (caller, token) in &callers {
            for (query, variables, field) in &operations {
                let response = app.graphql_as(token.as_deref(), query, variables.clone()).await;
                assert_eq!(response.status, 200, "{caller} {field}: {}", response.body);
                assert_eq!(response.error_codes(), ["FORBIDDEN"], "{caller} {field}: {}", response.body);
                // A query's field is null; a mutation's payload is not nullable, so `data` is.
                assert!(response.body["data"][*field].is_null(), "{caller} {field}: {}", response.body);
            }
        }
        assert_eq!(state(&app).await, before, "a refused caller changed something");

        // Staff reach the same account by its ID.
        let found = app.graphql_as(Some(&staff), "query($id: ID!) { node(id: $id) { id ... on Account { role handle enabled person { name } } } }",
            json!({ "id": maria })).await.expect_ok();
        assert_eq!(found["node"], json!({ "id": maria, "role": "FELLOW", "handle": "mariagrandury", "enabled": true, "person": { "name": "María Grandury" } }));
    }

    async fn an_invited_staff_member_signs_in_and_does_staff_work(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let newcomer = app.token(Role::Staff, "lvwerra");
        assert_eq!(signed_in(&app, &newcomer).await.0, 401, "no account, no sign-in");

        let invited = mutate(&app, &merve, INVITE, json!({ "handle": "lvwerra", "name": "Leandro von Werra" })).await;
        assert_eq!(invited["userErrors"], json!([]), "{invited}");
        let account = &invited["account"];
        assert_eq!((account["role"].as_str(), account["handle"].as_str(), account["enabled"].as_bool()),
            (Some("STAFF"), Some("lvwerra"), Some(true)));
        assert_eq!(account["person"]["name"], "Leandro von Werra");

        assert_eq!(signed_in(&app, &newcomer).await, (200, json!("STAFF")));
        // Staff work: the newcomer lists the accounts and invites someone in turn.
        let listed = app.graphql_as(Some(&newcomer), LIST, json!({ "filter": { "role": "STAFF" } })).await.expect_ok();
        assert_eq!(listed["accounts"]["totalCount"], 3);
        let next = mutate(&app, &newcomer, INVITE, json!({ "handle": "julien-c", "name": "Julien Chaumond" })).await;
        assert_eq!(next["userErrors"], json!([]), "{next}");

        // Someone the records know already needs no name, and keeps theirs.
        seed::person(&app.db, "Known Person", Some("known-person")).await;
        let known = mutate(&app, &merve, INVITE, json!({ "handle": "Known-Person" })).await;
        assert_eq!(known["userErrors"], json!([]), "{known}");
        assert_eq!(known["account"]["person"], json!({ "name": "Known Person", "handle": "known-person" }));
    }

    async fn inviting_refuses_a_handle_with_an_account_or_without_a_name_and_changes_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let before = state(&app).await;
        for (input, code, field) in [
            // An account of either role is never merged or turned into a staff one.
            (json!({ "handle": "ESPEJELOMAR" }), "CONFLICT", Value::Null),
            (json!({ "handle": "ceyda", "name": "Ceyda" }), "CONFLICT", Value::Null),
            (json!({ "handle": "nobody-yet" }), "BAD_USER_INPUT", json!(["input", "name"])),
            (json!({ "handle": "nobody-yet", "name": "  " }), "BAD_USER_INPUT", json!(["input", "name"])),
            (json!({ "handle": "not a handle", "name": "X" }), "BAD_USER_INPUT", json!(["input", "handle"])),
        ] {
            let refused = mutate(&app, &merve, INVITE, input.clone()).await;
            assert_eq!(refused["account"], Value::Null, "{input}");
            assert_eq!(code_and_field(&refused), (code, field), "{input}: {refused}");
        }
        assert_eq!(state(&app).await, before);
        assert_eq!(account_row(&app, "ceyda").await.role, entity::enums::AccountRole::Fellow);
    }

    async fn a_fellow_given_an_account_signs_in(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let joined = chrono::NaiveDate::from_ymd_opt(2023, 5, 1).unwrap();
        let fellow = seed::fellow(&app.db, "Lone Fellow", "lone-fellow", joined, None).await;
        let fellow_id = ids::encode(NodeType::Fellow, fellow.id).0;
        let token = app.token(Role::Fellow, "lone-fellow");
        assert_eq!(signed_in(&app, &token).await.0, 401, "a fellow without an account cannot sign in");

        let created = mutate(&app, &merve, CREATE_FELLOW_ACCOUNT, json!({ "fellowId": fellow_id })).await;
        assert_eq!(created["userErrors"], json!([]), "{created}");
        assert_eq!(created["account"]["role"], "FELLOW");
        assert_eq!(created["account"]["handle"], "lone-fellow");
        let viewer = app.graphql_as(Some(&token), VIEWER, json!({})).await.expect_ok();
        assert_eq!(viewer["viewer"], json!({ "role": "FELLOW", "handle": "lone-fellow", "fellow": { "handle": "lone-fellow" } }));

        let before = state(&app).await;
        let again = mutate(&app, &merve, CREATE_FELLOW_ACCOUNT, json!({ "fellowId": fellow_id })).await;
        assert_eq!(code_and_field(&again), ("CONFLICT", Value::Null), "{again}");
        let unknown = mutate(&app, &merve, CREATE_FELLOW_ACCOUNT, json!({ "fellowId": ids::encode(NodeType::Fellow, 999_999).0 })).await;
        assert_eq!(code_and_field(&unknown), ("NOT_FOUND", json!(["input", "fellowId"])), "{unknown}");
        let person_id = mutate(&app, &merve, CREATE_FELLOW_ACCOUNT, json!({ "fellowId": ids::encode(NodeType::Person, fellow.person_id).0 })).await;
        assert_eq!(code_and_field(&person_id), ("BAD_USER_INPUT", json!(["input", "fellowId"])), "{person_id}");
        assert_eq!(state(&app).await, before);
    }

    async fn a_disabled_account_is_refused_at_once_over_http_and_websocket_until_enabled(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let maria = app.token(Role::Fellow, "mariagrandury");
        let id = account_id(&app, "mariagrandury").await;
        let mut socket = WsClient::signed_in(&app.address, &maria).await;
        socket.subscribe("e", NOMINATION_EVENTS, json!({})).await;
        socket.expect_silence(Duration::from_millis(1500)).await;

        let disabled = mutate(&app, &merve, DISABLE, json!({ "accountId": id, "note": "Asked to pause" })).await;
        assert_eq!(disabled["userErrors"], json!([]), "{disabled}");
        let account = &disabled["account"];
        assert_eq!(account["enabled"], false);
        assert!(account["disabledAt"].is_string(), "{account}");
        assert_eq!(account["disabledNote"], "Asked to pause");
        assert_eq!(account["disabledBy"]["handle"], "merve");

        // The very next request is refused, and the open subscription ends.
        let refused = app.graphql_as(Some(&maria), VIEWER, json!({})).await;
        assert_eq!((refused.status, refused.error_codes()), (401, vec!["UNAUTHENTICATED".to_owned()]));
        let (close, reason) = socket.expect_close(Duration::from_secs(5)).await;
        assert_eq!(close, 4403, "{reason}");
        assert!(reason.contains("disabled"), "{reason}");

        let twice = mutate(&app, &merve, DISABLE, json!({ "accountId": id })).await;
        assert_eq!(code_and_field(&twice), ("CONFLICT", Value::Null), "{twice}");

        let enabled = mutate(&app, &merve, ENABLE, json!({ "accountId": id })).await;
        assert_eq!(enabled["userErrors"], json!([]), "{enabled}");
        assert_eq!((&enabled["account"]["enabled"], &enabled["account"]["disabledAt"], &enabled["account"]["disabledBy"], &enabled["account"]["disabledNote"]),
            (&json!(true), &Value::Null, &Value::Null, &Value::Null));
        // The same token works again, on both transports.
        assert_eq!(signed_in(&app, &maria).await, (200, json!("FELLOW")));
        WsClient::signed_in(&app.address, &maria).await.close().await;

        let again = mutate(&app, &merve, ENABLE, json!({ "accountId": id })).await;
        assert_eq!(code_and_field(&again), ("CONFLICT", Value::Null), "{again}");
        let unknown = mutate(&app, &merve, DISABLE, json!({ "accountId": ids::encode(NodeType::Account, 999_999).0 })).await;
        assert_eq!(code_and_field(&unknown), ("NOT_FOUND", json!(["input", "accountId"])), "{unknown}");
    }

    async fn staff_can_neither_disable_themselves_nor_leave_no_staff_enabled(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let omar = app.token(Role::Staff, "espejelomar");
        let (merve_id, omar_id) = (account_id(&app, "merve").await, account_id(&app, "espejelomar").await);
        let before = state(&app).await;
        let own = mutate(&app, &merve, DISABLE, json!({ "accountId": merve_id, "note": "Leaving" })).await;
        assert_eq!(code_and_field(&own), ("FORBIDDEN", json!(["input", "accountId"])), "{own}");
        assert_eq!(own["account"], Value::Null);
        assert_eq!(state(&app).await, before, "a refused disabling changed something");

        // Two staff members disabling each other at once: one lands, the other meets it
        // (as a CONFLICT, or, when its request came after, with its own token refused).
        for round in 0..8 {
            let (by_merve, by_omar) = tokio::join!(
                app.graphql_as(Some(&merve), DISABLE, json!({ "input": { "accountId": omar_id } })),
                app.graphql_as(Some(&omar), DISABLE, json!({ "input": { "accountId": merve_id } })),
            );
            let landed = |response: &GraphqlResponse| {
                response.status == 200 && response.body["data"]["disableAccount"]["userErrors"] == json!([])
            };
            assert!(landed(&by_merve) != landed(&by_omar), "round {round}: exactly one lands: {by_merve:?} {by_omar:?}");
            // The winner's target is the account now disabled.
            let (winner, loser, disabled) = if landed(&by_merve) { (&merve, &by_omar, &omar_id) } else { (&omar, &by_merve, &merve_id) };
            match loser.status {
                200 => assert_eq!(loser.body["data"]["disableAccount"]["userErrors"][0]["code"], "CONFLICT", "round {round}: {loser:?}"),
                status => assert_eq!((status, loser.error_codes()), (401, vec!["UNAUTHENTICATED".to_owned()]), "round {round}"),
            }
            let enabled_staff = account::Entity::find()
                .filter(account::Column::Role.eq(entity::enums::AccountRole::Staff))
                .filter(account::Column::DisabledAt.is_null())
                .count(&app.db).await.unwrap();
            assert_eq!(enabled_staff, 1, "round {round}: staff are never locked out");
            // The one left enables the other for the next round.
            let back = mutate(&app, winner, ENABLE, json!({ "accountId": disabled })).await;
            assert_eq!(back["userErrors"], json!([]), "round {round}: {back}");
        }
    }

    async fn accounts_are_listed_by_role_and_state_and_paged(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let disabled = mutate(&app, &merve, DISABLE, json!({ "accountId": account_id(&app, "ceyda").await })).await;
        assert_eq!(disabled["userErrors"], json!([]));
        let list = |filter: Value| {
            let (app, merve) = (&app, &merve);
            async move { app.graphql_as(Some(merve), LIST, json!({ "filter": filter })).await.expect_ok()["accounts"].clone() }
        };
        let handles = |connection: &Value| -> Vec<String> {
            connection["edges"].as_array().unwrap().iter().map(|e| e["node"]["handle"].as_str().unwrap().to_owned()).collect()
        };

        let staff = list(json!({ "role": "STAFF" })).await;
        assert_eq!(staff["totalCount"], 2);
        assert_eq!(handles(&staff), ["merve", "espejelomar"], "oldest first");
        let off = list(json!({ "disabled": true })).await;
        assert_eq!((off["totalCount"].clone(), handles(&off)), (json!(1), vec!["ceyda".to_owned()]));
        let fellows_on = list(json!({ "role": "FELLOW", "disabled": false })).await;
        assert_eq!(fellows_on["totalCount"], 6);
        assert!(fellows_on["edges"].as_array().unwrap().iter().all(|e| e["node"]["role"] == "FELLOW" && e["node"]["enabled"] == true));
        let all = list(Value::Null).await;
        assert_eq!(all["totalCount"], 9);

        // Pages of two, either way, add up to the whole list in its order.
        let whole: Vec<Value> = all["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].clone()).collect();
        assert_eq!(page_through(&app, &merve, false).await, whole);
        assert_eq!(page_through(&app, &merve, true).await, whole);
        let page = app.graphql_as(Some(&merve), LIST, json!({ "first": 4, "filter": { "role": "FELLOW" } })).await.expect_ok();
        assert_eq!(page["accounts"]["pageInfo"]["hasNextPage"], true);
        let rest = app.graphql_as(Some(&merve), LIST, json!({ "first": 4, "after": page["accounts"]["pageInfo"]["endCursor"], "filter": { "role": "FELLOW" } })).await.expect_ok();
        assert_eq!(rest["accounts"]["edges"].as_array().unwrap().len(), 3);
        assert_eq!(rest["accounts"]["pageInfo"]["hasNextPage"], false);

        for variables in [json!({ "first": 101 }), json!({ "first": -1 }), json!({ "after": "bm90LWEtY3Vyc29y" })] {
            let refused = app.graphql_as(Some(&merve), LIST, variables.clone()).await;
            assert_eq!(refused.error_codes(), ["BAD_USER_INPUT"], "{variables}");
        }
    }

    async fn every_account_change_is_in_the_audit_log(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let joined = chrono::NaiveDate::from_ymd_opt(2023, 5, 1).unwrap();
        let fellow = seed::fellow(&app.db, "Audited Fellow", "audited-fellow", joined, None).await;
        let invited = mutate(&app, &merve, INVITE, json!({ "handle": "new-staff", "name": "New Staff" })).await;
        let staff_id = invited["account"]["id"].clone();
        let created = mutate(&app, &merve, CREATE_FELLOW_ACCOUNT, json!({ "fellowId": ids::encode(NodeType::Fellow, fellow.id).0 })).await;
        let fellow_account = created["account"]["id"].clone();
        mutate(&app, &merve, DISABLE, json!({ "accountId": staff_id, "note": "On leave" })).await;
        mutate(&app, &merve, ENABLE, json!({ "accountId": staff_id })).await;
        // Refusals record nothing.
        let before = state(&app).await.1;
        mutate(&app, &merve, ENABLE, json!({ "accountId": staff_id })).await;
        mutate(&app, &merve, INVITE, json!({ "handle": "new-staff", "name": "New Staff" })).await;
        assert_eq!(state(&app).await.1, before);

        let audit = |filter: Value| {
            let (app, merve) = (&app, &merve);
            async move {
                app.graphql_as(Some(merve), "query($filter: AuditEventFilter) { auditEvents(filter: $filter) {
                    nodes { action objectType objectId actor { handle } before after } } }", json!({ "filter": filter }))
                    .await.expect_ok()["auditEvents"]["nodes"].clone()
            }
        };
        let of_staff = audit(json!({ "objectId": staff_id })).await;
        let actions: Vec<&str> = of_staff.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["account.enable", "account.disable", "account.invite"]);
        for event in of_staff.as_array().unwrap() {
            assert_eq!((&event["objectType"], &event["objectId"], &event["actor"]["handle"]), (&json!("Account"), &staff_id, &json!("merve")));
        }
        let (enabled, disabled, invitation) = (&of_staff[0], &of_staff[1], &of_staff[2]);
        assert_eq!((&invitation["before"], &invitation["after"]["role"], &invitation["after"]["handle"], &invitation["after"]["newPerson"]),
            (&Value::Null, &json!("STAFF"), &json!("new-staff"), &json!(true)));
        assert_eq!((&disabled["before"]["disabled_at"], &disabled["after"]["disabled_note"]), (&Value::Null, &json!("On leave")));
        assert!(disabled["after"]["disabled_at"].is_string(), "{disabled}");
        assert_eq!((&enabled["before"]["disabled_note"], &enabled["after"]["disabled_at"]), (&json!("On leave"), &Value::Null));

        let grant = audit(json!({ "objectId": fellow_account })).await;
        assert_eq!(grant.as_array().unwrap().len(), 1);
        assert_eq!((&grant[0]["action"], &grant[0]["after"]["role"], &grant[0]["after"]["newPerson"]),
            (&json!("account.create"), &json!("FELLOW"), &json!(false)));
    }
}

/// The code and field of a payload's first user error.
fn code_and_field(payload: &Value) -> (&str, Value) {
    (code(payload), payload["userErrors"][0]["field"].clone())
}

/// Every account's ID, paging two at a time as `token` (`page_forward` and
/// `page_backward` of the harness ask anonymously, and accounts are for staff): with
/// `first`/`after`, or with `last`/`before`, answered in the list's order either way.
async fn page_through(app: &TestApp, token: &str, backward: bool) -> Vec<Value> {
    let mut pages: Vec<Vec<Value>> = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..100 {
        let variables = if backward {
            json!({ "last": 2, "before": cursor })
        } else {
            json!({ "first": 2, "after": cursor })
        };
        let data = app
            .graphql_as(Some(token), LIST, variables)
            .await
            .expect_ok();
        let connection = &data["accounts"];
        pages.push(
            connection["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].clone())
                .collect(),
        );
        let info = &connection["pageInfo"];
        let (more, next) = if backward {
            (info["hasPreviousPage"].as_bool(), &info["startCursor"])
        } else {
            (info["hasNextPage"].as_bool(), &info["endCursor"])
        };
        if more != Some(true) {
            if backward {
                pages.reverse();
            }
            return pages.into_iter().flatten().collect();
        }
        cursor = next.clone();
    }
    panic!("paging did not end");
}
