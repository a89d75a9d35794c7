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

use crate::auth::{Scope, Viewer};
use crate::error::{ServiceError, ServiceResult};

pub fn is_open(status: NominationStatus) -> bool {
    matches!(
        status,
        NominationStatus::Submitted | NominationStatus::UnderReview
    )
}

pub fn can_list_nominations(viewer: &Viewer) -> bool {
    matches!(viewer, Viewer::Staff(_) | Viewer::Fellow(_))
        || viewer.has_scope(Scope::NominationsRead)
}

pub fn can_read_nomination(viewer: &Viewer, nomination: &nomination::Model) -> bool {
    match viewer {
        Viewer::Staff(_) => true,
        Viewer::Partner(_) => viewer.has_scope(Scope::NominationsRead),
        Viewer::Fellow(user) => {
            is_open(nomination.status) || user.person_id == Some(nomination.nominator_person_id)
        }
        Viewer::Anonymous => false,
    }
}

pub fn can_read_nominee_email(viewer: &Viewer, nomination: &nomination::Model) -> bool {
    viewer.is_staff() || viewer.person_id() == Some(nomination.nominator_person_id)
}

pub fn can_read_benefits(viewer: &Viewer, fellow: &fellow::Model) -> bool {
    match viewer {
        Viewer::Staff(_) => true,
        Viewer::Partner(_) => viewer.has_scope(Scope::BenefitsRead),
        Viewer::Fellow(user) => user.person_id == Some(fellow.person_id),
        Viewer::Anonymous => false,
    }
}

pub fn forbidden(what: &str) -> ServiceError {
    ServiceError::Forbidden(format!("You may not see {what}."))
}

pub fn require_staff(viewer: &Viewer, what: &str) -> ServiceResult<()> {
    if viewer.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("Only staff may {what}.")))
    }
}

/// How much of a private type (nominations and their endorsements, benefit grants, API
/// tokens, the audit log) a caller may read. It is the one rule for looking such a row
/// up by its ID (`node`, `nodes`, `nomination(id:)`, a mutation's input ID), made so
/// that no answer tells a row that exists from one that does not:
///
/// - [`Reach::Nothing`]: the caller may read no row of the type (anyone but staff for
///   tokens and the audit log; anonymous callers, and partners without the scope, for
///   nominations and grants). Every ID of the type answers `FORBIDDEN`, and is refused
///   before any lookup: that says what the caller may do, never what exists.
/// - [`Reach::Part`]: the caller may read some rows (a fellow: open nominations and
///   their own, their own benefit grants). A row they may not read and a row that does
///   not exist answer alike, `NOT_FOUND` in the same words.
/// - [`Reach::All`]: every row; `NOT_FOUND` means the row does not exist.
///
/// Reading a private field of an object already in hand (a fellow's `benefits`, an
/// endorsement's `nomination`) reveals no existence and stays `FORBIDDEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Nothing,
    Part,
    All,
}

impl Reach {
    pub fn of_nominations(viewer: &Viewer) -> Reach {
        match viewer {
            Viewer::Staff(_) => Reach::All,
            Viewer::Partner(_) if viewer.has_scope(Scope::NominationsRead) => Reach::All,
            Viewer::Fellow(_) => Reach::Part,
            Viewer::Partner(_) | Viewer::Anonymous => Reach::Nothing,
        }
    }

    pub fn of_benefit_grants(viewer: &Viewer) -> Reach {
        match viewer {
            Viewer::Staff(_) => Reach::All,
            Viewer::Partner(_) if viewer.has_scope(Scope::BenefitsRead) => Reach::All,
            Viewer::Fellow(_) => Reach::Part,
            Viewer::Partner(_) | Viewer::Anonymous => Reach::Nothing,
        }
    }

    /// API tokens and the audit log.
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
