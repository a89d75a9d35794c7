//! A write cut short at any point leaves nothing half-done. The decision of a nomination
//! (nomination, fellow, person, account, areas, outbox event, audit record) runs under
//! deadlines that step through its execution; after each cut, either all of it is there
//! or none of it is, as a request deadline or a dropped connection would leave it.

use std::time::Duration;

use api::auth::{User, Viewer};
use api::service::nominations::workflow::{self, Decision, Submission};
use entity::enums::NominationStatus;
use entity::{audit_event, fellow, nomination, nomination_event, person};
use fellowship_tests::{
    on_both_databases, test_server_settings, TestApp, TestDatabase, TEST_SECRET,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

async fn staff(app: &TestApp, handle: &str) -> Viewer {
    let person = person::Entity::find()
        .filter(person::Column::Handle.eq(handle))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    Viewer::Staff(User {
        handle: handle.to_owned(),
        person_id: Some(person.id),
    })
}

on_both_databases! {
    async fn a_request_past_its_deadline_is_answered_503_and_writes_nothing(backend) {
        let mut server = test_server_settings();
        server.request_timeout = Duration::ZERO;
        let app = TestApp::spawn_with(TestDatabase::create(backend).await, true,
            api::config::AuthSettings::with_secret(TEST_SECRET), server).await;
        let token = app.token(api::auth::Role::Staff, "merve");
        let response = app.graphql_as(Some(&token),
            r#"mutation { submitNomination(input: { nomineeName: "A", nomineeHandle: "a", nomineeEmail: "a@example.org", rationale: "r" }) { nomination { id } } }"#,
            json!({})).await;
        assert_eq!(response.status, 503, "{}", response.body);
        assert_eq!(response.error_codes(), ["INTERNAL_SERVER_ERROR"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(nomination::Entity::find().count(&app.db).await.unwrap(), 0);
    }

    async fn a_decision_cut_short_at_any_point_is_all_or_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let (merve, omar) = (staff(&app, "merve").await, staff(&app, "espejelomar").await);
        let mut completed = 0;
        let mut cut = 0;
        for step in 0..40u64 {
            let handle = format!("nominee-{step}");
            let submission = Submission {
                nominee_name: format!("Nominee {step}"),
                nominee_handle: handle.clone(),
                nominee_email: "n@example.org".into(),
                rationale: "r".into(),
                support_requested: None,
                strategic_area_slugs: vec!["speech-and-audio".into()],
                links: vec![],
            };
            let n = workflow::submit(&app.db, &merve, submission, None).await.map_err(|e| e.into_anyhow()).unwrap();
            let n = workflow::start_review(&app.db, &merve, n.id, n.version).await.map_err(|e| e.into_anyhow()).unwrap();

            let deadline = Duration::from_micros(step * step * 150);
            let decided = tokio::time::timeout(deadline, workflow::decide(&app.db, &omar, n.id, Decision::Accept, "ok", n.version)).await;
            match decided {
                Ok(result) => { result.map_err(|e| e.into_anyhow()).unwrap(); completed += 1; }
                Err(_) => cut += 1,
            }
            // Let a dropped transaction finish rolling back before looking.
            tokio::time::sleep(Duration::from_millis(50)).await;

            let now = nomination::Entity::find_by_id(n.id).one(&app.db).await.unwrap().unwrap();
            let admitted = fellow::Entity::find().filter(fellow::Column::NominationId.eq(n.id)).count(&app.db).await.unwrap();
            let people = person::Entity::find().filter(person::Column::Handle.eq(handle.as_str())).count(&app.db).await.unwrap();
            let events = nomination_event::Entity::find().filter(nomination_event::Column::NominationId.eq(n.id)).count(&app.db).await.unwrap();
            let decisions = audit_event::Entity::find()
                .filter(audit_event::Column::ObjectId.eq(n.id))
                .filter(audit_event::Column::Action.eq("nomination.decide"))
                .count(&app.db).await.unwrap();
            match now.status {
                NominationStatus::Accepted => assert_eq!((admitted, people, events, decisions), (1, 1, 3, 1), "step {step}"),
                NominationStatus::UnderReview => assert_eq!((admitted, people, events, decisions), (0, 0, 2, 0), "step {step}"),
                other => panic!("step {step}: unexpected status {other:?}"),
            }
        }
        assert!(cut > 0 && completed > 0, "the deadlines should both cut and spare ({cut} cut, {completed} completed)");
    }
}
