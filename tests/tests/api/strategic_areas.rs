//! Strategic areas, current and archived.

use chrono::Utc;
use entity::strategic_area;
use fellowship_tests::{on_both_databases, page_backward, page_forward, TestApp};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

const AREAS: &str = r#"query($first: Int, $after: String, $last: Int, $before: String, $filter: StrategicAreaFilter) {
  strategicAreas(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount edges { node { slug archived } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

on_both_databases! {
    async fn strategic_areas_list_current_and_archived_ones_and_filter_either_way(backend) {
        let app = TestApp::with_demo(backend).await;
        let all = page_forward(&app, AREAS, "strategicAreas", 2, json!({})).await;
        let slugs: Vec<&str> = all.iter().map(|n| n["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["community-and-events", "model-publishing", "spanish-nlp", "speech-and-audio", "tensorflow-and-keras"]);
        assert_eq!(page_backward(&app, AREAS, "strategicAreas", 2, json!({})).await, all);

        let area = strategic_area::Entity::find()
            .filter(strategic_area::Column::Slug.eq("speech-and-audio"))
            .one(&app.db).await.unwrap().unwrap();
        let mut archived: strategic_area::ActiveModel = area.into();
        archived.archived_at = Set(Some(Utc::now()));
        archived.update(&app.db).await.unwrap();

        let only_archived = app.query(AREAS, json!({ "filter": { "archived": true } })).await;
        assert_eq!(only_archived["strategicAreas"]["totalCount"], 1);
        assert_eq!(only_archived["strategicAreas"]["edges"][0]["node"]["archived"], true);
        let current = app.query(AREAS, json!({ "filter": { "archived": false } })).await;
        assert_eq!(current["strategicAreas"]["totalCount"], 4);
        let both = app.query(AREAS, json!({})).await;
        assert_eq!(both["strategicAreas"]["totalCount"], 5);

        // An archived area stays readable by slug, with its fellows still linked.
        let data = app.query(r#"{ strategicArea(slug: "Speech-And-Audio") { name archived archivedAt }
            fellows(filter: { strategicArea: "speech-and-audio" }) { nodes { handle } } }"#, json!({})).await;
        assert_eq!(data["strategicArea"]["archived"], true);
        assert!(data["strategicArea"]["archivedAt"].is_string());
        assert_eq!(data["fellows"]["nodes"][0]["handle"], "reach-vb");

        let missing = app.graphql(r#"{ strategicArea(slug: "nope") { name } }"#, json!({})).await;
        assert_eq!(missing.error_codes(), ["NOT_FOUND"]);
    }
}
