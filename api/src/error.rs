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
    /// `UNAUTHENTICATED`: the bearer token (or the `Authorization` header itself) was
    /// refused; answered with HTTP 401 before anything runs (a WebSocket upgrade too),
    /// never as anonymous. A token refused once the socket is open closes it with 4403
    /// instead.
    Unauthenticated,
    /// `FORBIDDEN`: the caller may not see this field or run this operation
    /// ([`ServiceError::Forbidden`], [`ServiceError::NotPermitted`]).
    Forbidden,
    /// `NOT_FOUND`: a lookup or an argument names nothing that exists
    /// ([`ServiceError::NotFound`], [`ServiceError::Missing`]), and an HTTP path nothing
    /// is served on.
    NotFound,
    /// `BAD_USER_INPUT`: bad arguments, cursors, variables or documents
    /// ([`ServiceError::InvalidInput`], and every error async-graphql gives no code, see
    /// [`give_codes`]); also a refused HTTP request (media type, method, headers).
    BadUserInput,
    /// `CONFLICT`: the change does not fit the current state (a stale version, an open
    /// nomination already there, something already archived or ended).
    Conflict,
    /// `RATE_LIMITED`: the caller's cost budget for the window is spent (HTTP 429, or
    /// an error on the WebSocket operation).
    RateLimited,
    /// `QUERY_TOO_COMPLEX`: a document refused before it runs, over one of the limits
    /// (length, nesting, depth, fragments, directives, aliases, fields, introspection,
    /// cost).
    QueryTooComplex,
    /// `PERSISTED_QUERY_NOT_FOUND`: a request named its document by an id
    /// (`documentId`, or Apollo's `extensions.persistedQuery`) that the server does not
    /// know; answered with HTTP 200, as Apollo Client's persisted-query link expects,
    /// which then sends the text (see `graphql::trusted_documents`).
    PersistedQueryNotFound,
    /// `INTERNAL_SERVER_ERROR`: a failure of ours, with a fixed sentence; also the
    /// database being unavailable, a request past its deadline, and a server that is
    /// draining or not set up for the operation.
    InternalServerError,
}

impl Code {
    /// Every code, for reading one back from an error's extensions.
    pub const ALL: [Code; 9] = [
        Code::Unauthenticated,
        Code::Forbidden,
        Code::NotFound,
        Code::BadUserInput,
        Code::Conflict,
        Code::RateLimited,
        Code::QueryTooComplex,
        Code::PersistedQueryNotFound,
        Code::InternalServerError,
    ];

    /// The code as it appears in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Conflict => "CONFLICT",
            Code::RateLimited => "RATE_LIMITED",
            Code::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Code::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Code::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// What a domain service can answer instead of a result.
#[derive(Debug)]
pub enum ServiceError {
    /// The caller sent something we refuse (malformed, out of range, a bad cursor or
    /// page size); `field` names the argument when there is one. `BAD_USER_INPUT`; in a
    /// mutation, a `userErrors` entry with that code.
    InvalidInput {
        /// The field path at fault, such as `input.nomineeEmail`.
        field: Option<String>,
        /// The reason, for the client.
        message: String,
    },
    /// What a query looked up (a node, a fellow's handle, a slug) does not exist.
    /// `NOT_FOUND`; in a mutation, a `userErrors` entry without a field.
    NotFound(String),
    /// An argument names something that does not exist. `NOT_FOUND`; in a mutation,
    /// a `userErrors` entry naming the argument.
    Missing {
        /// The field path of the argument, such as `input.nominationId`.
        field: String,
        /// What was not found, for the client.
        message: String,
    },
    /// The caller may use the operation, but a rule forbids this particular change
    /// (nominating oneself, deciding a nomination one endorsed). `FORBIDDEN`; in a
    /// mutation, a `userErrors` entry with that code.
    NotPermitted {
        /// The field path at fault, when one argument is.
        field: Option<String>,
        /// The rule that forbids it, for the client.
        message: String,
    },
    /// The caller may not see this or run this at all (a private field, a staff-only
    /// operation, a token naming no known person). `FORBIDDEN`, always as a GraphQL
    /// error, never as `userErrors`.
    Forbidden(String),
    /// The change does not fit the current state: a stale `expectedVersion`, a
    /// duplicate, a step the lifecycle does not allow from here. `CONFLICT`; in a
    /// mutation, a `userErrors` entry.
    Conflict(String),
    /// A nominee already has an open nomination: the caller should endorse that one.
    /// The answer names it by its global ID, which is built here, where errors meet the
    /// API, and not in the service that found it. `CONFLICT`, like [`Self::Conflict`].
    AlreadyNominated {
        /// The nominee's hub handle, as the open nomination has it.
        nominee_handle: String,
        /// The open nomination's database id.
        nomination_id: i64,
    },
    /// The database did not answer in time or refused connections, or the request's
    /// deadline passed before its commit: worth retrying. `INTERNAL_SERVER_ERROR` with
    /// `extensions.unavailable`, which HTTP answers with 503.
    Unavailable(DbErr),
    /// The server is not set up for this operation; the message says what is missing.
    /// `INTERNAL_SERVER_ERROR`.
    Misconfigured(String),
    /// Anything else that went wrong on our side. `INTERNAL_SERVER_ERROR`, with a fixed
    /// sentence; the cause is only logged.
    Internal(anyhow::Error),
    /// A failure that already went through the mapping below, in a batched load that
    /// several fields shared (a nested connection's count), passed on as it was mapped:
    /// its code is the one it already carries.
    Mapped(async_graphql::Error),
}

impl ServiceError {
    /// [`ServiceError::InvalidInput`] naming the field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::InvalidInput {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// [`ServiceError::Missing`]: the argument `field` names nothing that exists.
    pub fn missing(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::Missing {
            field: field.into(),
            message: message.into(),
        }
    }

    /// [`ServiceError::NotPermitted`], naming the field at fault when there is one.
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

    /// The contract code this error is answered with.
    pub fn code(&self) -> Code {
        match self {
            ServiceError::InvalidInput { .. } => Code::BadUserInput,
            ServiceError::NotFound(_) | ServiceError::Missing { .. } => Code::NotFound,
            ServiceError::NotPermitted { .. } => Code::Forbidden,
            ServiceError::Forbidden(_) => Code::Forbidden,
            ServiceError::Conflict(_) | ServiceError::AlreadyNominated { .. } => Code::Conflict,
            ServiceError::Unavailable(_)
            | ServiceError::Misconfigured(_)
            | ServiceError::Internal(_) => Code::InternalServerError,
            ServiceError::Mapped(err) => Code::ALL
                .into_iter()
                .find(|code| {
                    err.extensions.as_ref().and_then(|ext| ext.get("code"))
                        == Some(&async_graphql::Value::from(code.as_str()))
                })
                .unwrap_or(Code::InternalServerError),
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
            ServiceError::AlreadyNominated {
                nominee_handle,
                nomination_id,
            } => format!(
                "`{nominee_handle}` already has an open nomination ({}); endorse it with \
                 endorseNomination instead.",
                crate::graphql::ids::encode(
                    crate::graphql::ids::NodeType::Nomination,
                    *nomination_id
                )
                .as_str()
            ),
            ServiceError::Unavailable(_) => {
                "The service is temporarily unavailable; try again shortly.".to_owned()
            }
            ServiceError::Misconfigured(m) => m.clone(),
            ServiceError::Internal(_) => "An internal error occurred.".to_owned(),
            ServiceError::Mapped(err) => err.message.clone(),
        }
    }
}

/// Gives a code to every error of a response that has none. Those are the ones
/// async-graphql makes itself, in parsing, validation and the coercion of variables:
/// the document or its variables are at fault. Every transport answers through here.
pub fn give_codes(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Code::BadUserInput.as_str());
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

/// Why the database could not serve a request, when the cause is the database being
/// away, overloaded or restarting rather than the request itself. Classified by error
/// kind and SQLSTATE, never by message text (messages change between versions and
/// locales).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// No pooled connection became free in time.
    PoolExhausted,
    /// Connecting failed, or the connection broke (network, TLS, SQLSTATE class 08).
    Unreachable,
    /// The server is shutting down, crashed, or not yet accepting connections
    /// (57P01, 57P02, 57P03).
    Restarting,
    /// The server has no connection slot left (53300).
    TooManyConnections,
    /// A statement waited longer than its timeout: the statement timeout (57014) or
    /// SQLite's busy timeout on a lock (SQLITE_BUSY, SQLITE_LOCKED).
    TimedOut,
}

impl Outage {
    /// A sentence for operators (readiness) that names no host, user or SQL.
    pub fn reason(self) -> &'static str {
        match self {
            Outage::PoolExhausted => "no database connection became free in time",
            Outage::Unreachable => "the database cannot be reached",
            Outage::Restarting => "the database is shutting down or starting up",
            Outage::TooManyConnections => "the database has no connection slot left",
            Outage::TimedOut => "the database did not answer in time",
        }
    }

    /// The outage a database error reports, if it reports one.
    pub fn of(err: &DbErr) -> Option<Outage> {
        use sea_orm::{ConnAcquireErr, RuntimeErr};
        match err {
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => Some(Outage::PoolExhausted),
            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) => Some(Outage::Unreachable),
            // SeaORM reports connecting, beginning and pinging as `Conn`; whatever
            // the driver said, a precise kind wins and "unreachable" is the rest.
            DbErr::Conn(RuntimeErr::SqlxError(e)) => {
                Some(Outage::of_sqlx(e).unwrap_or(Outage::Unreachable))
            }
            DbErr::Conn(_) => Some(Outage::Unreachable),
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                Outage::of_sqlx(e)
            }
            _ => None,
        }
    }

    /// Whether SQLite answered "busy" or "locked": another connection, perhaps of another
    /// process, holds the lock, and the same step may simply be tried again.
    pub fn is_sqlite_busy(err: &DbErr) -> bool {
        use sea_orm::{RuntimeErr, SqlxError};
        let (DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))) = err
        else {
            return false;
        };
        match &**e {
            SqlxError::Database(db) => {
                db.try_downcast_ref::<sea_orm::SqlxSqliteError>().is_some()
                    && db
                        .code()
                        .is_some_and(|code| Outage::of_code(true, &code).is_some())
            }
            _ => false,
        }
    }

    fn of_sqlx(err: &sea_orm::SqlxError) -> Option<Outage> {
        use sea_orm::SqlxError;
        match err {
            SqlxError::PoolTimedOut => Some(Outage::PoolExhausted),
            SqlxError::Io(_)
            | SqlxError::Tls(_)
            | SqlxError::PoolClosed
            | SqlxError::WorkerCrashed => Some(Outage::Unreachable),
            SqlxError::Database(db) => {
                let code = db.code()?;
                Outage::of_code(
                    db.try_downcast_ref::<sea_orm::SqlxSqliteError>().is_some(),
                    &code,
                )
            }
            _ => None,
        }
    }

    /// From a PostgreSQL SQLSTATE or an SQLite (extended) result code.
    fn of_code(sqlite: bool, code: &str) -> Option<Outage> {
        if sqlite {
            // The primary result code is the low byte of the extended one.
            let primary = code.parse::<i32>().ok()? & 0xff;
            const SQLITE_BUSY: i32 = 5;
            const SQLITE_LOCKED: i32 = 6;
            return matches!(primary, SQLITE_BUSY | SQLITE_LOCKED).then_some(Outage::TimedOut);
        }
        match code {
            c if c.starts_with("08") => Some(Outage::Unreachable),
            "57P01" | "57P02" | "57P03" => Some(Outage::Restarting),
            "53300" => Some(Outage::TooManyConnections),
            "57014" => Some(Outage::TimedOut),
            _ => None,
        }
    }
}

/// Whether a database error means "not reachable right now" rather than "broken query".
fn is_unavailable(err: &DbErr) -> bool {
    Outage::of(err).is_some()
}

impl From<ServiceError> for async_graphql::Error {
    fn from(err: ServiceError) -> Self {
        if let ServiceError::Mapped(mapped) = err {
            return mapped;
        }
        match &err {
            ServiceError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
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

/// What a domain service answers.
pub type ServiceResult<T> = Result<T, ServiceError>;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::{ConnAcquireErr, RuntimeErr, SqlxError};

    use super::*;

    fn query_err(err: SqlxError) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
    }

    #[test]
    fn a_lost_or_refused_connection_or_an_exhausted_pool_is_an_outage() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            Outage::of(&query_err(SqlxError::Io(refused))),
            Some(Outage::Unreachable)
        );
        assert_eq!(
            Outage::of(&query_err(SqlxError::PoolTimedOut)),
            Some(Outage::PoolExhausted)
        );
        assert_eq!(
            Outage::of(&query_err(SqlxError::PoolClosed)),
            Some(Outage::Unreachable)
        );
        assert_eq!(
            Outage::of(&query_err(SqlxError::WorkerCrashed)),
            Some(Outage::Unreachable)
        );
        assert_eq!(
            Outage::of(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            Some(Outage::PoolExhausted)
        );
        assert_eq!(
            Outage::of(&DbErr::Conn(RuntimeErr::Internal("Disconnected".into()))),
            Some(Outage::Unreachable)
        );
    }

    #[test]
    fn a_broken_query_is_not_an_outage_whatever_its_message_says() {
        assert_eq!(Outage::of(&query_err(SqlxError::RowNotFound)), None);
        assert_eq!(
            Outage::of(&query_err(SqlxError::Protocol("Connection refused".into()))),
            None
        );
        assert_eq!(Outage::of(&DbErr::Custom("connection closed".into())), None);
    }

    #[test]
    fn sqlstates_of_connection_failures_and_shutdowns_are_outages() {
        for (code, outage) in [
            ("08006", Outage::Unreachable),
            ("08001", Outage::Unreachable),
            ("57P01", Outage::Restarting),
            ("57P02", Outage::Restarting),
            ("57P03", Outage::Restarting),
            ("53300", Outage::TooManyConnections),
            ("57014", Outage::TimedOut),
        ] {
            assert_eq!(Outage::of_code(false, code), Some(outage), "{code}");
        }
        for code in ["23505", "42P01", "40001", "22P02"] {
            assert_eq!(Outage::of_code(false, code), None, "{code}");
        }
    }

    #[test]
    fn sqlite_busy_and_locked_are_outages_by_their_primary_code() {
        assert_eq!(Outage::of_code(true, "5"), Some(Outage::TimedOut));
        assert_eq!(Outage::of_code(true, "517"), Some(Outage::TimedOut)); // BUSY_SNAPSHOT
        assert_eq!(Outage::of_code(true, "262"), Some(Outage::TimedOut)); // LOCKED_SHAREDCACHE
        assert_eq!(Outage::of_code(true, "2067"), None); // CONSTRAINT_UNIQUE
        assert_eq!(Outage::of_code(true, "1"), None);
    }
}
