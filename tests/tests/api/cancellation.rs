//! A write cut short at any point leaves nothing half-done. The decision of a nomination
//! (nomination, fellow, person, account, areas, outbox event, audit record) runs under
//! deadlines that step through its execution; after each cut, either all of it is there
//! or none of it is, as a request deadline or a dropped connection would leave it.
//!
//! And the answer agrees with the write: a request answered 503 at its deadline wrote
//! nothing (nomination, idempotency record, audit row, outbox event), so its retry is
//! safe; one whose commit had started is answered with what it committed.

use std::time::Duration;

use api::auth::{User, Viewer};
use api::service::nominations::workflow::{self, Decision, Submission};
use entity::enums::NominationStatus;
use entity::{audit_event, fellow, idempotency_record, nomination, nomination_event, person};
use fellowship_tests::nominations;
use fellowship_tests::{
    on_both_databases, on_postgres, test_server_settings, TestApp, TestDatabase,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

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

/// What a submission leaves behind: nominations, idempotency records, audit rows and
/// outbox events, in that order.
async fn written(app: &TestApp) -> [u64; 4] {
    [
        nomination::Entity::find().count(&app.db).await.unwrap(),
        idempotency_record::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
        nomination_event::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
    ]
}

/// Submits a nomination of `handle` to the server at `base` with a staff token and an
/// Idempotency-Key; returns the status and the body.
async fn submit_to(
    app: &TestApp,
    base: &str,
    token: &str,
    key: &str,
    handle: &str,
) -> (u16, serde_json::Value) {
    nominations::post(
        &app.client,
        base,
        token,
        &[("Idempotency-Key", key)],
        handle,
    )
    .await
}

fn server_with_deadline(deadline: Duration) -> api::config::ServerSettings {
    let mut server = test_server_settings();
    server.request_timeout = deadline;
    server
}

on_both_databases! {
    async fn a_request_past_its_deadline_is_answered_503_and_writes_nothing(backend) {
        let app = TestApp::builder(TestDatabase::create(backend).await).demo()
            .server(server_with_deadline(Duration::ZERO)).spawn().await;
        let token = app.token(api::auth::Role::Staff, "merve");
        let before = written(&app).await;
        let (status, body) = submit_to(&app, &app.address, &token, "deadline-key", "ada").await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["unavailable"], true, "{body}");
        // Let anything the request left running finish before looking.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(written(&app).await, before, "a request answered 503 wrote something");

        // The retry the 503 invites, with the same key on a server with time to spare,
        // writes exactly once, and a second retry replays it.
        let patient = app.replica(test_server_settings()).await;
        let (status, first) = submit_to(&app, &patient, &token, "deadline-key", "ada").await;
        assert_eq!(status, 200, "{first}");
        let id = first["data"]["submitNomination"]["nomination"]["id"].clone();
        assert!(id.is_string(), "{first}");
        let once = written(&app).await;
        assert_eq!(once, [before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1]);
        let (_, again) = submit_to(&app, &patient, &token, "deadline-key", "ada").await;
        assert_eq!(again["data"]["submitNomination"]["nomination"]["id"], id);
        assert_eq!(written(&app).await, once);
    }

    async fn a_write_cut_at_any_moment_is_answered_with_what_it_wrote(backend) {
        let app = TestApp::with_demo(backend).await;
        let token = app.token(api::auth::Role::Staff, "merve");
        // How long one submission takes here (warm), to spread the deadlines over it.
        let mut takes = Duration::MAX;
        for round in 0..2 {
            let started = std::time::Instant::now();
            let (status, body) = submit_to(&app, &app.address, &token, &format!("calibration-{round}"),
                &format!("calibration-{round}")).await;
            assert_eq!(status, 200, "{body}");
            takes = takes.min(started.elapsed());
        }

        let (mut answered_503, mut answered_200) = (0, 0);
        // Servers whose deadlines fall before, into and past the submission's duration;
        // the requests' own jitter spreads each deadline around its point, so that some
        // land inside the transaction and its commit. The first always cuts, the last
        // always spares.
        let mut servers = Vec::new();
        for deadline in [Duration::ZERO, takes / 2, takes, takes * 2, Duration::from_secs(30)] {
            servers.push((deadline, app.replica(server_with_deadline(deadline)).await));
        }
        for step in 0..25usize {
            let (deadline, server) = &servers[step % servers.len()];
            let before = written(&app).await;
            let (status, body) = submit_to(&app, server, &token, &format!("key-{step}"), &format!("nominee-{step}")).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let after = written(&app).await;
            match status {
                200 => {
                    answered_200 += 1;
                    assert!(body["data"]["submitNomination"]["nomination"]["id"].is_string(), "step {step}: {body}");
                    assert_eq!(after, [before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1], "step {step}: answered 200");
                }
                503 => {
                    answered_503 += 1;
                    assert_eq!(body["errors"][0]["extensions"]["unavailable"], true, "step {step}: {body}");
                    assert_eq!(after, before, "step {step}: answered 503 ({deadline:?}) but wrote");
                }
                other => panic!("step {step}: answered {other}: {body}"),
            }
        }
        eprintln!("{answered_503} answered 503, {answered_200} answered 200; a submission takes {takes:?}");
        assert!(answered_503 > 0 && answered_200 > 0,
            "the deadlines should both cut and spare ({answered_503} cut, {answered_200} completed)");
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
            let n = workflow::submit(&app.db, &merve, submission, None).await.map_err(api::error::ServiceError::into_anyhow).unwrap();
            let n = workflow::start_review(&app.db, &merve, n.id, n.version).await.map_err(api::error::ServiceError::into_anyhow).unwrap();

            let deadline = Duration::from_micros(step * step * 150);
            let decided = tokio::time::timeout(deadline, workflow::decide(&app.db, &omar, n.id, Decision::Accept, "ok", n.version)).await;
            match decided {
                Ok(result) => { result.map_err(api::error::ServiceError::into_anyhow).unwrap(); completed += 1; }
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

mod during_the_commit {
    use super::*;

    on_postgres! {
        /// The deadline lands while the COMMIT is with the database (a deferred trigger makes
        /// PostgreSQL's COMMIT take two seconds, past the one-second deadline): the commit's
        /// outcome is the answer, so the client is told its nomination was saved. (SQLite has
        /// no way to slow a COMMIT from outside; the gate's own tests in `api::db` cover that.)
        async fn a_deadline_landing_during_the_commit_is_answered_with_what_was_committed(backend) {
            let app = TestApp::builder(TestDatabase::create(backend).await)
                .demo()
                .server(server_with_deadline(Duration::from_secs(1)))
                .spawn()
                .await;
            for sql in [
                "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$",
                "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON nominations DEFERRABLE INITIALLY DEFERRED \
                 FOR EACH ROW EXECUTE FUNCTION slow_commit()",
            ] {
                app.db.execute_unprepared(sql).await.unwrap();
            }
            let token = app.token(api::auth::Role::Staff, "merve");
            let before = written(&app).await;
            let started = std::time::Instant::now();
            let (status, body) = submit_to(&app, &app.address, &token, "slow-commit", "ada").await;
            let took = started.elapsed();
            assert!(
                took >= Duration::from_secs(2),
                "the commit was not slow ({took:?}), so the test proves nothing"
            );
            assert_eq!(status, 200, "{body}");
            assert!(
                body["data"]["submitNomination"]["nomination"]["id"].is_string(),
                "{body}"
            );
            assert_eq!(
                written(&app).await,
                [before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1]
            );
        }
    }
}
