//! Rows written straight into a test's database, for states the read API cannot make
//! (many fellows at once, a row inserted between two page requests).

use chrono::{NaiveDate, Utc};
use entity::enums::{ContributionKind, FellowStatus, MembershipTier, OrganizationKind};
use entity::{
    account, contribution, fellow, fellow_strategic_area, foundation_membership, organization,
    person, strategic_area,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;

/// A person (no account, no fellow), with a hub handle when given.
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

/// An account of `role` for the person with `handle`, and the person when the records
/// lack them; an account the person already has is left as it is.
pub async fn account(
    db: &DatabaseConnection,
    handle: &str,
    role: entity::enums::AccountRole,
) -> account::Model {
    let found = person::Entity::find()
        .filter(person::Column::Handle.eq(handle))
        .one(db)
        .await
        .expect("find a person");
    let person = match found {
        Some(person) => person,
        None => self::person(db, &format!("Person {handle}"), Some(handle)).await,
    };
    let existing = account::Entity::find()
        .filter(account::Column::PersonId.eq(person.id))
        .one(db)
        .await
        .expect("find an account");
    if let Some(account) = existing {
        return account;
    }
    account::ActiveModel {
        person_id: Set(person.id),
        role: Set(role),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert an account")
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

/// A contribution of `kind` by the fellow, with a title only (no description, link,
/// metric or date).
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

/// An active strategic area, with no description.
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

/// Links the fellow to the strategic area.
pub async fn link_area(db: &DatabaseConnection, fellow_id: i64, area_id: i64) {
    fellow_strategic_area::ActiveModel {
        fellow_id: Set(fellow_id),
        strategic_area_id: Set(area_id),
    }
    .insert(db)
    .await
    .expect("link a fellow to an area");
}

/// A company with no parent.
pub async fn organization(db: &DatabaseConnection, slug: &str, name: &str) -> organization::Model {
    organization_of_kind(db, slug, name, OrganizationKind::Company).await
}

/// A foundation with no umbrella.
pub async fn foundation(db: &DatabaseConnection, slug: &str, name: &str) -> organization::Model {
    organization_of_kind(db, slug, name, OrganizationKind::Foundation).await
}

/// A general membership of `member` in `foundation`, joined on 1 January 2024.
pub async fn membership(
    db: &DatabaseConnection,
    member_id: i64,
    foundation_id: i64,
) -> foundation_membership::Model {
    let now = Utc::now();
    foundation_membership::ActiveModel {
        member_id: Set(member_id),
        foundation_id: Set(foundation_id),
        tier: Set(MembershipTier::General),
        joined_on: Set(NaiveDate::from_ymd_opt(2024, 1, 1)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a membership")
}

async fn organization_of_kind(
    db: &DatabaseConnection,
    slug: &str,
    name: &str,
    kind: OrganizationKind,
) -> organization::Model {
    let now = Utc::now();
    organization::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        kind: Set(kind),
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

/// A benefit of `kind` granted to the fellow on 1 January 2024 by no one in
/// particular, not revoked.
pub async fn benefit_grant(
    db: &DatabaseConnection,
    fellow_id: i64,
    kind: entity::enums::BenefitKind,
) -> entity::benefit_grant::Model {
    entity::benefit_grant::ActiveModel {
        fellow_id: Set(fellow_id),
        kind: Set(kind),
        description: Set(Some("Granted in a test".into())),
        granted_on: Set(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()),
        granted_by_person_id: Set(None),
        revoked_at: Set(None),
        revoked_by_person_id: Set(None),
        revocation_note: Set(None),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a benefit grant")
}

/// A nomination by the person `nominator_person_id` of `nominee_handle` (name and
/// e-mail made from the handle), in `status` whatever it is: no reviewer, decision,
/// note or withdrawal goes with it, and no fellow is created for `ACCEPTED`.
pub async fn nomination(
    db: &DatabaseConnection,
    nominator_person_id: i64,
    nominee_handle: &str,
    status: entity::enums::NominationStatus,
) -> entity::nomination::Model {
    let now = Utc::now();
    entity::nomination::ActiveModel {
        nominee_name: Set(format!("Nominee {nominee_handle}")),
        nominee_handle: Set(nominee_handle.to_owned()),
        nominee_email: Set(format!("{nominee_handle}@example.org")),
        rationale: Set("Advanced open-source machine learning".into()),
        support_requested: Set(None),
        links: Set(json!([])),
        status: Set(status),
        nominator_person_id: Set(nominator_person_id),
        reviewer_person_id: Set(None),
        review_started_at: Set(None),
        decided_by_person_id: Set(None),
        decided_at: Set(None),
        decision_note: Set(None),
        withdrawn_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert a nomination")
}
