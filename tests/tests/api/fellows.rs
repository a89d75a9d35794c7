//! The fellows directory: paging, filters, ordering, and the cost of nested relations.

use chrono::NaiveDate;
use entity::enums::ContributionKind;
use fellowship_tests::{on_both_databases, page_backward, page_forward, seed, TestApp};
use serde_json::{json, Value};

const FELLOWS_PAGE: &str = r#"
query Fellows($first: Int, $after: String, $last: Int, $before: String, $filter: FellowFilter, $orderBy: FellowOrder) {
  fellows(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id handle name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

const DEMO_HANDLES_BY_NAME: [&str; 7] = [
    "ariG23498",     // Aritra Roy Gosthipathy
    "BramVanroy",    // Bram Vanroy
    "ceyda",         // Ceyda Çınarel
    "cakiki",        // Christopher Akiki
    "mrm8488",       // Manuel Romero
    "mariagrandury", // María Grandury
    "reach-vb",      // Vaibhav Srivastav
];

fn handles(nodes: &[Value]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n["handle"].as_str().unwrap().to_owned())
        .collect()
}

async fn handles_for(app: &TestApp, variables: Value) -> Vec<String> {
    let data = app.query(FELLOWS_PAGE, variables).await;
    data["fellows"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["handle"].as_str().unwrap().to_owned())
        .collect()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

on_both_databases! {
    async fn paging_forward_visits_every_demo_fellow_exactly_once_in_name_order(backend) {
        let app = TestApp::with_demo(backend).await;
        for size in [1, 2, 3, 7, 100] {
            let nodes = page_forward(&app, FELLOWS_PAGE, "fellows", size, json!({})).await;
            assert_eq!(handles(&nodes), DEMO_HANDLES_BY_NAME, "page size {size}");
        }
    }

    async fn paging_backward_visits_every_demo_fellow_exactly_once_in_name_order(backend) {
        let app = TestApp::with_demo(backend).await;
        for size in [1, 2, 3, 7, 100] {
            let nodes = page_backward(&app, FELLOWS_PAGE, "fellows", size, json!({})).await;
            assert_eq!(handles(&nodes), DEMO_HANDLES_BY_NAME, "page size {size}");
        }
    }

    async fn the_first_page_reports_its_place_and_the_total(backend) {
        let app = TestApp::with_demo(backend).await;
        let data = app.query(FELLOWS_PAGE, json!({ "first": 3 })).await;
        let fellows = &data["fellows"];
        assert_eq!(fellows["totalCount"], 7);
        assert_eq!(fellows["pageInfo"]["hasNextPage"], true);
        assert_eq!(fellows["pageInfo"]["hasPreviousPage"], false);
        assert_eq!(fellows["pageInfo"]["startCursor"], fellows["edges"][0]["cursor"]);
        assert_eq!(fellows["pageInfo"]["endCursor"], fellows["edges"][2]["cursor"]);

        let last = app.query(FELLOWS_PAGE, json!({ "last": 2 })).await;
        assert_eq!(last["fellows"]["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(last["fellows"]["pageInfo"]["hasNextPage"], false);
    }

    async fn a_page_continues_where_the_last_ended_after_rows_are_inserted_in_between(backend) {
        let app = TestApp::with_demo(backend).await;
        let first = app.query(FELLOWS_PAGE, json!({ "first": 3 })).await;
        let seen_first = handles_of_page(&first);
        assert_eq!(seen_first, DEMO_HANDLES_BY_NAME[..3]);
        let cursor = first["fellows"]["pageInfo"]["endCursor"].clone();

        // One fellow sorts before the page already read, one after everyone.
        seed::fellow(&app.db, "Aaron Abel", "aaron", day(2023, 1, 1), None).await;
        seed::fellow(&app.db, "Zoe Zed", "zoe", day(2023, 1, 1), None).await;

        let rest = page_forward(&app, FELLOWS_PAGE, "fellows", 2, json!({})).await;
        assert_eq!(handles(&rest).first().map(String::as_str), Some("aaron"));

        let next = app.query(FELLOWS_PAGE, json!({ "first": 100, "after": cursor })).await;
        let mut expected: Vec<&str> = DEMO_HANDLES_BY_NAME[3..].to_vec();
        expected.push("zoe");
        assert_eq!(handles_of_page(&next), expected);
        assert_eq!(next["fellows"]["totalCount"], 9);
    }

    async fn fellows_are_ordered_by_name_or_join_date_in_both_directions(backend) {
        let app = TestApp::with_demo(backend).await;
        let early = seed::fellow(&app.db, "Zoe Early", "zoe-early", day(2021, 1, 1), None).await;
        let late = seed::fellow(&app.db, "Abe Late", "abe-late", day(2024, 6, 1), None).await;
        let _ = (early, late);

        let mut by_name: Vec<&str> = vec!["abe-late"];
        by_name.extend(DEMO_HANDLES_BY_NAME);
        by_name.push("zoe-early");
        let asc = handles_for(&app, json!({ "orderBy": { "field": "NAME", "direction": "ASC" } })).await;
        assert_eq!(asc, by_name);
        let desc = handles_for(&app, json!({ "orderBy": { "field": "NAME", "direction": "DESC" } })).await;
        let mut reversed = by_name.clone();
        reversed.reverse();
        assert_eq!(desc, reversed);

        let joined = handles_for(&app, json!({ "orderBy": { "field": "JOINED_ON", "direction": "ASC" } })).await;
        assert_eq!(joined.first().map(String::as_str), Some("zoe-early"));
        assert_eq!(joined.last().map(String::as_str), Some("abe-late"));
        let joined_desc = handles_for(&app, json!({ "orderBy": { "field": "JOINED_ON", "direction": "DESC" } })).await;
        assert_eq!(joined_desc.first().map(String::as_str), Some("abe-late"));

        // Paging by join date, where seven fellows share one date, still visits each once.
        let nodes = page_forward(&app, FELLOWS_PAGE, "fellows", 2,
            json!({ "orderBy": { "field": "JOINED_ON", "direction": "DESC" } })).await;
        assert_eq!(handles(&nodes), joined_desc);
        let nodes = page_backward(&app, FELLOWS_PAGE, "fellows", 3,
            json!({ "orderBy": { "field": "JOINED_ON", "direction": "DESC" } })).await;
        assert_eq!(handles(&nodes), joined_desc);
    }

    async fn fellows_filter_by_status_area_contribution_kind_and_text(backend) {
        let app = TestApp::with_demo(backend).await;
        let active = app.query(FELLOWS_PAGE, json!({ "filter": { "status": "ACTIVE" } })).await;
        assert_eq!(active["fellows"]["totalCount"], 7);
        let alumni = app.query(FELLOWS_PAGE, json!({ "filter": { "status": "ALUMNI" } })).await;
        assert_eq!(alumni["fellows"]["totalCount"], 0);

        assert_eq!(handles_for(&app, json!({ "filter": { "strategicArea": "speech-and-audio" } })).await, ["reach-vb"]);
        assert_eq!(handles_for(&app, json!({ "filter": { "strategicArea": "SPANISH-NLP" } })).await, ["mrm8488", "mariagrandury"]);
        assert_eq!(handles_for(&app, json!({ "filter": { "strategicArea": "no-such-area" } })).await, Vec::<String>::new());
        assert_eq!(handles_for(&app, json!({ "filter": { "contributionKind": "WORKING_GROUP" } })).await, ["ariG23498", "reach-vb"]);
        assert_eq!(handles_for(&app, json!({ "filter": { "contributionKind": "FORUM_SUPPORT" } })).await, ["BramVanroy"]);

        // Text search covers name, handle and headline, ignoring case.
        assert_eq!(handles_for(&app, json!({ "filter": { "search": "grandury" } })).await, ["mariagrandury"]);
        assert_eq!(handles_for(&app, json!({ "filter": { "search": "MRM8" } })).await, ["mrm8488"]);
        assert_eq!(handles_for(&app, json!({ "filter": { "search": "keras" } })).await, ["ariG23498"]);
        // Names outside ASCII match as stored, on both databases.
        assert_eq!(handles_for(&app, json!({ "filter": { "search": "Çınarel" } })).await, ["ceyda"]);
        assert_eq!(handles_for(&app, json!({ "filter": { "search": "maría" } })).await, ["mariagrandury"]);
        // Wildcards in the text are matched literally.
        assert_eq!(handles_for(&app, json!({ "filter": { "search": "%" } })).await, Vec::<String>::new());

        // Filters combine, and the total follows the filter.
        let both = app.query(FELLOWS_PAGE, json!({ "filter": {
            "strategicArea": "community-and-events", "contributionKind": "EVENTS" } })).await;
        assert_eq!(handles_of_page(&both), ["cakiki", "mariagrandury"]);
        assert_eq!(both["fellows"]["totalCount"], 2);
    }

    async fn a_fellow_is_found_by_handle_ignoring_case(backend) {
        let app = TestApp::with_demo(backend).await;
        let data = app.query(r#"{ fellow(handle: "MariaGrandury") { handle name status joinedOn
            contributions { totalCount nodes { kind title metric } }
            strategicAreas { nodes { slug } } nominatedBy { name } } }"#, json!({})).await;
        let fellow = &data["fellow"];
        assert_eq!(fellow["handle"], "mariagrandury");
        assert_eq!(fellow["name"], "María Grandury");
        assert_eq!(fellow["status"], "ACTIVE");
        assert_eq!(fellow["joinedOn"], "2022-04-18");
        assert_eq!(fellow["contributions"]["totalCount"], 2);
        assert_eq!(fellow["contributions"]["nodes"][1]["metric"], "20+ models");
        assert_eq!(fellow["nominatedBy"], Value::Null);

        let missing = app.graphql(r#"{ fellow(handle: "nobody") { handle } }"#, json!({})).await;
        assert_eq!(missing.data()["fellow"], Value::Null);
        assert_eq!(missing.error_codes(), ["NOT_FOUND"]);
    }

    async fn a_fellows_areas_page_in_name_order_without_repeats(backend) {
        let app = TestApp::with_demo(backend).await;
        let query = r#"query($first: Int, $after: String, $last: Int, $before: String) { fellow(handle: "mrm8488") {
            strategicAreas(first: $first, after: $after, last: $last, before: $before) {
              edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"#;
        let all = app.query(query, json!({ "first": 10 })).await;
        let names: Vec<&str> = all["fellow"]["strategicAreas"]["edges"].as_array().unwrap().iter()
            .map(|e| e["node"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Model publishing", "Spanish-language NLP"]);
        let first = app.query(query, json!({ "first": 1 })).await;
        assert_eq!(first["fellow"]["strategicAreas"]["edges"][0]["node"]["name"], "Model publishing");
        let cursor = first["fellow"]["strategicAreas"]["pageInfo"]["endCursor"].clone();
        let second = app.query(query, json!({ "first": 1, "after": cursor })).await;
        assert_eq!(second["fellow"]["strategicAreas"]["edges"][0]["node"]["name"], "Spanish-language NLP");
        assert_eq!(second["fellow"]["strategicAreas"]["pageInfo"]["hasNextPage"], false);
        let last = app.query(query, json!({ "last": 1 })).await;
        assert_eq!(last["fellow"]["strategicAreas"]["edges"][0]["node"]["name"], "Spanish-language NLP");
        let end = all["fellow"]["strategicAreas"]["pageInfo"]["endCursor"].clone();
        let beyond = app.query(query, json!({ "first": 10, "after": end })).await;
        assert_eq!(beyond["fellow"]["strategicAreas"]["edges"], json!([]));
    }

    async fn a_page_of_fellows_with_nested_relations_costs_the_same_statements_at_any_size(backend) {
        let app = TestApp::empty(backend).await;
        let nominator = seed::person(&app.db, "Staff Member", Some("staff")).await;
        let areas = [
            seed::strategic_area(&app.db, "area-a", "Area A").await,
            seed::strategic_area(&app.db, "area-b", "Area B").await,
        ];
        for i in 0..120 {
            let fellow = seed::fellow(&app.db, &format!("Fellow {i:03}"), &format!("fellow-{i:03}"),
                day(2022, 4, 18), Some(nominator.id)).await;
            seed::contribution(&app.db, fellow.id, ContributionKind::ModelPublishing, "Models").await;
            seed::contribution(&app.db, fellow.id, ContributionKind::Events, "Sprint").await;
            seed::link_area(&app.db, fellow.id, areas[i % 2].id).await;
        }
        let query = r#"query($first: Int) { fellows(first: $first) {
            totalCount
            edges { cursor node { id handle name headline links { url }
                nominatedBy { name handle }
                person { name }
                contributions(first: 10) { totalCount nodes { kind title fellow { handle } } }
                strategicAreas { nodes { slug name } } } } } }"#;

        let mut costs = Vec::new();
        for first in [1, 10, 100] {
            let before = app.statements_sent().await;
            let data = app.query(query, json!({ "first": first })).await;
            let after = app.statements_sent().await;
            assert_eq!(data["fellows"]["edges"].as_array().unwrap().len(), first as usize);
            assert_eq!(data["fellows"]["edges"][0]["node"]["contributions"]["totalCount"], 2);
            costs.push(after - before);
        }
        assert_eq!(costs[0], costs[2], "statements for 1, 10 and 100 fellows: {costs:?}");
        assert_eq!(costs[1], costs[2], "statements for 1, 10 and 100 fellows: {costs:?}");
        assert!(costs[2] <= 10, "a page of 100 fellows took {} statements", costs[2]);
    }
}

fn handles_of_page(data: &Value) -> Vec<String> {
    data["fellows"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["handle"].as_str().unwrap().to_owned())
        .collect()
}
