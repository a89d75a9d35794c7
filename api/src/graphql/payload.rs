//! What every mutation answers: the changed object, and `userErrors` for the caller's
//! mistakes. A caller's mistake (bad input, an unknown reference, a conflict) is a
//! `userErrors` entry with a `field` path and a stable `code`; not being allowed at all,
//! or a failure of ours, is a GraphQL error with `extensions.code` instead.

use async_graphql::{Enum, SimpleObject};

use crate::error::ServiceError;

/// Why a mutation was refused.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UserErrorCode {
    /// An argument is malformed or out of range.
    BadUserInput,
    /// An argument names something that does not exist.
    NotFound,
    /// The change conflicts with the current state (for example a stale `expectedVersion`).
    Conflict,
    /// A rule of the program forbids this change for this caller (nominating oneself,
    /// deciding a nomination one submitted or endorsed).
    Forbidden,
}

/// A mistake in a mutation's input.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The path to the input field at fault, such as `["input", "name"]`.
    pub field: Option<Vec<String>>,
    /// What is wrong, in a sentence fit to show the person who sent the input.
    pub message: String,
    /// A stable code to act on; the wording of `message` may change.
    pub code: UserErrorCode,
}

/// Splits a service error into `userErrors` (the caller's mistakes) or a GraphQL error.
pub fn user_errors(err: ServiceError) -> async_graphql::Result<Vec<UserError>> {
    let (field, code) = match &err {
        ServiceError::InvalidInput { field, .. } => (field.clone(), UserErrorCode::BadUserInput),
        ServiceError::NotFound(_) => (None, UserErrorCode::NotFound),
        ServiceError::Missing { field, .. } => (Some(field.clone()), UserErrorCode::NotFound),
        ServiceError::Conflict(_) | ServiceError::AlreadyNominated { .. } => {
            (None, UserErrorCode::Conflict)
        }
        ServiceError::NotPermitted { field, .. } => (field.clone(), UserErrorCode::Forbidden),
        _ => return Err(err.into()),
    };
    Ok(vec![UserError {
        field: field.map(|f| f.split('.').map(str::to_owned).collect()),
        message: err.public_message(),
        code,
    }])
}

/// A mutation's outcome: the changed object, or the caller's mistakes as `userErrors`;
/// anything else stays a GraphQL error.
pub fn outcome<T>(
    result: Result<T, ServiceError>,
) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(err) => Ok((None, user_errors(err)?)),
    }
}

/// Declares a mutation payload: the changed object under its type's name, and
/// `userErrors`.
macro_rules! payload {
    ($name:ident, $field:ident, $ty:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// The object the mutation acted on; `null` when it was refused (see
            /// `userErrors`).
            pub $field: Option<$ty>,
            /// Why the mutation was refused; empty when it succeeded. A caller who may not
            /// make this change at all gets a `FORBIDDEN` error instead.
            pub user_errors: Vec<$crate::graphql::payload::UserError>,
        }

        impl $name {
            /// The payload of a service's `result`: its value, made the payload's object by
            /// `wrap`, or the caller's mistakes as `userErrors`; any other error stays a
            /// GraphQL error.
            pub fn from_result<M>(
                result: Result<M, $crate::error::ServiceError>,
                wrap: impl FnOnce(M) -> $ty,
            ) -> async_graphql::Result<Self> {
                let (value, user_errors) = $crate::graphql::payload::outcome(result)?;
                Ok($name {
                    $field: value.map(wrap),
                    user_errors,
                })
            }
        }
    };
}

pub(crate) use payload;
