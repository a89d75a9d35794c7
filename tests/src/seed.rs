//! Rows written straight into a test's database, for states the read API cannot make
//! (many fellows at once, a row inserted between two page requests).

use chrono::{NaiveDate, Utc};
use entity::enums::{ContributionKind, FellowStatus, OrganizationKind};
use entity::{contribution, fellow, fellow_strategic_area, organization, person, strategic_area};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::json;

pub async fn person(db: &DatabaseConnection, name: &str, handle: Option<&str>) -> person::Model {
    let now = Utc::now();
    person::ActiveModel {
        name: Set(name.to_owned()),
        handle: Set(handle.map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a person")
}

/// A fellow, with the person behind them; `nominated_by` is a person id.
pub async fn fellow(
    db: &DatabaseConnection,
    name: &str,
    handle: &str,
    joined_on: NaiveDate,
    nominated_by: Option<i64>,
) -> fellow::Model {
    let person = person(db, name, Some(handle)).await;
    let now = Utc::now();
    fellow::ActiveModel {
        person_id: Set(person.id),
        headline: Set(Some(format!("Headline of {name}"))),
        bio: Set(None),
        links: Set(json!([{ "label": "Website", "url": "https://example.org" }])),
        status: Set(FellowStatus::Active),
        joined_on: Set(joined_on),
        nominated_by_person_id: Set(nominated_by),
        nomination_id: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a fellow")
}

pub async fn contribution(
    db: &DatabaseConnection,
    fellow_id: i64,
    kind: ContributionKind,
    title: &str,
) {
    contribution::ActiveModel {
        fellow_id: Set(fellow_id),
        kind: Set(kind),
        title: Set(title.to_owned()),
        description: Set(None),
        url: Set(None),
        metric: Set(None),
        occurred_on: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a contribution");
}

pub async fn strategic_area(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
) -> strategic_area::Model {
    let now = Utc::now();
    strategic_area::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        description: Set(None),
        archived_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a strategic area")
}

pub async fn link_area(db: &DatabaseConnection, fellow_id: i64, area_id: i64) {
    fellow_strategic_area::ActiveModel {
        fellow_id: Set(fellow_id),
        strategic_area_id: Set(area_id),
    }
    .insert(db)
    .await
    .expect("link a fellow to an area");
}

pub async fn organization(db: &DatabaseConnection, slug: &str, name: &str) -> organization::Model {
    let now = Utc::now();
    organization::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        kind: Set(OrganizationKind::Company),
        parent_id: Set(None),
        description: Set(None),
        website_url: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert an organization")
}
