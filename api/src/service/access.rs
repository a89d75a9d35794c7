//! Who may see and do what: the contract's "Who may do what" table, in one place.
//!
//! Every service that returns private data asks these functions first, so the rule
//! holds however the data is reached (a field, `node(id:)`, `nodes`, a nested edge).
//! Anything not granted here is denied.
//!
//! | data | anonymous | partner | fellow | staff |
//! |---|---|---|---|---|
//! | public profiles, contributions, areas, organizations, memberships | yes | yes | yes | yes |
//! | nominations | no | with `nominations:read` | open ones and their own | all |
//! | a nominee's e-mail | no | no | on their own nominations | yes |
//! | benefit grants | no | with `benefits:read` | their own | all |
//! | API tokens, audit log | no | no | no | yes |

use entity::enums::NominationStatus;
use entity::{fellow, nomination};

use sea_orm::{ColumnTrait, Condition};

use crate::auth::{Scope, Viewer};
use crate::error::{ServiceError, ServiceResult};

/// Which nominations a rule admits, written once and read two ways: as a predicate on a
/// row in hand ([`NominationRule::admits`]) and as the SQL condition that selects the
/// same rows ([`NominationRule::condition`]), so that a list, a lookup by ID and an
/// event stream cannot disagree on who sees what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NominationRule {
    /// Every nomination.
    Every,
    /// Open nominations (see [`NominationStatus::OPEN`]).
    Open,
    /// The nominations this person submitted.
    NominatedBy(i64),
    /// Those any of the rules admits.
    AnyOf(Vec<NominationRule>),
}

impl NominationRule {
    /// The nominations `viewer` may read, or `None` for a caller who may read none.
    pub fn readable_by(viewer: &Viewer) -> Option<NominationRule> {
        match viewer {
            Viewer::Staff(_) => Some(NominationRule::Every),
            Viewer::Partner(_) if viewer.has_scope(Scope::NominationsRead) => {
                Some(NominationRule::Every)
            }
            Viewer::Fellow(user) => Some(match user.person_id {
                Some(person) => NominationRule::AnyOf(vec![
                    NominationRule::Open,
                    NominationRule::NominatedBy(person),
                ]),
                None => NominationRule::Open,
            }),
            Viewer::Partner(_) | Viewer::Anonymous => None,
        }
    }

    /// Whether the rule admits this row: the predicate form of [`NominationRule::condition`].
    pub fn admits(&self, nomination: &nomination::Model) -> bool {
        match self {
            NominationRule::Every => true,
            NominationRule::Open => nomination.status.is_open(),
            NominationRule::NominatedBy(person) => nomination.nominator_person_id == *person,
            NominationRule::AnyOf(rules) => rules.iter().any(|rule| rule.admits(nomination)),
        }
    }

    /// The same rule as a condition on `nominations`.
    pub fn condition(&self) -> Condition {
        match self {
            NominationRule::Every => Condition::all(),
            NominationRule::Open => {
                Condition::all().add(nomination::Column::Status.is_in(NominationStatus::OPEN))
            }
            NominationRule::NominatedBy(person) => {
                Condition::all().add(nomination::Column::NominatorPersonId.eq(*person))
            }
            NominationRule::AnyOf(rules) => rules
                .iter()
                .fold(Condition::any(), |any, rule| any.add(rule.condition())),
        }
    }
}

/// Whether `viewer` may read this nomination: staff and partners holding
/// `nominations:read` read every one, a fellow reads the open ones and those they
/// submitted, anyone else none.
pub fn can_read_nomination(viewer: &Viewer, nomination: &nomination::Model) -> bool {
    NominationRule::readable_by(viewer).is_some_and(|rule| rule.admits(nomination))
}

/// Whether `viewer` may read the nominee's private contact e-mail: staff, and the
/// person who submitted the nomination. Partners never, whatever their scopes, and
/// other fellows never, even on an open nomination they may read.
pub fn can_read_nominee_email(viewer: &Viewer, nomination: &nomination::Model) -> bool {
    viewer.is_staff() || viewer.person_id() == Some(nomination.nominator_person_id)
}

/// Whether `viewer` may read this fellow's benefit grants: staff, partners holding
/// `benefits:read`, and the fellow themself; never an anonymous caller.
pub fn can_read_benefits(viewer: &Viewer, fellow: &fellow::Model) -> bool {
    match viewer {
        Viewer::Staff(_) => true,
        Viewer::Partner(_) => viewer.has_scope(Scope::BenefitsRead),
        Viewer::Fellow(user) => user.person_id == Some(fellow.person_id),
        Viewer::Anonymous => false,
    }
}

/// The `FORBIDDEN` answer for private data the caller may not see
/// ([`ServiceError::Forbidden`], "You may not see {what}."); `what` names the data.
pub fn forbidden(what: &str) -> ServiceError {
    ServiceError::Forbidden(format!("You may not see {what}."))
}

/// Refuses anyone but staff with [`ServiceError::Forbidden`] ("Only staff may
/// {what}."); `what` names the action, as a verb phrase.
pub fn require_staff(viewer: &Viewer, what: &str) -> ServiceResult<()> {
    if viewer.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("Only staff may {what}.")))
    }
}

/// How much of a private type (nominations and their endorsements, benefit grants, API
/// tokens, the audit log, accounts) a caller may read. It is the one rule for looking
/// such a row up by its ID (`node`, `nodes`, `nomination(id:)`, a mutation's input ID),
/// made so that no answer tells a row that exists from one that does not:
///
/// - [`Reach::Nothing`]: the caller may read no row of the type (anyone but staff for
///   tokens, the audit log and accounts; anonymous callers, and partners without the
///   scope, for nominations and grants). Every ID of the type answers `FORBIDDEN`, and
///   is refused before any lookup: that says what the caller may do, never what exists.
/// - [`Reach::Part`]: the caller may read some rows (a fellow: open nominations and
///   their own, their own benefit grants). A row they may not read and a row that does
///   not exist answer alike, `NOT_FOUND` in the same words.
/// - [`Reach::All`]: every row; `NOT_FOUND` means the row does not exist.
///
/// Reading a private field of an object already in hand (a fellow's `benefits`, an
/// endorsement's `nomination`) reveals no existence and stays `FORBIDDEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// No row of the type: every ID answers `FORBIDDEN`, before any lookup.
    Nothing,
    /// Some rows: one the caller may not read answers `NOT_FOUND`, as a missing one does.
    Part,
    /// Every row: `NOT_FOUND` means the row does not exist.
    All,
}

impl Reach {
    /// Nominations, per [`NominationRule::readable_by`]: staff and partners holding
    /// `nominations:read` reach all, fellows part (open ones and their own), anyone
    /// else nothing.
    pub fn of_nominations(viewer: &Viewer) -> Reach {
        match NominationRule::readable_by(viewer) {
            None => Reach::Nothing,
            Some(NominationRule::Every) => Reach::All,
            Some(_) => Reach::Part,
        }
    }

    /// Benefit grants: staff and partners holding `benefits:read` reach all, fellows
    /// part (their own), anonymous callers and other partners nothing.
    pub fn of_benefit_grants(viewer: &Viewer) -> Reach {
        match viewer {
            Viewer::Staff(_) => Reach::All,
            Viewer::Partner(_) if viewer.has_scope(Scope::BenefitsRead) => Reach::All,
            Viewer::Fellow(_) => Reach::Part,
            Viewer::Partner(_) | Viewer::Anonymous => Reach::Nothing,
        }
    }

    /// API tokens, the audit log and accounts.
    pub fn of_staff_records(viewer: &Viewer) -> Reach {
        if viewer.is_staff() {
            Reach::All
        } else {
            Reach::Nothing
        }
    }

    /// `FORBIDDEN` for a caller who may read none of `what`; call it before looking the
    /// row up.
    pub fn require_some(self, what: &str) -> ServiceResult<()> {
        match self {
            Reach::Nothing => Err(forbidden(what)),
            Reach::Part | Reach::All => Ok(()),
        }
    }
}

/// The row a lookup by ID found, if the caller may read it: a row they may not read is
/// `None`, as a missing one is, and the caller answers both with the same `NOT_FOUND`.
/// Call [`Reach::require_some`] first.
pub fn visible<T>(row: Option<T>, may_read: impl FnOnce(&T) -> bool) -> Option<T> {
    row.filter(may_read)
}

/// Returns the row when the viewer may read it, `FORBIDDEN` otherwise.
pub fn readable<T>(allowed: bool, row: T, what: &str) -> ServiceResult<T> {
    if allowed {
        Ok(row)
    } else {
        Err(forbidden(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Partner, User};
    use chrono::Utc;

    fn nomination(status: NominationStatus, nominator: i64) -> nomination::Model {
        let now = Utc::now();
        nomination::Model {
            id: 1,
            nominee_name: "Ada".into(),
            nominee_handle: "ada".into(),
            nominee_handle_folded: String::new(),
            nominee_email: "ada@example.org".into(),
            rationale: "r".into(),
            support_requested: None,
            links: serde_json::json!([]),
            status,
            nominator_person_id: nominator,
            reviewer_person_id: None,
            review_started_at: None,
            decided_by_person_id: None,
            decided_at: None,
            decision_note: None,
            withdrawn_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn fellow(person_id: i64) -> Viewer {
        Viewer::Fellow(User {
            handle: "f".into(),
            person_id: Some(person_id),
        })
    }

    fn partner(scopes: Vec<Scope>) -> Viewer {
        Viewer::Partner(Partner {
            token_id: 1,
            name: "p".into(),
            scopes,
        })
    }

    #[test]
    fn the_nomination_rule_reads_the_same_as_a_predicate_and_as_sql() {
        use sea_orm::{EntityTrait, QueryFilter, QueryTrait};
        let rule = NominationRule::readable_by(&fellow(3)).unwrap();
        let sql = nomination::Entity::find()
            .filter(rule.condition())
            .build(sea_orm::DatabaseBackend::Postgres)
            .to_string();
        assert!(
            sql.ends_with(
                r#"WHERE "nominations"."status" IN ('SUBMITTED', 'UNDER_REVIEW') OR "nominations"."nominator_person_id" = 3"#
            ),
            "{sql}"
        );
        for status in NominationStatus::ALL {
            for nominator in [3, 7] {
                let row = nomination(*status, nominator);
                assert_eq!(
                    rule.admits(&row),
                    status.is_open() || nominator == 3,
                    "{status} by {nominator}"
                );
            }
        }
        assert_eq!(NominationRule::readable_by(&Viewer::Anonymous), None);
        assert_eq!(
            NominationRule::readable_by(&partner(vec![Scope::NominationsRead])),
            Some(NominationRule::Every)
        );
        assert_eq!(
            NominationRule::Every.condition().to_owned(),
            Condition::all(),
            "staff see every nomination: no condition"
        );
    }

    #[test]
    fn fellows_see_open_nominations_and_their_own_closed_ones_only() {
        let open = nomination(NominationStatus::Submitted, 7);
        let closed_other = nomination(NominationStatus::Declined, 7);
        let closed_own = nomination(NominationStatus::Declined, 3);
        assert!(can_read_nomination(&fellow(3), &open));
        assert!(!can_read_nomination(&fellow(3), &closed_other));
        assert!(can_read_nomination(&fellow(3), &closed_own));
        assert!(!can_read_nominee_email(&fellow(3), &open));
        assert!(can_read_nominee_email(&fellow(7), &open));
        assert!(!can_read_nomination(&Viewer::Anonymous, &open));
    }

    #[test]
    fn only_fellows_reach_part_of_a_private_type() {
        let staff = Viewer::Staff(User {
            handle: "s".into(),
            person_id: Some(1),
        });
        assert_eq!(Reach::of_nominations(&Viewer::Anonymous), Reach::Nothing);
        assert_eq!(Reach::of_nominations(&partner(vec![])), Reach::Nothing);
        assert_eq!(
            Reach::of_nominations(&partner(vec![Scope::NominationsRead])),
            Reach::All
        );
        assert_eq!(Reach::of_nominations(&fellow(3)), Reach::Part);
        assert_eq!(Reach::of_benefit_grants(&fellow(3)), Reach::Part);
        assert_eq!(Reach::of_benefit_grants(&staff), Reach::All);
        assert_eq!(Reach::of_staff_records(&fellow(3)), Reach::Nothing);
        assert_eq!(Reach::of_staff_records(&staff), Reach::All);
        assert!(Reach::Nothing.require_some("x").is_err());
        assert_eq!(visible(Some(4), |n| *n > 5), None);
    }

    #[test]
    fn partners_need_the_scope_and_never_see_contact_details() {
        let open = nomination(NominationStatus::Submitted, 7);
        assert!(!can_read_nomination(&partner(vec![]), &open));
        assert!(!can_read_nomination(
            &partner(vec![Scope::BenefitsRead]),
            &open
        ));
        assert!(can_read_nomination(
            &partner(vec![Scope::NominationsRead]),
            &open
        ));
        assert!(!can_read_nominee_email(
            &partner(vec![Scope::NominationsRead]),
            &open
        ));
    }
}
