//! The demo data set tells the true facts of the program's launch and of one membership.

use entity::enums::AccountRole;
use entity::{account, person};
use fellowship_tests::{on_both_databases, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

on_both_databases! {
    async fn the_demo_holds_the_seven_first_fellows_and_their_contributions(backend) {
        let app = TestApp::with_demo(backend).await;
        let data = app.query(r#"{ fellows(first: 100) { totalCount nodes { handle name status joinedOn
            contributions { nodes { kind title metric } } strategicAreas { nodes { slug } } } } }"#, json!({})).await;
        assert_eq!(data["fellows"]["totalCount"], 7);
        let fellows = data["fellows"]["nodes"].as_array().unwrap();
        let by_handle = |handle: &str| -> Value {
            fellows.iter().find(|f| f["handle"] == handle).cloned().unwrap_or_else(|| panic!("{handle} missing"))
        };
        for (handle, name) in [
            ("mariagrandury", "María Grandury"), ("mrm8488", "Manuel Romero"),
            ("ariG23498", "Aritra Roy Gosthipathy"), ("reach-vb", "Vaibhav Srivastav"),
            ("BramVanroy", "Bram Vanroy"), ("cakiki", "Christopher Akiki"), ("ceyda", "Ceyda Çınarel"),
        ] {
            let fellow = by_handle(handle);
            assert_eq!(fellow["name"], name);
            assert_eq!(fellow["status"], "ACTIVE");
            assert_eq!(fellow["joinedOn"], "2022-04-18");
            assert!(!fellow["contributions"]["nodes"].as_array().unwrap().is_empty(), "{handle} has contributions");
            assert!(!fellow["strategicAreas"]["nodes"].as_array().unwrap().is_empty(), "{handle} has areas");
        }
        let manuel = by_handle("mrm8488");
        assert!(manuel["contributions"]["nodes"].as_array().unwrap().iter()
            .any(|c| c["kind"] == "MODEL_PUBLISHING" && c["metric"] == "300+ models"));
        let vb = by_handle("reach-vb");
        assert!(vb["contributions"]["nodes"].as_array().unwrap().iter()
            .any(|c| c["kind"] == "WORKING_GROUP" && c["title"].as_str().unwrap().contains("ML4Audio")));
    }

    async fn the_demo_holds_the_two_staff_members_with_staff_accounts(backend) {
        let app = TestApp::with_demo(backend).await;
        for (handle, name) in [("merve", "Merve Noyan"), ("espejelomar", "Omar Espejel")] {
            let person = person::Entity::find()
                .filter(person::Column::Handle.eq(handle))
                .one(&app.db).await.unwrap().unwrap_or_else(|| panic!("{handle} missing"));
            assert_eq!(person.name, name);
            let account = account::Entity::find()
                .filter(account::Column::PersonId.eq(person.id))
                .one(&app.db).await.unwrap().expect("a staff account");
            assert_eq!(account.role, AccountRole::Staff);
        }
        let staff = account::Entity::find().filter(account::Column::Role.eq(AccountRole::Staff)).count(&app.db).await.unwrap();
        assert_eq!(staff, 2);
    }

    async fn the_demo_records_hugging_face_as_premier_member_of_the_pytorch_foundation(backend) {
        let app = TestApp::with_demo(backend).await;
        let data = app.query(r#"{
            organization(slug: "pytorch-foundation") { name kind parent { slug name kind }
                members { nodes { tier joinedOn endedOn active member { slug name kind } } } }
            foundationMemberships(filter: { foundation: "pytorch-foundation" }) { totalCount nodes {
                member { name } foundation { name parent { name } } tier
                boardSeats { board title since until representative { name } } } }
        }"#, json!({})).await;
        let pytorch = &data["organization"];
        assert_eq!(pytorch["name"], "PyTorch Foundation");
        assert_eq!(pytorch["kind"], "FOUNDATION");
        assert_eq!(pytorch["parent"]["slug"], "linux-foundation");
        assert_eq!(pytorch["parent"]["kind"], "FOUNDATION");
        let member = &pytorch["members"]["nodes"][0];
        assert_eq!(member["member"]["name"], "Hugging Face");
        assert_eq!(member["tier"], "PREMIER");
        // The announcement gives no date, so none is invented.
        assert_eq!(member["joinedOn"], Value::Null);
        assert_eq!(member["active"], true);

        let memberships = &data["foundationMemberships"];
        assert_eq!(memberships["totalCount"], 1);
        let membership = &memberships["nodes"][0];
        assert_eq!(membership["foundation"]["parent"]["name"], "Linux Foundation");
        let seats = membership["boardSeats"].as_array().unwrap();
        assert_eq!(seats.len(), 1);
        assert_eq!(seats[0]["board"], "Governing Board");
        assert_eq!(seats[0]["title"], "Head of Open Source");
        assert_eq!(seats[0]["representative"]["name"], "Lysandre Debut");
        assert_eq!(seats[0]["until"], Value::Null);
    }

    async fn the_demo_loads_only_into_an_empty_database(backend) {
        let app = TestApp::with_demo(backend).await;
        let people_before = person::Entity::find().count(&app.db).await.unwrap();
        let outcome = api::demo::load(&app.db).await.map_err(api::error::ServiceError::into_anyhow).unwrap();
        assert_eq!(outcome, api::demo::Outcome::DatabaseNotEmpty);
        assert_eq!(person::Entity::find().count(&app.db).await.unwrap(), people_before);

        let empty = TestApp::empty(backend).await;
        let outcome = api::demo::load(&empty.db).await.map_err(api::error::ServiceError::into_anyhow).unwrap();
        assert_eq!(outcome, api::demo::Outcome::Loaded);
        assert_eq!(person::Entity::find().count(&empty.db).await.unwrap(), people_before);
    }
}
