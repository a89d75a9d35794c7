//! A fellow's public profile and contributions, edited by the fellow or by staff. Each
//! change is one transaction with its audit record; edits of the profile carry
//! `expectedVersion`.

use chrono::{NaiveDate, Utc};
use entity::enums::ContributionKind;
use entity::{contribution, fellow, person};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::Value;

use crate::auth::Viewer;
use crate::domain::{HttpUrl, Line, LinkInput, Links, Prose, Text};
use crate::error::{ServiceError, ServiceResult};
use crate::service::audit::{self, Change};
use crate::service::search;
use crate::service::versioned;

use super::find_fellow;

/// A profile as its audit record keeps it: the fellow's row and the person's name, which
/// lives on the person but is edited through the profile.
fn profile_snapshot(fellow: &fellow::Model, person: &person::Model) -> Value {
    let mut profile = audit::snapshot(fellow);
    if let Value::Object(fields) = &mut profile {
        fields.insert("name".to_owned(), Value::String(person.name.clone()));
    }
    profile
}

/// The fellow themselves, or staff.
fn require_self_or_staff(viewer: &Viewer, fellow: &fellow::Model, what: &str) -> ServiceResult<()> {
    if viewer.is_staff()
        || (matches!(viewer, Viewer::Fellow(_)) && viewer.person_id() == Some(fellow.person_id))
    {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "Only the fellow and staff may {what}."
        )))
    }
}

/// An edit of a fellow's public profile: each `None` field is left as it is.
pub struct ProfileEdit {
    /// The fellow's name, kept on their person record; one line, 1 to 200 characters
    /// (it cannot be cleared).
    pub name: Option<String>,
    /// One line, up to 200 characters; `Some("")` clears it.
    pub headline: Option<String>,
    /// Up to 5,000 characters; `Some("")` clears it.
    pub bio: Option<String>,
    /// The profile's links, replacing all of them: at most 10, each a label of 1 to 50
    /// characters and an http(s) URL. `Some(vec![])` removes them all.
    pub links: Option<Vec<LinkInput>>,
    /// The fellow's `version` as the caller read it; the edit applies only to that version.
    pub expected_version: i32,
}

/// Edits a fellow's profile; the fellow themself or staff (`Forbidden` for anyone
/// else, partners included). An unknown fellow is `Missing` on `input.fellowId`; a
/// field that does not parse is `InvalidInput` naming it (`input.links.2.url`); a
/// fellow no longer at `expected_version` is a stale-version `Conflict` that names the
/// current version. Bumps the fellow's version, writes the fields given (the name on
/// the person), and a `fellow.updateProfile` audit record with the profile before and
/// after, in one transaction. Returns the fellow with their person.
pub async fn update_profile(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fellow_id: i64,
    edit: ProfileEdit,
) -> ServiceResult<(fellow::Model, person::Model)> {
    // The read is in the edit's transaction, so that the whole edit takes one
    // connection from the pool (each return to it costs a round trip to the database).
    // Every refusal below rolls it back when it is dropped. The person comes along in
    // the same statement: the answer shows the name.
    let txn = db.begin().await?;
    let (current, person) = fellow::Entity::find_by_id(fellow_id)
        .find_also_related(person::Entity)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::missing("input.fellowId", "No fellow has this ID."))?;
    let person = person
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a fellow without a person")))?;
    require_self_or_staff(viewer, &current, "edit a fellow's profile")?;
    let name = edit
        .name
        .as_deref()
        .map(|n| Line::parse("input.name", n))
        .transpose()?;
    let headline = edit
        .headline
        .as_deref()
        .map(|h| Line::optional("input.headline", Some(h)))
        .transpose()?;
    let bio = edit
        .bio
        .as_deref()
        .map(|b| Prose::optional("input.bio", Some(b)))
        .transpose()?;
    let links = edit
        .links
        .as_deref()
        .map(|l| Links::parse("input.links", l))
        .transpose()?;

    let mut update = versioned::bump::<fellow::Entity>(fellow_id, edit.expected_version);
    if let Some(headline) = headline {
        // A bulk update skips `before_save`: the folded copy is written here.
        update = update.col_expr(
            fellow::Column::HeadlineFolded,
            Expr::val(headline.as_deref().map(search::fold)),
        );
        update = update.col_expr(
            fellow::Column::Headline,
            Expr::val(headline.map(String::from)),
        );
    }
    if let Some(bio) = bio {
        update = update.col_expr(fellow::Column::Bio, Expr::val(bio.map(String::from)));
    }
    if let Some(links) = links {
        update = update.col_expr(fellow::Column::Links, Expr::val(links.to_json()));
    }
    let Some(updated) = versioned::apply(update, &txn).await? else {
        txn.rollback().await?;
        let now = find_fellow(db, fellow_id, "input.fellowId").await?;
        return Err(versioned::stale::<fellow::Entity>(
            edit.expected_version,
            now.version,
        ));
    };
    let before = profile_snapshot(&current, &person);
    let person = match name {
        None => person,
        Some(name) => person::Entity::update_many()
            .col_expr(person::Column::NameFolded, Expr::val(search::fold(&name)))
            .col_expr(person::Column::Name, Expr::val(String::from(name)))
            // A bulk update skips `before_save`: it folds the name and stamps the time.
            .col_expr(person::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(person::Column::Id.eq(current.person_id))
            .exec_with_returning(&txn)
            .await?
            .pop()
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a fellow without a person")))?,
    };
    audit::record(
        &txn,
        viewer,
        Change {
            action: "fellow.updateProfile",
            object_type: "Fellow",
            object_id: fellow_id,
            before: Some(before),
            after: Some(profile_snapshot(&updated, &person)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok((updated, person))
}

/// A contribution to add to a fellow's record, as sent.
pub struct NewContribution {
    /// What sort of contribution it is.
    pub kind: ContributionKind,
    /// One line, 1 to 200 characters.
    pub title: String,
    /// Up to 5,000 characters; `None` or blank for none.
    pub description: Option<String>,
    /// Where it can be seen: an http(s) URL; `None` or blank for none.
    pub url: Option<String>,
    /// A measure of its reach, such as "300 models": up to 100 characters; `None` or
    /// blank for none.
    pub metric: Option<String>,
    /// When it happened: today (UTC) or earlier; `None` when undated.
    pub occurred_on: Option<NaiveDate>,
}

/// Adds a contribution to a fellow's record; the fellow themself or staff (`Forbidden`
/// for anyone else). An unknown fellow is `Missing` on `input.fellowId`; a field that
/// does not parse, or a date after today (UTC) on `input.occurredOn`, is
/// `InvalidInput`. Writes the contribution and a `contribution.add` audit record in
/// one transaction.
pub async fn add_contribution(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fellow_id: i64,
    new: NewContribution,
) -> ServiceResult<contribution::Model> {
    let fellow = find_fellow(db, fellow_id, "input.fellowId").await?;
    require_self_or_staff(viewer, &fellow, "add contributions")?;
    let title = Line::parse("input.title", &new.title)?;
    let description = Prose::optional("input.description", new.description.as_deref())?;
    let url = HttpUrl::optional("input.url", new.url.as_deref())?;
    let metric = Text::<100>::optional("input.metric", new.metric.as_deref())?;
    if new.occurred_on.is_some_and(|d| d > Utc::now().date_naive()) {
        return Err(ServiceError::invalid(
            "input.occurredOn",
            "A contribution cannot be in the future.",
        ));
    }
    let txn = db.begin().await?;
    let row = contribution::ActiveModel {
        fellow_id: Set(fellow_id),
        kind: Set(new.kind),
        title: Set(title.into()),
        description: Set(description.map(Into::into)),
        url: Set(url.map(Into::into)),
        metric: Set(metric.map(Into::into)),
        occurred_on: Set(new.occurred_on),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "contribution.add",
            object_type: "Contribution",
            object_id: row.id,
            before: None,
            after: Some(audit::snapshot(&row)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(row)
}

/// Removes a contribution; returns it as it was. The fellow it belongs to, or staff
/// (`Forbidden` for anyone else). An unknown contribution, or one removed meanwhile,
/// is `Missing` on `input.contributionId`. Deletes the row and writes a
/// `contribution.remove` audit record in one transaction.
pub async fn remove_contribution(
    db: &DatabaseConnection,
    viewer: &Viewer,
    contribution_id: i64,
) -> ServiceResult<contribution::Model> {
    let row = contribution::Entity::find_by_id(contribution_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::missing("input.contributionId", "No contribution has this ID.")
        })?;
    let fellow = find_fellow(db, row.fellow_id, "input.contributionId").await?;
    require_self_or_staff(viewer, &fellow, "remove contributions")?;
    let txn = db.begin().await?;
    let deleted = contribution::Entity::delete_by_id(contribution_id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        txn.rollback().await?;
        return Err(ServiceError::missing(
            "input.contributionId",
            "No contribution has this ID.",
        ));
    }
    audit::record(
        &txn,
        viewer,
        Change {
            action: "contribution.remove",
            object_type: "Contribution",
            object_id: row.id,
            before: Some(audit::snapshot(&row)),
            after: None,
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(row)
}
