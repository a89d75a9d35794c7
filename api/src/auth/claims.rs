//! Where a user token says who and what its holder is.
//!
//! Identity providers put the role and the handle in different places: Keycloak lists
//! realm roles under `realm_access.roles`, Auth0 uses namespaced claims whose names are
//! URLs (`https://example.org/roles`), Okta and Entra ID use `groups` or `roles`, and
//! most providers name the user by `preferred_username` rather than by `sub`. The
//! settings `JWT_ROLE_CLAIM` and `JWT_HANDLE_CLAIM` say where to look (a claim name, or
//! a dotted path into nested claims), and `JWT_STAFF_ROLE` and `JWT_FELLOW_ROLE` which
//! values mean staff and fellow.
//!
//! The mapping: the role claim may be a string or an array of strings; each value equal
//! (ignoring case) to the staff value claims STAFF, to the fellow value FELLOW, and any
//! other value (`offline_access`, `default-roles-...`) is ignored. A token claiming no
//! known role is refused. A token may claim both; the person's account decides which
//! one they act in (see `super::viewer_of`).

use anyhow::bail;
use serde_json::{Map, Value};

use super::{Rejection, Role};
use crate::config::AuthSettings;

/// Deepest path accepted in a claim setting: claims are nested a level or two at most.
const MAX_PATH_PARTS: usize = 8;

/// Where one claim is: a name, or a path of names into nested objects.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClaimPath(String);

impl ClaimPath {
    fn parse(setting: &str, text: &str) -> anyhow::Result<ClaimPath> {
        let text = text.trim();
        if text.is_empty() {
            bail!("{setting} is empty: give a claim name such as `role` or a path such as `realm_access.roles`");
        }
        if text.split('.').count() > MAX_PATH_PARTS {
            bail!("{setting} `{text}` is deeper than {MAX_PATH_PARTS} levels");
        }
        Ok(ClaimPath(text.to_owned()))
    }

    /// The value at this path. A claim named exactly so comes first: namespaced claim
    /// names are URLs, with dots that are not a path.
    fn find<'a>(&self, claims: &'a Value) -> Option<&'a Value> {
        if let Some(value) = claims.get(&self.0) {
            return Some(value);
        }
        self.0.split('.').try_fold(claims, |at, part| at.get(part))
    }

    /// Writes `value` at this path, making the nested objects on the way.
    fn write(&self, claims: &mut Map<String, Value>, value: Value) {
        let mut parts: Vec<&str> = self.0.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut at = claims;
        for part in parts {
            let entry = at
                .entry(part.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            at = entry.as_object_mut().expect("made an object just above");
        }
        at.insert(last.to_owned(), value);
    }
}

/// The rules of [`AuthSettings`] for reading (and, for tokens minted here, writing) a
/// user's role and handle.
#[derive(Debug, Clone)]
pub struct ClaimRules {
    role: ClaimPath,
    handle: ClaimPath,
    staff: String,
    fellow: String,
}

impl ClaimRules {
    /// Reads the rules; refuses empty or absurdly deep claim settings and role values
    /// that are empty or the same for staff and fellows.
    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<ClaimRules> {
        let staff = settings.jwt_staff_role.trim().to_owned();
        let fellow = settings.jwt_fellow_role.trim().to_owned();
        if staff.is_empty() || fellow.is_empty() {
            bail!("JWT_STAFF_ROLE and JWT_FELLOW_ROLE cannot be empty");
        }
        if staff.eq_ignore_ascii_case(&fellow) {
            bail!("JWT_STAFF_ROLE and JWT_FELLOW_ROLE are both `{staff}`: give each its own value");
        }
        Ok(ClaimRules {
            role: ClaimPath::parse("JWT_ROLE_CLAIM", &settings.jwt_role_claim)?,
            handle: ClaimPath::parse("JWT_HANDLE_CLAIM", &settings.jwt_handle_claim)?,
            staff,
            fellow,
        })
    }

    /// The user roles a verified token claims, STAFF before FELLOW; refused when it
    /// claims none this service knows.
    pub fn roles(&self, claims: &Value) -> Result<Vec<Role>, Rejection> {
        let values: Vec<&str> = match self.role.find(claims) {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            Some(_) => {
                return Err(Rejection(format!(
                    "the token's role claim (`{}`) is neither a string nor a list of strings",
                    self.role.0
                )))
            }
            None => {
                return Err(Rejection(format!(
                    "the token has no role claim (`{}`)",
                    self.role.0
                )))
            }
        };
        let claims_value = |wanted: &str| values.iter().any(|v| v.eq_ignore_ascii_case(wanted));
        let roles: Vec<Role> = [(Role::Staff, &self.staff), (Role::Fellow, &self.fellow)]
            .into_iter()
            .filter(|(_, value)| claims_value(value))
            .map(|(role, _)| role)
            .collect();
        if roles.is_empty() {
            return Err(Rejection(format!(
                "the token's role claim (`{}`) names no role of this service (`{}` or `{}`)",
                self.role.0, self.staff, self.fellow
            )));
        }
        Ok(roles)
    }

    /// The hub handle a verified token names, trimmed; refused when absent or blank.
    pub fn handle(&self, claims: &Value) -> Result<String, Rejection> {
        match self
            .handle
            .find(claims)
            .and_then(Value::as_str)
            .map(str::trim)
        {
            Some(handle) if !handle.is_empty() => Ok(handle.to_owned()),
            _ => Err(Rejection(format!(
                "the token names no person: its `{}` claim is missing or empty",
                self.handle.0
            ))),
        }
    }

    /// Writes a user's role and handle where these rules read them, so that a token
    /// minted here (`api token`) is read back as it was meant.
    pub fn write(&self, claims: &mut Map<String, Value>, role: Role, handle: &str) {
        let value = match role {
            Role::Staff => &self.staff,
            _ => &self.fellow,
        };
        self.role.write(claims, Value::String(value.clone()));
        self.handle.write(claims, Value::String(handle.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(role: &str, handle: &str, staff: &str, fellow: &str) -> ClaimRules {
        let mut settings = AuthSettings::with_secret(&"k".repeat(32));
        settings.jwt_role_claim = role.into();
        settings.jwt_handle_claim = handle.into();
        settings.jwt_staff_role = staff.into();
        settings.jwt_fellow_role = fellow.into();
        ClaimRules::from_settings(&settings).unwrap()
    }

    #[test]
    fn the_defaults_read_this_services_own_tokens() {
        let rules = rules("role", "sub", "STAFF", "FELLOW");
        let claims = json!({ "sub": "merve", "role": "STAFF" });
        assert_eq!(rules.roles(&claims).unwrap(), [Role::Staff]);
        assert_eq!(rules.handle(&claims).unwrap(), "merve");
        assert!(rules.roles(&json!({ "role": "ADMIN" })).is_err());
        assert!(rules.roles(&json!({ "sub": "merve" })).is_err());
        assert!(rules.handle(&json!({ "sub": "  " })).is_err());
    }

    #[test]
    fn a_keycloak_token_is_read_through_a_path_and_its_other_roles_ignored() {
        let rules = rules(
            "realm_access.roles",
            "preferred_username",
            "fellowship-staff",
            "fellowship-fellow",
        );
        let claims = json!({
            "sub": "3f6c0a52-0000-4000-8000-000000000001",
            "preferred_username": "merve",
            "realm_access": { "roles": ["offline_access", "FELLOWSHIP-STAFF", "uma_authorization"] },
        });
        assert_eq!(rules.roles(&claims).unwrap(), [Role::Staff]);
        assert_eq!(rules.handle(&claims).unwrap(), "merve");
        let only_defaults = json!({ "realm_access": { "roles": ["offline_access"] } });
        let refused = rules.roles(&only_defaults).unwrap_err();
        assert!(refused.0.contains("names no role"), "{refused}");
        assert!(rules
            .roles(&json!({ "realm_access": { "roles": 3 } }))
            .is_err());
    }

    #[test]
    fn a_namespaced_claim_with_dots_in_its_name_is_found_whole() {
        let rules = rules("https://fellowship.example/roles", "sub", "staff", "fellow");
        let claims = json!({ "https://fellowship.example/roles": ["fellow", "staff"] });
        assert_eq!(rules.roles(&claims).unwrap(), [Role::Staff, Role::Fellow]);
    }

    #[test]
    fn what_is_written_is_read_back() {
        let rules = rules(
            "realm_access.roles",
            "preferred_username",
            "fellowship-staff",
            "fellowship-fellow",
        );
        let mut claims = Map::new();
        claims.insert("realm_access".into(), json!("not an object"));
        rules.write(&mut claims, Role::Fellow, "ceyda");
        let claims = Value::Object(claims);
        assert_eq!(rules.roles(&claims).unwrap(), [Role::Fellow]);
        assert_eq!(rules.handle(&claims).unwrap(), "ceyda");
    }

    #[test]
    fn settings_that_cannot_work_are_refused_at_start() {
        let mut settings = AuthSettings::with_secret(&"k".repeat(32));
        settings.jwt_role_claim = " ".into();
        assert!(ClaimRules::from_settings(&settings).is_err());
        let mut settings = AuthSettings::with_secret(&"k".repeat(32));
        settings.jwt_staff_role = "member".into();
        settings.jwt_fellow_role = "MEMBER".into();
        assert!(ClaimRules::from_settings(&settings).is_err());
        let mut settings = AuthSettings::with_secret(&"k".repeat(32));
        settings.jwt_handle_claim = "a.b.c.d.e.f.g.h.i".into();
        assert!(ClaimRules::from_settings(&settings).is_err());
    }
}
