//! The demo data set: the facts of the fellowship program's announcement and of one
//! foundation membership (see `DEMO-FACTS.md` of the project's shared folder). Where a
//! fact is not known (a date, a handle), the field stays empty rather than invented.
//! It loads in one transaction, and only into a database that holds no records yet.

use chrono::NaiveDate;
use entity::enums::{
    AccountRole, ContributionKind, FellowStatus, MembershipTier, OrganizationKind,
};
use entity::{
    account, board_seat, contribution, fellow, fellow_strategic_area, foundation_membership,
    organization, person, strategic_area,
};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, Set,
    TransactionTrait,
};
use serde_json::json;

use crate::error::ServiceResult;

/// What [`load`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The whole data set was written, in one transaction.
    Loaded,
    /// Nothing was written: the database already holds records.
    DatabaseNotEmpty,
}

/// The day the program was announced; the first fellows joined with it.
fn announced_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 4, 18).expect("a valid date")
}

struct Area {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
}

const AREAS: &[Area] = &[
    Area {
        slug: "spanish-nlp",
        name: "Spanish-language NLP",
        description:
            "Models, data sets and communities for natural-language processing in Spanish.",
    },
    Area {
        slug: "speech-and-audio",
        name: "Speech and audio",
        description:
            "Open models and tools for speech recognition, synthesis and audio understanding.",
    },
    Area {
        slug: "tensorflow-and-keras",
        name: "TensorFlow and Keras in the libraries",
        description: "TensorFlow and Keras support in the open-source model libraries.",
    },
    Area {
        slug: "community-and-events",
        name: "Community building and events",
        description: "Growing communities and running sprints, hackathons and workshops.",
    },
    Area {
        slug: "model-publishing",
        name: "Model publishing",
        description: "Training and sharing models openly on the model hub.",
    },
];

struct Contribution {
    kind: ContributionKind,
    title: &'static str,
    description: &'static str,
    metric: Option<&'static str>,
}

struct FirstFellow {
    name: &'static str,
    handle: &'static str,
    headline: &'static str,
    areas: &'static [&'static str],
    contributions: &'static [Contribution],
}

const FIRST_FELLOWS: &[FirstFellow] = &[
    FirstFellow {
        name: "María Grandury",
        handle: "mariagrandury",
        headline: "Founder of SomosNLP, the largest Spanish-speaking NLP community",
        areas: &["spanish-nlp", "community-and-events"],
        contributions: &[
            Contribution {
                kind: ContributionKind::CommunityBuilding,
                title: "Founded SomosNLP",
                description: "Started and grew SomosNLP, the largest community for NLP in Spanish.",
                metric: None,
            },
            Contribution {
                kind: ContributionKind::Events,
                title: "Organised a Spanish NLP hackathon",
                description: "Its participants produced models that advanced the state of the art for Spanish.",
                metric: Some("20+ models"),
            },
        ],
    },
    FirstFellow {
        name: "Manuel Romero",
        handle: "mrm8488",
        headline: "Prolific publisher of open models, many of them for Spanish",
        areas: &["model-publishing", "spanish-nlp"],
        contributions: &[
            Contribution {
                kind: ContributionKind::ModelPublishing,
                title: "Published hundreds of models on the hub",
                description: "Shared a large, varied collection of models openly.",
                metric: Some("300+ models"),
            },
            Contribution {
                kind: ContributionKind::ModelPublishing,
                title: "Trained state-of-the-art Spanish models",
                description: "Trained several models that set the state of the art for Spanish.",
                metric: None,
            },
            Contribution {
                kind: ContributionKind::CommunityBuilding,
                title: "Took part in many community efforts",
                description: "A steady participant in community projects and events.",
                metric: None,
            },
        ],
    },
    FirstFellow {
        name: "Aritra Roy Gosthipathy",
        handle: "ariG23498",
        headline: "TensorFlow architectures in Transformers; Keras working group",
        areas: &["tensorflow-and-keras"],
        contributions: &[
            Contribution {
                kind: ContributionKind::LibraryCode,
                title: "Contributed TensorFlow architectures to Transformers",
                description: "Added new TensorFlow model architectures to the transformers library.",
                metric: None,
            },
            Contribution {
                kind: ContributionKind::WorkingGroup,
                title: "Helped start the Keras working group",
                description: "Among those who started the community's Keras working group.",
                metric: None,
            },
        ],
    },
    FirstFellow {
        name: "Vaibhav Srivastav",
        handle: "reach-vb",
        headline: "Speech advocate; led the ML4Audio working group",
        areas: &["speech-and-audio", "community-and-events"],
        contributions: &[
            Contribution {
                kind: ContributionKind::Advocacy,
                title: "Advocated for open speech technology",
                description: "Spoke and wrote for open speech models and tools.",
                metric: None,
            },
            Contribution {
                kind: ContributionKind::WorkingGroup,
                title: "Led the ML4Audio working group",
                description: "Led the group and its paper discussion sessions.",
                metric: None,
            },
            Contribution {
                kind: ContributionKind::CommunityBuilding,
                title: "Helped set up the community Discord",
                description: "Helped start the community's Discord server.",
                metric: None,
            },
        ],
    },
    FirstFellow {
        name: "Bram Vanroy",
        handle: "BramVanroy",
        headline: "Early helper of contributors and of the team on GitHub and the forum",
        areas: &["community-and-events"],
        contributions: &[Contribution {
            kind: ContributionKind::ForumSupport,
            title: "Helped contributors on GitHub and the forum",
            description: "Answered and guided many contributors, and the team, from the early days.",
            metric: None,
        }],
    },
    FirstFellow {
        name: "Christopher Akiki",
        handle: "cakiki",
        headline: "Helped the team on many fronts; sprints and workshops",
        areas: &["community-and-events"],
        contributions: &[
            Contribution {
                kind: ContributionKind::Other,
                title: "Helped the team on many fronts",
                description: "Lent a hand wherever the team needed one.",
                metric: None,
            },
            Contribution {
                kind: ContributionKind::Events,
                title: "Contributed to community sprints",
                description: "Took part in the community's sprints.",
                metric: None,
            },
            Contribution {
                kind: ContributionKind::Events,
                title: "Organised workshops",
                description: "Organised workshops for the community.",
                metric: None,
            },
        ],
    },
    FirstFellow {
        name: "Ceyda Çınarel",
        handle: "ceyda",
        headline: "Contributed many models in community sprints",
        areas: &["model-publishing", "community-and-events"],
        contributions: &[Contribution {
            kind: ContributionKind::ModelPublishing,
            title: "Contributed models in community sprints",
            description: "Built and shared many models across several community sprints.",
            metric: None,
        }],
    },
];

/// Loads the demo data set into an empty database. A database that already holds
/// people, organizations or strategic areas is left as it is.
pub async fn load(db: &DatabaseConnection) -> ServiceResult<Outcome> {
    let txn = db.begin().await?;
    let existing = person::Entity::find().count(&txn).await?
        + organization::Entity::find().count(&txn).await?
        + strategic_area::Entity::find().count(&txn).await?;
    if existing > 0 {
        return Ok(Outcome::DatabaseNotEmpty);
    }

    for (name, handle) in [("Merve Noyan", "merve"), ("Omar Espejel", "espejelomar")] {
        let staff = insert_person(&txn, name, Some(handle)).await?;
        insert_account(&txn, staff.id, AccountRole::Staff).await?;
    }

    let mut area_ids = std::collections::HashMap::new();
    for area in AREAS {
        let row = strategic_area::ActiveModel {
            slug: Set(area.slug.to_owned()),
            name: Set(area.name.to_owned()),
            description: Set(Some(area.description.to_owned())),
            archived_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        area_ids.insert(area.slug, row.id);
    }

    for first in FIRST_FELLOWS {
        let person = insert_person(&txn, first.name, Some(first.handle)).await?;
        insert_account(&txn, person.id, AccountRole::Fellow).await?;
        let fellow = fellow::ActiveModel {
            person_id: Set(person.id),
            headline: Set(Some(first.headline.to_owned())),
            bio: Set(None),
            links: Set(json!([])),
            status: Set(FellowStatus::Active),
            joined_on: Set(announced_on()),
            nominated_by_person_id: Set(None),
            nomination_id: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for c in first.contributions {
            contribution::ActiveModel {
                fellow_id: Set(fellow.id),
                kind: Set(c.kind),
                title: Set(c.title.to_owned()),
                description: Set(Some(c.description.to_owned())),
                url: Set(None),
                metric: Set(c.metric.map(str::to_owned)),
                occurred_on: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        for slug in first.areas {
            fellow_strategic_area::ActiveModel {
                fellow_id: Set(fellow.id),
                strategic_area_id: Set(area_ids[slug]),
            }
            .insert(&txn)
            .await?;
        }
    }

    let linux_foundation = insert_organization(
        &txn,
        "linux-foundation",
        "Linux Foundation",
        OrganizationKind::Foundation,
        None,
        "Hosts open collaboration on software, hardware, standards and data; its projects \
         include Linux, Kubernetes, Node.js, ONAP, PyTorch, RISC-V, SPDX and OpenChain.",
        "https://www.linuxfoundation.org",
    )
    .await?;
    let pytorch_foundation = insert_organization(
        &txn,
        "pytorch-foundation",
        "PyTorch Foundation",
        OrganizationKind::Foundation,
        Some(linux_foundation.id),
        "A neutral home where the deep-learning community collaborates on the open-source \
         PyTorch framework and its ecosystem, supported by its members. Its executive \
         director is Ibrahim Haddad.",
        "https://pytorch.org/foundation",
    )
    .await?;
    let hugging_face = insert_organization(
        &txn,
        "hugging-face",
        "Hugging Face",
        OrganizationKind::Company,
        None,
        "A community and company lowering the barrier to machine learning; its hub hosted \
         more than 250,000 public models and 50,000 public datasets, and its open-source \
         libraries include Transformers, Diffusers, PEFT, Accelerate and Datasets.",
        "https://huggingface.co",
    )
    .await?;

    let membership = foundation_membership::ActiveModel {
        member_id: Set(hugging_face.id),
        foundation_id: Set(pytorch_foundation.id),
        tier: Set(MembershipTier::Premier),
        // The announcement gives no date.
        joined_on: Set(None),
        ended_on: Set(None),
        announcement_url: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let lysandre = insert_person(&txn, "Lysandre Debut", None).await?;
    board_seat::ActiveModel {
        membership_id: Set(membership.id),
        board: Set("Governing Board".to_owned()),
        representative_person_id: Set(lysandre.id),
        title: Set(Some("Head of Open Source".to_owned())),
        since: Set(None),
        until: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    crate::db::commit(txn).await?;
    Ok(Outcome::Loaded)
}

async fn insert_person(
    txn: &DatabaseTransaction,
    name: &str,
    handle: Option<&str>,
) -> ServiceResult<person::Model> {
    Ok(person::ActiveModel {
        name: Set(name.to_owned()),
        handle: Set(handle.map(str::to_owned)),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

async fn insert_account(
    txn: &DatabaseTransaction,
    person_id: i64,
    role: AccountRole,
) -> ServiceResult<account::Model> {
    Ok(account::ActiveModel {
        person_id: Set(person_id),
        role: Set(role),
        disabled_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

async fn insert_organization(
    txn: &DatabaseTransaction,
    slug: &str,
    name: &str,
    kind: OrganizationKind,
    parent_id: Option<i64>,
    description: &str,
    website_url: &str,
) -> ServiceResult<organization::Model> {
    Ok(organization::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        kind: Set(kind),
        parent_id: Set(parent_id),
        description: Set(Some(description.to_owned())),
        website_url: Set(Some(website_url.to_owned())),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}
