//! Matching ignoring case follows one rule on both databases (`entity::folding`):
//! Unicode lowercase after canonical normalization, where `İ` is not `i`.

use api::auth::Role;
use chrono::Utc;
use entity::enums::AccountRole;
use entity::{account, person};
use fellowship_tests::{on_both_databases, seed, TestApp};
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, Set};
use serde_json::{json, Value};

const FELLOW: &str = "query($handle: String!) { fellow(handle: $handle) { handle } }";
const FELLOWS: &str =
    "query($search: String) { fellows(filter: { search: $search }) { nodes { handle } } }";
const AREA: &str = "query($slug: String!) { strategicArea(slug: $slug) { slug } }";
const AREAS: &str =
    "query($search: String) { strategicAreas(filter: { search: $search }) { nodes { slug } } }";
const ORGANIZATION: &str = "query($slug: String!) { organization(slug: $slug) { slug } }";
const ORGANIZATIONS: &str =
    "query($search: String) { organizations(filter: { search: $search }) { nodes { slug } } }";
const VIEWER: &str = "{ viewer { person { name } } }";

/// The `field` of what `query` answers for `variables`, or the error codes.
async fn answer(app: &TestApp, query: &str, variables: Value, root: &str, field: &str) -> Value {
    let response = app.graphql(query, variables).await;
    match response.error_codes() {
        codes if codes.is_empty() => response.data()[root][field].clone(),
        codes => json!(codes),
    }
}

async fn fellow_found_by(app: &TestApp, handle: &str) -> Value {
    answer(app, FELLOW, json!({ "handle": handle }), "fellow", "handle").await
}

async fn area_found_by(app: &TestApp, slug: &str) -> Value {
    answer(app, AREA, json!({ "slug": slug }), "strategicArea", "slug").await
}

/// The name of the person a fellow token for `handle` signs in as (null for nobody).
async fn signed_in_as(app: &TestApp, handle: &str) -> Value {
    let token = app.token(Role::Fellow, handle);
    app.graphql_as(Some(&token), VIEWER, json!({})).await.data()["viewer"]["person"]["name"].clone()
}

async fn found(app: &TestApp, query: &str, list: &str, field: &str, search: &str) -> Vec<String> {
    let data = app.query(query, json!({ "search": search })).await;
    data[list]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n[field].as_str().unwrap().to_owned())
        .collect()
}

async fn insert_person(
    db: &DatabaseConnection,
    name: &str,
    handle: &str,
) -> Result<person::Model, DbErr> {
    let now = Utc::now();
    person::ActiveModel {
        name: Set(name.to_owned()),
        handle: Set(Some(handle.to_owned())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

on_both_databases! {
    async fn a_dotted_capital_i_is_not_an_i_in_a_handle(backend) {
        let app = TestApp::with_demo(backend).await;
        assert_eq!(fellow_found_by(&app, "MARIAGRANDURY").await, "mariagrandury");
        assert_eq!(fellow_found_by(&app, "MARİAGRANDURY").await, json!(["NOT_FOUND"]));
        assert_eq!(fellow_found_by(&app, "marİagrandury").await, json!(["NOT_FOUND"]));
    }

    async fn a_handle_is_found_whatever_the_case_of_its_non_ascii_letters(backend) {
        let app = TestApp::with_demo(backend).await;
        seed::fellow(&app.db, "Émile Ñúñez", "ÉMILE-ÑÚÑEZ", chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), None).await;
        assert_eq!(fellow_found_by(&app, "émile-ñúñez").await, "ÉMILE-ÑÚÑEZ");
        // The same letters, decomposed into base letter and accent.
        assert_eq!(fellow_found_by(&app, "e\u{301}mile-n\u{303}u\u{301}n\u{303}ez").await, "ÉMILE-ÑÚÑEZ");
        assert_eq!(fellow_found_by(&app, "emile-nunez").await, json!(["NOT_FOUND"]), "accents still count");
    }

    async fn a_search_ignores_the_case_of_accented_letters(backend) {
        let app = TestApp::with_demo(backend).await;
        for search in ["MARÍA", "maría", "MaRíA gRaNdUrY", "MARI\u{301}A", "ÇıNAREL"] {
            let expected = if search.contains('ı') { "ceyda" } else { "mariagrandury" };
            assert_eq!(found(&app, FELLOWS, "fellows", "handle", search).await, [expected], "{search}");
        }
        assert_eq!(found(&app, FELLOWS, "fellows", "handle", "MARİA").await, Vec::<String>::new());
        // Wildcards are still plain text once folded.
        assert_eq!(found(&app, FELLOWS, "fellows", "handle", "M_RÍA").await, Vec::<String>::new());

        seed::strategic_area(&app.db, "etica", "Ética y sesgo").await;
        seed::organization(&app.db, "societe", "Société Générale").await;
        assert_eq!(found(&app, AREAS, "strategicAreas", "slug", "ÉTICA Y").await, ["etica"]);
        assert_eq!(found(&app, ORGANIZATIONS, "organizations", "slug", "SOCIÉTÉ GÉN").await, ["societe"]);
    }

    async fn a_renamed_record_is_found_by_its_new_name_ignoring_case(backend) {
        let app = TestApp::with_demo(backend).await;
        let token = app.token(Role::Fellow, "mariagrandury");
        let id = app.query("{ fellow(handle: \"mariagrandury\") { id } }", json!({})).await["fellow"]["id"].clone();
        let edited = app.graphql_as(Some(&token),
            "mutation($input: UpdateFellowProfileInput!) { updateFellowProfile(input: $input) { userErrors { code } } }",
            json!({ "input": { "fellowId": id, "name": "Maria Ñandú", "headline": "Fundadora de SomosNLP, Ávila", "expectedVersion": 1 } })).await.expect_ok();
        assert_eq!(edited["updateFellowProfile"]["userErrors"], json!([]));
        assert_eq!(found(&app, FELLOWS, "fellows", "handle", "ÑANDÚ").await, ["mariagrandury"]);
        assert_eq!(found(&app, FELLOWS, "fellows", "handle", "ÁVILA").await, ["mariagrandury"]);
        assert_eq!(found(&app, FELLOWS, "fellows", "handle", "MARÍA").await, Vec::<String>::new(), "the old name is gone");
    }

    async fn a_slug_is_found_whatever_the_case_of_its_letters(backend) {
        let app = TestApp::with_demo(backend).await;
        assert_eq!(area_found_by(&app, "SPANISH-NLP").await, "spanish-nlp");
        // The Kelvin sign is canonically the letter K.
        assert_eq!(area_found_by(&app, "TENSORFLOW-AND-\u{212A}ERAS").await, "tensorflow-and-keras");
        assert_eq!(area_found_by(&app, "SPANİSH-NLP").await, json!(["NOT_FOUND"]));

        seed::strategic_area(&app.db, "ñandú", "Ñandú").await;
        seed::organization(&app.db, "société", "Société").await;
        assert_eq!(area_found_by(&app, "ÑANDÚ").await, "ñandú");
        assert_eq!(answer(&app, ORGANIZATION, json!({ "slug": "SOCIÉTÉ" }), "organization", "slug").await, "société");
        assert_eq!(answer(&app, ORGANIZATION, json!({ "slug": "SOCİÉTÉ" }), "organization", "slug").await, json!(["NOT_FOUND"]));
        let under = app.query("{ organizations(filter: { parent: \"LINUX-FOUNDATION\" }) { nodes { slug } } }", json!({})).await;
        assert_eq!(under["organizations"]["nodes"][0]["slug"], "pytorch-foundation");
    }

    async fn a_handle_or_slug_differing_only_in_case_is_a_duplicate(backend) {
        let app = TestApp::with_demo(backend).await;
        insert_person(&app.db, "Émile", "ÉMILE").await.unwrap();
        assert!(insert_person(&app.db, "Other", "émile").await.is_err(), "a non-ASCII case variant");
        assert!(insert_person(&app.db, "Other", "e\u{301}mile").await.is_err(), "a decomposed spelling");
        assert!(insert_person(&app.db, "Other", "MARIAGRANDURY").await.is_err(), "an ASCII case variant");
        // Not the same handle under the rule, so not a duplicate either.
        insert_person(&app.db, "Other", "MARİAGRANDURY").await.unwrap();

        seed::strategic_area(&app.db, "ñandú", "Ñandú").await;
        let now = Utc::now();
        let duplicate = entity::strategic_area::ActiveModel {
            slug: Set("ÑANDÚ".to_owned()),
            name: Set("x".to_owned()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        assert!(duplicate.insert(&app.db).await.is_err());
    }

    async fn a_token_signs_in_the_person_whose_handle_it_names_under_the_same_rule(backend) {
        let app = TestApp::with_demo(backend).await;
        assert_eq!(signed_in_as(&app, "MARIAGRANDURY").await, "María Grandury");
        // Whether such a token is refused or signs in as nobody, it is not María.
        assert_eq!(signed_in_as(&app, "MARİAGRANDURY").await, Value::Null);

        let emile = insert_person(&app.db, "Émile", "ÉMILE").await.unwrap();
        account::ActiveModel {
            person_id: Set(emile.id),
            role: Set(AccountRole::Fellow),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        assert_eq!(signed_in_as(&app, "émile").await, "Émile");
    }
}
