//! Nominations and endorsements, as the viewer may see them.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{endorsement, nomination};

use super::connection::{connection, nodes_select, page_args};
use super::fellows::{links_from_json, Fellow, Link};
use super::ids::{self, NodeType};
use super::loaders::{loaders, required};
use super::payload::{outcome, UserError};
use super::people::Person;
use super::strategic_areas::StrategicArea;
use super::{db, feed, idempotency_key, viewer};
use crate::domain::LinkInput;
use crate::error::ServiceError;
use crate::service::idempotency::Claim;
use crate::service::nominations::workflow;
use crate::service::{self, access};

/// Where a nomination stands. `SUBMITTED -> UNDER_REVIEW -> ACCEPTED | DECLINED`, and
/// `SUBMITTED | UNDER_REVIEW -> WITHDRAWN`.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::NominationStatus")]
pub enum NominationStatus {
    /// Submitted and awaiting review; open.
    Submitted,
    /// A staff member is reviewing it; open.
    UnderReview,
    /// Accepted by staff, which admitted the nominee as a fellow.
    Accepted,
    /// Declined by staff.
    Declined,
    /// Withdrawn by the nominator before a decision.
    Withdrawn,
}

/// A proposal to admit someone to the program, by a staff member or an active fellow.
#[derive(Clone)]
pub struct Nomination(pub nomination::Model);

/// A proposal to admit someone to the program, by a staff member or an active fellow.
/// Private: staff and partners with `nominations:read` see every nomination, fellows
/// the open ones and their own. Only staff and the nominator see the nominee's e-mail.
// Private: never kept by a shared cache (see `http/graphql.rs`, `cache_headers`).
#[Object(cache_control(private))]
impl Nomination {
    /// An opaque global ID; pass it as `nominationId` to the nomination mutations.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Nomination, self.0.id)
    }

    /// The nominee's full name.
    async fn nominee_name(&self) -> &str {
        &self.0.nominee_name
    }

    /// The nominee's hub handle.
    async fn nominee_handle(&self) -> &str {
        &self.0.nominee_handle
    }

    /// Private contact: staff and the nominator only; `null` with `FORBIDDEN` otherwise.
    async fn nominee_email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(Some(access::readable(
            access::can_read_nominee_email(viewer(ctx), &self.0),
            self.0.nominee_email.as_str(),
            "the nominee's contact e-mail",
        )?))
    }

    /// How the nominee advanced open-source machine learning.
    async fn rationale(&self) -> &str {
        &self.0.rationale
    }

    /// What support would make the nominee more impactful.
    async fn support_requested(&self) -> Option<&str> {
        self.0.support_requested.as_deref()
    }

    /// Links about the nominee: profiles, projects.
    async fn links(&self) -> Vec<Link> {
        links_from_json(&self.0.links)
    }

    /// Where the nomination stands.
    async fn status(&self) -> NominationStatus {
        self.0.status.into()
    }

    /// Increases with every change; pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Who nominated.
    async fn nominator(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(required(
            loaders(ctx)
                .people
                .load_one(self.0.nominator_person_id)
                .await?,
            "nominator",
        )?))
    }

    /// The strategic areas the nomination concerns.
    async fn strategic_areas(&self, ctx: &Context<'_>) -> Result<Vec<StrategicArea>> {
        Ok(loaders(ctx)
            .strategic_areas_by_nomination
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(StrategicArea)
            .collect())
    }

    /// Fellows and staff backing the nomination, oldest first.
    async fn endorsements(&self, ctx: &Context<'_>) -> Result<Vec<Endorsement>> {
        let loaders = loaders(ctx);
        let rows = loaders
            .endorsements_by_nomination
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let endorsements = loaders.with_people(rows).await;
        Ok(endorsements.into_iter().map(Endorsement).collect())
    }

    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When staff started reviewing it; `null` before then.
    async fn review_started_at(&self) -> Option<DateTime<Utc>> {
        self.0.review_started_at
    }

    /// The staff member reviewing it.
    async fn reviewer(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.reviewer_person_id, "reviewer").await
    }

    /// When it was accepted or declined; `null` until then.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// The staff member who accepted or declined it.
    async fn decided_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.decided_by_person_id, "decider").await
    }

    /// The note that came with the decision.
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }

    /// When the nominator withdrew it; `null` unless withdrawn.
    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.0.withdrawn_at
    }

    /// The fellow an accepted nomination admitted.
    async fn fellow(&self, ctx: &Context<'_>) -> Result<Option<Fellow>> {
        Ok(loaders(ctx)
            .fellow_by_nomination
            .load_one(self.0.id)
            .await?
            .flatten()
            .map(Fellow))
    }

    /// When it last changed (an endorsement is a change).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A fellow or staff member backing a nomination.
#[derive(Clone)]
pub struct Endorsement(pub endorsement::Model);

/// A fellow or staff member backing a nomination; readable by those who may read the
/// nomination.
// Private: never kept by a shared cache (see `http/graphql.rs`, `cache_headers`).
#[Object(cache_control(private))]
impl Endorsement {
    /// An opaque global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Endorsement, self.0.id)
    }

    /// Who endorsed the nomination.
    async fn endorser(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(required(
            loaders(ctx)
                .people
                .load_one(self.0.endorser_person_id)
                .await?,
            "endorser",
        )?))
    }

    /// Why the endorser backs it.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// When the nomination was endorsed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The nomination endorsed.
    async fn nomination(&self, ctx: &Context<'_>) -> Result<Nomination> {
        let nomination = required(
            loaders(ctx)
                .nominations
                .load_one(self.0.nomination_id)
                .await?,
            "nomination",
        )?;
        let allowed = access::can_read_nomination(viewer(ctx), &nomination);
        Ok(Nomination(access::readable(
            allowed,
            nomination,
            "this nomination",
        )?))
    }
}

connection!(
    NominationConnection,
    NominationEdge,
    Nomination,
    "nominations"
);

/// Which nominations to list.
#[derive(InputObject, Default)]
pub struct NominationFilter {
    /// Only nominations in one of these states.
    pub status: Option<Vec<NominationStatus>>,
}

/// The `nominations` and `nomination` queries, merged into [`super::Query`].
#[derive(Default)]
pub struct NominationQuery;

#[Object]
impl NominationQuery {
    /// Nominations the caller may see, newest first: all for staff and for partners with
    /// `nominations:read`; open ones and their own for fellows; none for anyone else.
    #[graphql(cache_control(private))]
    async fn nominations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<NominationFilter>,
    ) -> Result<Option<NominationConnection>> {
        let filter = service::nominations::NominationFilter {
            status: filter
                .and_then(|f| f.status)
                .map(|s| s.into_iter().map(Into::into).collect()),
        };
        let (page, nominators) = service::nominations::list(
            db(ctx),
            viewer(ctx),
            &filter,
            &page_args(ctx, first, after, last, before),
            nodes_select(ctx, "nominator"),
        )
        .await?;
        loaders(ctx)
            .people
            .feed_many(nominators.into_iter().map(|p| (p.id, p)))
            .await;
        Ok(Some(NominationConnection(page.map(Nomination))))
    }

    /// The nomination with this ID, if the caller may see it: one they may not see is
    /// `NOT_FOUND`, as a missing one is (`FORBIDDEN` for every ID to those who may see
    /// no nomination at all).
    #[graphql(cache_control(private))]
    async fn nomination(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Nomination>> {
        let row = ids::decode_as(&id, NodeType::Nomination, "id")?;
        let viewer = viewer(ctx);
        access::Reach::of_nominations(viewer).require_some("nominations")?;
        let found = loaders(ctx).nominations.load_one(row).await?;
        match access::visible(found, |n| access::can_read_nomination(viewer, n)) {
            Some(nomination) => Ok(Some(Nomination(nomination))),
            None => Err(
                crate::error::ServiceError::NotFound("No nomination has this ID.".into()).into(),
            ),
        }
    }
}

/// A labelled link, such as a profile or a project.
#[derive(InputObject)]
#[graphql(name = "LinkInput")]
pub struct LinkArg {
    /// What the link points to, such as "GitHub" (1 to 50 characters).
    pub label: String,
    /// An http or https URL.
    pub url: String,
}

/// A nomination: who the nominee is, how they advanced open-source machine learning,
/// and what support would help them.
#[derive(InputObject)]
pub struct SubmitNominationInput {
    /// The nominee's full name (1 to 200 characters).
    pub nominee_name: String,
    /// The nominee's hub handle.
    pub nominee_handle: String,
    /// Private contact, seen only by staff and the nominator.
    pub nominee_email: String,
    /// How the nominee advanced open-source machine learning.
    pub rationale: String,
    /// What support would make the nominee more impactful.
    pub support_requested: Option<String>,
    /// Slugs of the (current) strategic areas the nomination concerns.
    #[graphql(default)]
    pub strategic_area_slugs: Vec<String>,
    /// At most ten links.
    #[graphql(default)]
    pub links: Vec<LinkArg>,
}

/// A nomination to endorse, with an optional comment.
#[derive(InputObject)]
pub struct EndorseNominationInput {
    /// The nomination's global ID (`Nomination.id`).
    pub nomination_id: ID,
    /// Why the endorser backs it.
    pub comment: Option<String>,
}

/// An open nomination to withdraw.
#[derive(InputObject)]
pub struct WithdrawNominationInput {
    /// The nomination's global ID (`Nomination.id`).
    pub nomination_id: ID,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// A submitted nomination to put under review.
#[derive(InputObject)]
pub struct StartNominationReviewInput {
    /// The nomination's global ID (`Nomination.id`).
    pub nomination_id: ID,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// What staff decide about a nomination under review.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum NominationDecision {
    /// Admit the nominee: this creates the fellow.
    Accept,
    /// Turn the nomination down.
    Decline,
}

/// A decision on a nomination under review.
#[derive(InputObject)]
pub struct DecideNominationInput {
    /// The nomination's global ID (`Nomination.id`).
    pub nomination_id: ID,
    /// Whether the nominee is admitted.
    pub decision: NominationDecision,
    /// Why; required for every decision (1 to 2000 characters).
    pub note: String,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// The nomination after a change, or why it was refused.
#[derive(SimpleObject)]
pub struct NominationPayload {
    /// The nomination as the change left it; `null` when it was refused (see `userErrors`).
    pub nomination: Option<Nomination>,
    /// Why the mutation was refused; empty when it succeeded. A caller who may not make
    /// this change at all gets a `FORBIDDEN` error instead.
    pub user_errors: Vec<UserError>,
}

/// The nomination as decided, and the fellow an acceptance admitted, or why the
/// decision was refused.
#[derive(SimpleObject)]
pub struct DecideNominationPayload {
    /// The nomination as decided; `null` when the decision was refused (see `userErrors`).
    pub nomination: Option<Nomination>,
    /// The fellow an acceptance created.
    pub fellow: Option<Fellow>,
    /// Why the mutation was refused; empty when it succeeded. A caller who may not make
    /// this change at all gets a `FORBIDDEN` error instead.
    pub user_errors: Vec<UserError>,
}

fn nomination_payload(
    result: Result<nomination::Model, ServiceError>,
) -> Result<NominationPayload> {
    let (nomination, user_errors) = outcome(result)?;
    Ok(NominationPayload {
        nomination: nomination.map(Nomination),
        user_errors,
    })
}

fn nomination_id(id: &ID) -> Result<i64, ServiceError> {
    ids::decode_as(id, NodeType::Nomination, "input.nominationId")
}

/// The nomination workflow's mutations, merged into [`super::Mutation`].
#[derive(Default)]
pub struct NominationMutation;

/// Tells this process's event feed that a nomination change committed, so that its
/// subscribers hear of it at once (other replicas hear through the database).
fn published<T>(ctx: &Context<'_>, result: Result<T, ServiceError>) -> Result<T, ServiceError> {
    if result.is_ok() {
        feed(ctx).committed();
    }
    result
}

#[Object]
impl NominationMutation {
    /// Nominates someone. Staff and active fellows; nobody nominates themselves, an
    /// active fellow cannot be nominated, and a nominee has at most one open nomination
    /// (a second nominator endorses it instead).
    async fn submit_nomination(
        &self,
        ctx: &Context<'_>,
        input: SubmitNominationInput,
    ) -> Result<NominationPayload> {
        let submission = workflow::Submission {
            nominee_name: input.nominee_name,
            nominee_handle: input.nominee_handle,
            nominee_email: input.nominee_email,
            rationale: input.rationale,
            support_requested: input.support_requested,
            strategic_area_slugs: input.strategic_area_slugs,
            links: input
                .links
                .into_iter()
                .map(|l| LinkInput {
                    label: l.label,
                    url: l.url,
                })
                .collect(),
        };
        let claim = Claim::new(
            viewer(ctx),
            idempotency_key(ctx),
            "submitNomination",
            &submission,
        );
        nomination_payload(published(
            ctx,
            workflow::submit(db(ctx), viewer(ctx), submission, claim).await,
        ))
    }

    /// Backs an open nomination. Staff and active fellows, other than the nominee and
    /// the nominator.
    async fn endorse_nomination(
        &self,
        ctx: &Context<'_>,
        input: EndorseNominationInput,
    ) -> Result<NominationPayload> {
        let result = async {
            let id = nomination_id(&input.nomination_id)?;
            workflow::endorse(db(ctx), viewer(ctx), id, input.comment).await
        }
        .await;
        nomination_payload(published(ctx, result))
    }

    /// Withdraws an open nomination. The nominator only.
    async fn withdraw_nomination(
        &self,
        ctx: &Context<'_>,
        input: WithdrawNominationInput,
    ) -> Result<NominationPayload> {
        let result = async {
            let id = nomination_id(&input.nomination_id)?;
            workflow::withdraw(db(ctx), viewer(ctx), id, input.expected_version).await
        }
        .await;
        nomination_payload(published(ctx, result))
    }

    /// Puts a submitted nomination under review. Staff only.
    async fn start_nomination_review(
        &self,
        ctx: &Context<'_>,
        input: StartNominationReviewInput,
    ) -> Result<NominationPayload> {
        let result = async {
            let id = nomination_id(&input.nomination_id)?;
            workflow::start_review(db(ctx), viewer(ctx), id, input.expected_version).await
        }
        .await;
        nomination_payload(published(ctx, result))
    }

    /// Accepts or declines a nomination under review, always with a note. Staff only,
    /// and never a nomination they submitted or endorsed. Accepting creates the fellow.
    async fn decide_nomination(
        &self,
        ctx: &Context<'_>,
        input: DecideNominationInput,
    ) -> Result<DecideNominationPayload> {
        let decision = match input.decision {
            NominationDecision::Accept => workflow::Decision::Accept,
            NominationDecision::Decline => workflow::Decision::Decline,
        };
        let result = async {
            let id = nomination_id(&input.nomination_id)?;
            workflow::decide(
                db(ctx),
                viewer(ctx),
                id,
                decision,
                &input.note,
                input.expected_version,
            )
            .await
        }
        .await;
        let (decided, user_errors) = outcome(published(ctx, result))?;
        Ok(match decided {
            Some(decided) => DecideNominationPayload {
                nomination: Some(Nomination(decided.nomination)),
                fellow: decided.fellow.map(Fellow),
                user_errors,
            },
            None => DecideNominationPayload {
                nomination: None,
                fellow: None,
                user_errors,
            },
        })
    }
}
