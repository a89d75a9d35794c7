//! A realistic data set of a given size, written straight into a database that the real
//! migrations built, with every column filled the way the server fills it: folded
//! copies beside the texts matched ignoring case (by [`entity::folding::fold`], as the
//! server does), versions that count the changes a row went through, and for each
//! nomination the outbox events of its history, each with the nomination as it was
//! then (what `nomination_events::append` writes).
//!
//! Rows carry explicit ids, assigned here, so that one pass builds every foreign key
//! without reading anything back; the PostgreSQL sequences are moved past them at the
//! end (SQLite's `AUTOINCREMENT` follows explicit ids by itself). Rows go in multi-row
//! `INSERT`s of a few thousand values, in one transaction.
//!
//! The same seed gives the same rows; times are counted back from a fixed day
//! ([`reference_time`]) rather than from the clock, for the same reason.

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::enums::{
    AccountRole, ContributionKind, FellowStatus, MembershipTier, NominationEventKind,
    NominationStatus, OrganizationKind,
};
use entity::folding::fold;
use entity::{
    account, board_seat, contribution, endorsement, fellow, fellow_strategic_area,
    foundation_membership, nomination, nomination_event, nomination_strategic_area, organization,
    person, strategic_area,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, InsertMany, IntoActiveModel, Iterable, Statement, TransactionTrait,
};
use serde_json::{json, Value};

use crate::names::{self, Handles};
use crate::Rng;

/// How many rows of each kind: nominations and organizations grow with the fellows
/// (10,000 and 2,000 at 50,000 fellows).
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Fellows, each with a person, contributions, areas and a nominator.
    pub fellows: usize,
    /// Nominations, in every status, with endorsements.
    pub nominations: usize,
    /// Organizations, the foundations among them included.
    pub organizations: usize,
    /// Organizations of the kind foundation, which hold the memberships.
    pub foundations: usize,
}

impl Size {
    /// The sizes that go with this many fellows.
    pub fn for_fellows(fellows: usize) -> Size {
        let organizations = (fellows / 25).max(10);
        Size {
            fellows,
            nominations: (fellows / 5).max(10),
            organizations,
            foundations: (organizations / 50).max(3),
        }
    }
}

/// The handles a benchmark signs in as, and the counts written.
#[derive(Debug, Default)]
pub struct Summary {
    /// Staff members with accounts, for the staff workloads.
    pub staff_handles: Vec<String>,
    /// A fellow with an account, for `api token --role FELLOW --sub ...`.
    pub fellow_handle: String,
    /// The foundation with the most members.
    pub busiest_foundation: String,
    /// Rows written, by table.
    pub counts: Vec<(&'static str, usize)>,
}

/// The day the data set is "now": every time in it is before this.
pub fn reference_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .single()
        .expect("a valid time")
}

/// The day the program was announced (as in the demo data): nobody joined before.
fn program_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 4, 18).expect("a valid date")
}

fn at(day: NaiveDate, seconds: i64) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::seconds(seconds)
}

const STAFF: &[(&str, &str)] = &[("Merve Noyan", "merve"), ("Omar Espejel", "espejelomar")];
/// Staff beyond the demo's two, with generated names.
const MORE_STAFF: usize = 6;

const AREAS: &[(&str, &str)] = &[
    ("spanish-nlp", "Spanish-language NLP"),
    ("speech-and-audio", "Speech and audio"),
    (
        "tensorflow-and-keras",
        "TensorFlow and Keras in the libraries",
    ),
    ("community-and-events", "Community building and events"),
    ("model-publishing", "Model publishing"),
    ("computer-vision", "Computer vision"),
    ("reinforcement-learning", "Reinforcement learning"),
    ("multilingual-models", "Multilingual models"),
    ("african-languages", "African languages"),
    ("indic-languages", "Indic languages"),
    ("arabic-nlp", "Arabic-language NLP"),
    ("turkish-nlp", "Turkish-language NLP"),
    ("datasets-and-benchmarks", "Data sets and benchmarks"),
    ("evaluation", "Evaluation and leaderboards"),
    ("efficient-inference", "Efficient inference"),
    ("on-device-ml", "Machine learning on devices"),
    ("ml-for-science", "Machine learning for science"),
    ("healthcare-ml", "Machine learning in healthcare"),
    ("ethics-and-society", "Ethics and society"),
    ("education", "Teaching machine learning"),
    ("documentation", "Documentation and tutorials"),
    ("diffusion-models", "Diffusion models"),
    ("robotics", "Robotics"),
    ("accessibility", "Accessibility"),
];

const TOPICS: &[&str] = &[
    "speech recognition",
    "low-resource languages",
    "tokenizers",
    "vision transformers",
    "retrieval",
    "model evaluation",
    "quantization",
    "data set curation",
    "diffusion",
    "reinforcement learning",
    "on-device inference",
    "multilingual models",
    "documentation",
    "protein models",
    "time series",
    "text-to-speech",
    "code models",
    "fairness audits",
    "open data sets",
    "agents",
];

const ROLES: &[&str] = &[
    "Researcher",
    "Engineer",
    "Community organiser",
    "Student",
    "Maintainer",
    "Educator",
    "Data scientist",
    "Open-source contributor",
    "PhD candidate",
    "Independent developer",
];

fn contribution_title(rng: &mut Rng, kind: ContributionKind) -> String {
    let topic = rng.pick(TOPICS);
    match kind {
        ContributionKind::CommunityBuilding => format!("Grew a community around {topic}"),
        ContributionKind::ModelPublishing => format!("Published open models for {topic}"),
        ContributionKind::LibraryCode => format!("Contributed {topic} support to a library"),
        ContributionKind::Advocacy => format!("Spoke about open {topic}"),
        ContributionKind::WorkingGroup => format!("Led a working group on {topic}"),
        ContributionKind::ForumSupport => format!("Answered forum questions on {topic}"),
        ContributionKind::Events => format!("Organised a sprint on {topic}"),
        ContributionKind::Other => format!("Helped the team with {topic}"),
    }
}

/// Inserts `rows` in multi-row statements of at most ~30,000 values (under both
/// databases' limits on bound parameters).
async fn insert_rows<E>(txn: &DatabaseTransaction, rows: Vec<E::Model>) -> anyhow::Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let columns = E::Column::iter().count();
    let per_statement = (30_000 / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::Model> = rows.by_ref().take(per_statement).collect();
        InsertMany::<E::ActiveModel>::many(chunk)
            .exec_without_returning(txn)
            .await
            .with_context(|| format!("inserting into {}", E::default().table_name()))?;
    }
    Ok(())
}

/// The nomination as an outbox event carries it (the server's `payload`).
fn event_payload(n: &nomination::Model) -> anyhow::Result<Value> {
    let mut value = serde_json::to_value(n)?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("nominee_email");
    }
    Ok(json!({ "nomination": value }))
}

/// Builds the data set into `db`, which must hold the migrated, empty schema.
pub async fn generate(db: &DatabaseConnection, size: Size, seed: u64) -> anyhow::Result<Summary> {
    let mut rng = Rng::new(seed);
    let now = reference_time();
    let start = program_start();
    let days = (now.date_naive() - start).num_days();
    let mut handles = Handles::default();
    let mut summary = Summary::default();

    // Strategic areas.
    let areas: Vec<strategic_area::Model> = AREAS
        .iter()
        .enumerate()
        .map(|(i, (slug, name))| {
            let created = at(start, 3_600 * i as i64);
            strategic_area::Model {
                id: i as i64 + 1,
                slug: (*slug).to_owned(),
                name: (*name).to_owned(),
                description: Some(format!(
                    "Work of the fellowship in {}.",
                    name.to_lowercase()
                )),
                archived_at: None,
                version: 1,
                created_at: created,
                updated_at: created,
                slug_folded: fold(slug),
                name_folded: fold(name),
            }
        })
        .collect();

    // People: staff first, then one per fellow, then board representatives.
    let mut people: Vec<person::Model> = Vec::new();
    let mut accounts: Vec<account::Model> = Vec::new();
    let new_person =
        |people: &mut Vec<person::Model>, name: String, handle: Option<String>, when| {
            let id = people.len() as i64 + 1;
            people.push(person::Model {
                id,
                name_folded: fold(&name),
                handle_folded: handle.as_deref().map(fold),
                name,
                handle,
                created_at: when,
                updated_at: when,
            });
            id
        };
    let mut staff: Vec<i64> = Vec::new();
    for (name, handle) in STAFF {
        handles.reserve(handle);
        staff.push(new_person(
            &mut people,
            (*name).to_owned(),
            Some((*handle).to_owned()),
            at(start, 0),
        ));
        summary.staff_handles.push((*handle).to_owned());
    }
    for _ in 0..MORE_STAFF {
        let name = names::person_name(&mut rng);
        let handle = handles.for_name(&mut rng, &name);
        staff.push(new_person(&mut people, name, Some(handle), at(start, 0)));
    }
    for &id in &staff {
        accounts.push(account::Model {
            id: accounts.len() as i64 + 1,
            person_id: id,
            role: AccountRole::Staff,
            created_at: at(start, 0),
            disabled_at: None,
            disabled_by_person_id: None,
            disabled_note: None,
        });
    }

    // Fellows: joined across the program's life, ids roughly in joining order, each
    // with an account (an accepted nomination creates one).
    let mut fellows: Vec<fellow::Model> = Vec::with_capacity(size.fellows);
    for i in 0..size.fellows {
        let spread = days * i as i64 / size.fellows.max(1) as i64;
        let joined = start + Duration::days((spread + rng.between(-20, 20)).clamp(0, days - 1));
        let joined_at = at(joined, rng.between(8 * 3_600, 18 * 3_600));
        let name = names::person_name(&mut rng);
        let handle = handles.for_name(&mut rng, &name);
        let person_id = new_person(&mut people, name, Some(handle.clone()), joined_at);
        accounts.push(account::Model {
            id: accounts.len() as i64 + 1,
            person_id,
            role: AccountRole::Fellow,
            created_at: joined_at,
            disabled_at: None,
            disabled_by_person_id: None,
            disabled_note: None,
        });
        // Nominated by an earlier fellow, the first ones (and a few later) by staff.
        let nominator = if i < 20 || rng.chance(0.05) {
            *rng.pick(&staff)
        } else {
            fellows[rng.below(i)].person_id
        };
        let headline = rng
            .chance(0.8)
            .then(|| format!("{} working on {}", rng.pick(ROLES), rng.pick(TOPICS)));
        let bio = rng.chance(0.5).then(|| {
            format!(
                "Works on {} and {}. Joined the fellowship in {}.",
                rng.pick(TOPICS),
                rng.pick(TOPICS),
                joined.format("%B %Y")
            )
        });
        let links = if rng.chance(0.6) {
            json!([{ "label": "Profile", "url": format!("https://example.org/{handle}") }])
        } else {
            json!([])
        };
        let edits = if rng.chance(0.3) {
            rng.between(1, 3)
        } else {
            0
        };
        let updated = (joined_at + Duration::days(edits * 30)).min(now);
        let alumni = rng.chance(if spread < days / 2 { 0.18 } else { 0.04 });
        fellows.push(fellow::Model {
            id: i as i64 + 1,
            person_id,
            headline_folded: headline.as_deref().map(fold),
            headline,
            bio,
            links,
            status: if alumni {
                FellowStatus::Alumni
            } else {
                FellowStatus::Active
            },
            joined_on: joined,
            nominated_by_person_id: Some(nominator),
            nomination_id: None,
            version: 1 + edits as i32 + i32::from(alumni),
            created_at: joined_at,
            updated_at: updated,
        });
    }
    if let Some(first) = fellows.iter().find(|f| f.status == FellowStatus::Active) {
        summary.fellow_handle = people[first.person_id as usize - 1]
            .handle
            .clone()
            .unwrap_or_default();
    }
    let active_people: Vec<i64> = fellows
        .iter()
        .filter(|f| f.status == FellowStatus::Active)
        .map(|f| f.person_id)
        .collect();

    // Five contributions and two strategic areas per fellow.
    let mut contributions: Vec<contribution::Model> = Vec::with_capacity(size.fellows * 5);
    let mut fellow_areas: Vec<fellow_strategic_area::Model> = Vec::with_capacity(size.fellows * 2);
    for f in &fellows {
        for _ in 0..5 {
            let kind = ContributionKind::ALL[rng.weighted(&[18, 22, 16, 8, 8, 12, 12, 4])];
            let occurred = f.joined_on - Duration::days(rng.between(0, 400));
            contributions.push(contribution::Model {
                id: contributions.len() as i64 + 1,
                fellow_id: f.id,
                kind,
                title: contribution_title(&mut rng, kind),
                description: rng
                    .chance(0.7)
                    .then(|| format!("Work on {} shared openly.", rng.pick(TOPICS))),
                url: rng
                    .chance(0.4)
                    .then(|| format!("https://example.org/work/{}", contributions.len() + 1)),
                metric: rng
                    .chance(0.2)
                    .then(|| format!("{}+ users", rng.between(2, 90) * 10)),
                occurred_on: rng.chance(0.8).then_some(occurred),
                created_at: f.created_at,
            });
        }
        let first = rng.below(areas.len());
        let second = (first + 1 + rng.below(areas.len() - 1)) % areas.len();
        for area in [first, second] {
            fellow_areas.push(fellow_strategic_area::Model {
                fellow_id: f.id,
                strategic_area_id: areas[area].id,
            });
        }
    }

    // Nominations, in every state, with their endorsements and events. Accepted ones
    // admitted fellows who joined after the first tenth of the program.
    let mut nominations: Vec<nomination::Model> = Vec::with_capacity(size.nominations);
    let mut nomination_areas: Vec<nomination_strategic_area::Model> = Vec::new();
    let mut endorsements: Vec<endorsement::Model> = Vec::new();
    let mut events: Vec<nomination_event::Model> = Vec::new();
    let statuses: Vec<NominationStatus> = (0..size.nominations)
        .map(|_| NominationStatus::ALL[rng.weighted(&[25, 15, 25, 20, 15])])
        .collect();
    let accepted = statuses
        .iter()
        .filter(|s| **s == NominationStatus::Accepted)
        .count();
    let admitted_from = size.fellows / 10;
    let mut next_admitted = 0usize;
    for (i, status) in statuses.into_iter().enumerate() {
        let id = i as i64 + 1;
        let admitted = (status == NominationStatus::Accepted).then(|| {
            let k = next_admitted;
            next_admitted += 1;
            admitted_from + k * (size.fellows - admitted_from) / accepted.max(1)
        });
        let (nominee_name, nominee_handle, nominator, created) = match admitted {
            Some(f) => {
                let fellow = &fellows[f];
                let person = &people[fellow.person_id as usize - 1];
                let decided = at(fellow.joined_on, 10 * 3_600);
                (
                    person.name.clone(),
                    person.handle.clone().unwrap_or_default(),
                    fellow.nominated_by_person_id.unwrap_or(staff[0]),
                    decided - Duration::days(rng.between(14, 90)),
                )
            }
            None => {
                let name = names::person_name(&mut rng);
                let handle = handles.for_name(&mut rng, &name);
                let open = matches!(
                    status,
                    NominationStatus::Submitted | NominationStatus::UnderReview
                );
                let back = if open {
                    rng.between(1, 120)
                } else {
                    rng.between(121, days - 1)
                };
                let nominator = if rng.chance(0.1) {
                    *rng.pick(&staff)
                } else {
                    *rng.pick(&active_people)
                };
                (
                    name,
                    handle,
                    nominator,
                    now - Duration::days(back) - Duration::seconds(rng.between(0, 86_399)),
                )
            }
        };
        let links = if rng.chance(0.3) {
            json!([{ "label": "Work", "url": format!("https://example.org/{nominee_handle}") }])
        } else {
            json!([])
        };
        let mut n = nomination::Model {
            id,
            nominee_handle_folded: fold(&nominee_handle),
            nominee_email: format!("{}@example.org", nominee_handle.to_ascii_lowercase()),
            nominee_name,
            nominee_handle,
            rationale: format!(
                "Has done outstanding open work on {} and {}, and helps others do the same.",
                rng.pick(TOPICS),
                rng.pick(TOPICS)
            ),
            support_requested: rng
                .chance(0.5)
                .then(|| "Compute for training open models.".to_owned()),
            links,
            status: NominationStatus::Submitted,
            nominator_person_id: nominator,
            reviewer_person_id: None,
            review_started_at: None,
            decided_by_person_id: None,
            decided_at: None,
            decision_note: None,
            withdrawn_at: None,
            version: 1,
            created_at: created,
            updated_at: created,
        };
        let first_area = rng.below(areas.len());
        nomination_areas.push(nomination_strategic_area::Model {
            nomination_id: id,
            strategic_area_id: areas[first_area].id,
        });
        if rng.chance(0.5) {
            nomination_areas.push(nomination_strategic_area::Model {
                nomination_id: id,
                strategic_area_id: areas[(first_area + 1) % areas.len()].id,
            });
        }

        // The history: when each step happened.
        let end = match admitted {
            Some(f) => at(fellows[f].joined_on, 10 * 3_600),
            None => (created + Duration::days(rng.between(3, 60))).min(now),
        };
        let span = (end - created).num_seconds().max(10);
        let reviewed = match status {
            NominationStatus::Submitted => false,
            NominationStatus::Withdrawn => rng.chance(0.5),
            _ => true,
        };
        let review_at = created + Duration::seconds(span * 6 / 10);
        let mut history: Vec<(DateTime<Utc>, NominationEventKind, i64)> = Vec::new();
        history.push((created, NominationEventKind::Submitted, nominator));
        let endorsing = rng.weighted(&[20, 30, 25, 15, 10]);
        let nominee_person = admitted.map(|f| fellows[f].person_id);
        let mut endorsers: HashSet<i64> = HashSet::new();
        let mut tries = 0;
        while endorsers.len() < endorsing && tries < 20 {
            tries += 1;
            let who = if rng.chance(0.1) {
                *rng.pick(&staff)
            } else {
                *rng.pick(&active_people)
            };
            if who != nominator && Some(who) != nominee_person {
                endorsers.insert(who);
            }
        }
        let mut endorsers: Vec<i64> = endorsers.into_iter().collect();
        endorsers.sort_unstable();
        let endorse_until = if reviewed { review_at } else { end };
        for who in &endorsers {
            let when = created
                + Duration::seconds(
                    1 + rng.below(((endorse_until - created).num_seconds().max(2) - 1) as usize)
                        as i64,
                );
            history.push((when, NominationEventKind::Endorsed, *who));
        }
        // Staff who neither nominated nor endorsed take the review and the decision.
        let deciders: Vec<i64> = staff
            .iter()
            .copied()
            .filter(|s| *s != nominator && !endorsers.contains(s))
            .collect();
        let reviewer = deciders.first().map_or(staff[0], |_| *rng.pick(&deciders));
        if reviewed {
            history.push((review_at, NominationEventKind::ReviewStarted, reviewer));
        }
        match status {
            NominationStatus::Accepted => {
                history.push((end, NominationEventKind::Accepted, reviewer));
            }
            NominationStatus::Declined => {
                history.push((end, NominationEventKind::Declined, reviewer));
            }
            NominationStatus::Withdrawn => {
                history.push((end, NominationEventKind::Withdrawn, nominator));
            }
            _ => {}
        }
        // Submission first, then in time order.
        history.sort_by_key(|(when, kind, _)| (*kind != NominationEventKind::Submitted, *when));

        for (when, kind, actor) in history {
            match kind {
                NominationEventKind::Submitted => {}
                NominationEventKind::Endorsed => {
                    n.version += 1;
                    endorsements.push(endorsement::Model {
                        id: endorsements.len() as i64 + 1,
                        nomination_id: id,
                        endorser_person_id: actor,
                        comment: rng
                            .chance(0.6)
                            .then(|| "Their work speaks for itself.".to_owned()),
                        created_at: when,
                    });
                }
                NominationEventKind::ReviewStarted => {
                    n.version += 1;
                    n.status = NominationStatus::UnderReview;
                    n.reviewer_person_id = Some(actor);
                    n.review_started_at = Some(when);
                }
                NominationEventKind::Accepted | NominationEventKind::Declined => {
                    n.version += 1;
                    n.status = if kind == NominationEventKind::Accepted {
                        NominationStatus::Accepted
                    } else {
                        NominationStatus::Declined
                    };
                    n.decided_by_person_id = Some(actor);
                    n.decided_at = Some(when);
                    n.decision_note = Some(if kind == NominationEventKind::Accepted {
                        "Welcome to the fellowship.".to_owned()
                    } else {
                        "Not this round; we hope to see a nomination again.".to_owned()
                    });
                }
                NominationEventKind::Withdrawn => {
                    n.version += 1;
                    n.status = NominationStatus::Withdrawn;
                    n.withdrawn_at = Some(when);
                }
            }
            n.updated_at = when;
            events.push(nomination_event::Model {
                id: 0,
                nomination_id: id,
                kind,
                actor_person_id: Some(actor),
                occurred_at: when,
                payload: Some(event_payload(&n)?),
            });
        }
        debug_assert_eq!(n.status, status);
        if let Some(f) = admitted {
            fellows[f].nomination_id = Some(id);
            fellows[f].nominated_by_person_id = Some(nominator);
        }
        nominations.push(n);
    }
    // The outbox is in commit order.
    events.sort_by_key(|e| (e.occurred_at, e.nomination_id));
    for (i, e) in events.iter_mut().enumerate() {
        e.id = i as i64 + 1;
    }

    // Organizations: foundations first (the first is the umbrella of some others),
    // then companies, universities, nonprofits and agencies.
    let mut organizations: Vec<organization::Model> = Vec::with_capacity(size.organizations);
    let mut slugs: HashSet<String> = HashSet::new();
    for i in 0..size.organizations {
        let id = i as i64 + 1;
        let (name, kind, parent) = if i < size.foundations {
            let parent = (i == 1 || (i > 1 && rng.chance(0.2))).then_some(1);
            (
                names::foundation_name(i),
                OrganizationKind::Foundation,
                parent,
            )
        } else {
            let (name, kind) = names::organization_name(&mut rng);
            let kind = [
                OrganizationKind::Company,
                OrganizationKind::Nonprofit,
                OrganizationKind::Academic,
                OrganizationKind::Government,
                OrganizationKind::Other,
            ][kind];
            (name, kind, None)
        };
        let mut name = name;
        let mut n = 1;
        while !slugs.insert(names::slug(&name)) {
            n += 1;
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ');
            name = format!("{base} {n}");
        }
        let slug = names::slug(&name);
        let created = at(start, 3_600 * 24 * (i as i64 % days.max(1)));
        organizations.push(organization::Model {
            id,
            slug_folded: fold(&slug),
            name_folded: fold(&name),
            website_url: Some(format!("https://{slug}.example.org")),
            description: Some(format!("{name}, recorded for its foundation memberships.")),
            slug,
            name,
            kind,
            parent_id: parent,
            version: 1,
            created_at: created,
            updated_at: created,
        });
    }

    // Memberships: each member joins one to three foundations, the big ones most.
    let foundation_weights: Vec<u32> = (0..size.foundations)
        .map(|rank| (1_000 / (rank + 1)) as u32)
        .collect();
    let mut memberships: Vec<foundation_membership::Model> = Vec::new();
    let mut seats: Vec<board_seat::Model> = Vec::new();
    let mut members_per_foundation = vec![0usize; size.foundations];
    const TITLES: &[&str] = &[
        "Head of Open Source",
        "CTO",
        "VP Engineering",
        "Director of Research",
        "Open Source Program Lead",
        "Chief Scientist",
    ];
    for member in organizations.iter().skip(size.foundations) {
        let count = 1 + rng.weighted(&[55, 35, 10]);
        let mut joined_foundations: HashSet<usize> = HashSet::new();
        while joined_foundations.len() < count.min(size.foundations) {
            joined_foundations.insert(rng.weighted(&foundation_weights));
        }
        let mut joined_foundations: Vec<usize> = joined_foundations.into_iter().collect();
        joined_foundations.sort_unstable();
        for f in joined_foundations {
            members_per_foundation[f] += 1;
            let tier = MembershipTier::ALL[rng.weighted(&[15, 50, 35])];
            let joined_on = rng.chance(0.85).then(|| {
                NaiveDate::from_ymd_opt(2015, 1, 1).expect("a valid date")
                    + Duration::days(rng.between(0, 4_300))
            });
            let ended_on = joined_on
                .filter(|_| rng.chance(0.1))
                .map(|j| (j + Duration::days(rng.between(180, 1_500))).min(now.date_naive()));
            let id = memberships.len() as i64 + 1;
            let created = joined_on.map_or(member.created_at, |d| at(d, 9 * 3_600));
            let updated = ended_on.map_or(created, |d| at(d, 9 * 3_600));
            memberships.push(foundation_membership::Model {
                id,
                member_id: member.id,
                foundation_id: organizations[f].id,
                tier,
                joined_on,
                ended_on,
                announcement_url: rng
                    .chance(0.3)
                    .then(|| format!("https://example.org/news/{}-joins", member.slug)),
                version: if ended_on.is_some() { 2 } else { 1 },
                created_at: created,
                updated_at: updated,
            });
            if tier != MembershipTier::Premier {
                continue;
            }
            // The tier's one seat: held now (or until the membership ended), sometimes
            // by a second representative after a first one's term.
            let since = joined_on;
            let mut terms: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = Vec::new();
            let changed = since
                .filter(|_| rng.chance(0.35))
                .map(|s| s + Duration::days(rng.between(200, 900)))
                .filter(|c| *c < ended_on.unwrap_or(now.date_naive()));
            match changed {
                Some(c) => {
                    terms.push((since, Some(c)));
                    terms.push((Some(c), ended_on));
                }
                None => terms.push((since, ended_on)),
            }
            for (since, until) in terms {
                let name = names::person_name(&mut rng);
                let handle = rng.chance(0.2).then(|| handles.for_name(&mut rng, &name));
                let when = since.map_or(created, |d| at(d, 9 * 3_600));
                let representative = new_person(&mut people, name, handle, when);
                let updated = until.map_or(when, |d| at(d, 9 * 3_600));
                seats.push(board_seat::Model {
                    id: seats.len() as i64 + 1,
                    membership_id: id,
                    board: "Governing Board".to_owned(),
                    representative_person_id: representative,
                    title: Some((*rng.pick(TITLES)).to_owned()),
                    since,
                    until,
                    created_at: when,
                    updated_at: updated,
                });
            }
        }
    }
    let busiest = (0..size.foundations)
        .max_by_key(|f| members_per_foundation[*f])
        .unwrap_or(0);
    summary.busiest_foundation = organizations[busiest].slug.clone();

    summary.counts = vec![
        ("people", people.len()),
        ("accounts", accounts.len()),
        ("strategic_areas", areas.len()),
        ("fellows", fellows.len()),
        ("contributions", contributions.len()),
        ("fellow_strategic_areas", fellow_areas.len()),
        ("nominations", nominations.len()),
        ("nomination_strategic_areas", nomination_areas.len()),
        ("endorsements", endorsements.len()),
        ("nomination_events", events.len()),
        ("organizations", organizations.len()),
        ("foundation_memberships", memberships.len()),
        ("board_seats", seats.len()),
    ];

    // Parents before children.
    let txn = db.begin().await?;
    insert_rows::<strategic_area::Entity>(&txn, areas).await?;
    insert_rows::<person::Entity>(&txn, people).await?;
    insert_rows::<account::Entity>(&txn, accounts).await?;
    insert_rows::<nomination::Entity>(&txn, nominations).await?;
    insert_rows::<nomination_strategic_area::Entity>(&txn, nomination_areas).await?;
    insert_rows::<endorsement::Entity>(&txn, endorsements).await?;
    insert_rows::<nomination_event::Entity>(&txn, events).await?;
    insert_rows::<fellow::Entity>(&txn, fellows).await?;
    insert_rows::<contribution::Entity>(&txn, contributions).await?;
    insert_rows::<fellow_strategic_area::Entity>(&txn, fellow_areas).await?;
    insert_rows::<organization::Entity>(&txn, organizations).await?;
    insert_rows::<foundation_membership::Entity>(&txn, memberships).await?;
    insert_rows::<board_seat::Entity>(&txn, seats).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Explicit ids leave the sequences behind; the server's inserts need them past.
        for table in [
            "people",
            "accounts",
            "strategic_areas",
            "nominations",
            "endorsements",
            "nomination_events",
            "fellows",
            "contributions",
            "organizations",
            "foundation_memberships",
            "board_seats",
        ] {
            txn.execute_unprepared(&format!(
                r#"SELECT setval(pg_get_serial_sequence('"{table}"', 'id'), (SELECT MAX("id") FROM "{table}"))"#
            ))
            .await
            .with_context(|| format!("moving the id sequence of {table}"))?;
        }
    }
    txn.commit().await?;
    Ok(summary)
}

/// Refreshes the planner's statistics, as an operator would after a bulk load.
pub async fn analyze(db: &DatabaseConnection) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    // VACUUM too, as autovacuum would soon: it marks the pages all-visible, which lets
    // PostgreSQL count from an index alone.
    let refresh = match backend {
        DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_raw(Statement::from_string(backend, refresh))
        .await?;
    if backend == DbBackend::Sqlite {
        db.execute_raw(Statement::from_string(backend, "PRAGMA optimize"))
            .await?;
    }
    Ok(())
}
