//! Dates from clients are days of the years 1900 to 9999 in `YYYY-MM-DD` form; year 0,
//! negative years and five-digit years are refused with `BAD_USER_INPUT` and write
//! nothing.

use api::auth::Role;
use entity::benefit_grant;
use fellowship_tests::{on_both_databases, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

const GRANT: &str = r#"mutation($input: GrantBenefitInput!) { grantBenefit(input: $input) {
    benefitGrant { grantedOn } userErrors { field code } } }"#;

on_both_databases! {
    async fn dates_outside_the_years_1900_to_9999_are_refused_and_write_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let fellow = app.query(r#"{ fellow(handle: "ceyda") { id } }"#, json!({})).await["fellow"]["id"].clone();
        let before = benefit_grant::Entity::find().count(&app.db).await.unwrap();
        for date in ["0000-01-01", "-0001-06-01", "-2022-04-18", "1899-12-31", "10000-01-01", "+2022-04-18", "2022-4-18"] {
            // As a variable and as a literal in the document.
            let variable = app.graphql_as(Some(&staff), GRANT,
                json!({ "input": { "fellowId": fellow, "kind": "COMPUTE", "grantedOn": date } })).await;
            assert_eq!(variable.error_codes(), ["BAD_USER_INPUT"], "{date}: {}", variable.body);
            let literal = format!(r#"mutation($id: ID!) {{ grantBenefit(input: {{ fellowId: $id, kind: COMPUTE, grantedOn: "{date}" }}) {{ benefitGrant {{ grantedOn }} }} }}"#);
            let literal = app.graphql_as(Some(&staff), &literal, json!({ "id": fellow })).await;
            assert_eq!(literal.error_codes(), ["BAD_USER_INPUT"], "{date}: {}", literal.body);
        }
        assert_eq!(benefit_grant::Entity::find().count(&app.db).await.unwrap(), before);

        for date in ["1900-01-01", "2022-04-18"] {
            let granted = app.graphql_as(Some(&staff), GRANT,
                json!({ "input": { "fellowId": fellow, "kind": "COMPUTE", "grantedOn": date } })).await.expect_ok();
            assert_eq!(granted["grantBenefit"]["benefitGrant"]["grantedOn"], date);
        }
    }

    async fn a_date_time_at_year_zero_or_before_is_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        for at in ["0000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "+10000-01-01T00:00:00Z"] {
            let response = app.graphql_as(Some(&staff),
                r#"mutation($at: DateTime) { createApiToken(input: { name: "p", scopes: [], expiresAt: $at }) { token userErrors { field code } } }"#,
                json!({ "at": at })).await;
            let code = response.error_codes().first().cloned()
                .or_else(|| response.data()["createApiToken"]["userErrors"][0]["code"].as_str().map(str::to_owned));
            assert_eq!(code.as_deref(), Some("BAD_USER_INPUT"), "{at}: {}", response.body);
            assert!(response.data()["createApiToken"]["token"].is_null(), "{at}");
        }
    }
}
