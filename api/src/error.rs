//! Errors, and the one place where they become the contract's codes.
//!
//! Domain services return [`ServiceError`]: either the caller's mistake (bad input,
//! something missing, not allowed, a conflict) or a failure of ours (the database is
//! unreachable, an invariant broke). The GraphQL layer converts it into an error whose
//! `extensions.code` is one of the contract's [`Code`]s, here and nowhere else.
//! Failures of ours are logged with their whole cause chain and reach the client only
//! as a fixed sentence, so no SQL text, file path or stack trace ever leaves the process.
//!
//! `ServiceError` deliberately does not implement `Display`: async-graphql converts
//! anything displayable into an error without a code, and we want `?` in a resolver to
//! always go through the mapping below.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// The error codes of the contract, as they appear in `errors[].extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    RateLimited,
    QueryTooComplex,
    InternalServerError,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Conflict => "CONFLICT",
            Code::RateLimited => "RATE_LIMITED",
            Code::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Code::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// What a domain service can answer instead of a result.
#[derive(Debug)]
pub enum ServiceError {
    /// The caller sent something we refuse; `field` names the argument when there is one.
    InvalidInput {
        field: Option<String>,
        message: String,
    },
    NotFound(String),
    /// An argument names something that does not exist.
    Missing {
        field: String,
        message: String,
    },
    /// The caller may use the operation, but a rule forbids this particular change
    /// (nominating oneself, deciding a nomination one endorsed).
    NotPermitted {
        field: Option<String>,
        message: String,
    },
    Forbidden(String),
    Conflict(String),
    /// The database did not answer in time or refused connections: worth retrying.
    Unavailable(DbErr),
    /// The server is not set up for this operation; the message says what is missing.
    Misconfigured(String),
    /// Anything else that went wrong on our side.
    Internal(anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::InvalidInput {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn missing(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::Missing {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_permitted(field: Option<&str>, message: impl Into<String>) -> Self {
        ServiceError::NotPermitted {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// Whether a database error is a unique-constraint violation: the loser of a race
    /// that an index decided.
    pub fn is_unique_violation(err: &DbErr) -> bool {
        matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        )
    }

    pub fn code(&self) -> Code {
        match self {
            ServiceError::InvalidInput { .. } => Code::BadUserInput,
            ServiceError::NotFound(_) | ServiceError::Missing { .. } => Code::NotFound,
            ServiceError::NotPermitted { .. } => Code::Forbidden,
            ServiceError::Forbidden(_) => Code::Forbidden,
            ServiceError::Conflict(_) => Code::Conflict,
            ServiceError::Unavailable(_)
            | ServiceError::Misconfigured(_)
            | ServiceError::Internal(_) => Code::InternalServerError,
        }
    }

    /// For the command line, where the whole cause may be shown.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            ServiceError::Internal(cause) => cause,
            ServiceError::Unavailable(cause) => anyhow::Error::new(cause),
            other => anyhow::anyhow!(other.public_message()),
        }
    }

    /// The sentence a client may read.
    pub fn public_message(&self) -> String {
        match self {
            ServiceError::InvalidInput { message, .. }
            | ServiceError::Missing { message, .. }
            | ServiceError::NotPermitted { message, .. } => message.clone(),
            ServiceError::NotFound(m) | ServiceError::Forbidden(m) | ServiceError::Conflict(m) => {
                m.clone()
            }
            ServiceError::Unavailable(_) => {
                "The service is temporarily unavailable; try again shortly.".to_owned()
            }
            ServiceError::Misconfigured(m) => m.clone(),
            ServiceError::Internal(_) => "An internal error occurred.".to_owned(),
        }
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            ServiceError::Unavailable(err)
        } else {
            ServiceError::Internal(anyhow::Error::new(err))
        }
    }
}

/// Whether a database error means "not reachable right now" rather than "broken query".
fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(e) | DbErr::Query(e) => {
            let text = e.to_string();
            text.contains("PoolTimedOut")
                || text.contains("pool timed out")
                || text.contains("Connection refused")
                || text.contains("connection closed")
                || text.contains("error communicating with database")
        }
        _ => false,
    }
}

impl From<ServiceError> for async_graphql::Error {
    fn from(err: ServiceError) -> Self {
        match &err {
            ServiceError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable")
            }
            ServiceError::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            _ => {}
        }
        let code = err.code();
        let field = match &err {
            ServiceError::InvalidInput { field, .. } | ServiceError::NotPermitted { field, .. } => {
                field.clone()
            }
            ServiceError::Missing { field, .. } => Some(field.clone()),
            _ => None,
        };
        let unavailable = matches!(err, ServiceError::Unavailable(_));
        async_graphql::Error::new(err.public_message()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            if unavailable {
                // Worth retrying; the HTTP layer answers 503 for it.
                ext.set("unavailable", true);
            }
            if let Some(field) = field {
                ext.set("field", field);
            }
        })
    }
}

/// An error for the GraphQL layer's own refusals (arguments it parses itself).
pub fn graphql_error(code: Code, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, ext| ext.set("code", code.as_str()))
}

pub type ServiceResult<T> = Result<T, ServiceError>;
