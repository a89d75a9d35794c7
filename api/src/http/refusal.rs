//! Answers refused outside GraphQL execution: a body of the wrong type, a token we
//! cannot accept, a spent rate limit, a request past its deadline, a server draining,
//! a path or method nothing serves. They all have the shape GraphQL over HTTP gives a
//! request error, `{"errors": [{"message", "extensions": {"code", ...}}]}`, with a
//! code from [`Code`], and are built here and nowhere else, so that a client reads
//! every refusal the same way whichever layer made it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde_json::{json, Map, Value};

use crate::error::Code;

/// The body of a refusal, with any extensions beside the code (`resetAt`,
/// `unavailable`, ...).
pub fn body(code: Code, message: &str, extensions: &[(&str, Value)]) -> Value {
    let mut fields = Map::new();
    fields.insert("code".to_owned(), Value::from(code.as_str()));
    for (name, value) in extensions {
        fields.insert((*name).to_owned(), value.clone());
    }
    json!({ "errors": [{ "message": message, "extensions": fields }] })
}

/// The body of a refusal whose errors are already made (the limits' and the
/// service errors' own, which carry their locations and extensions).
pub fn body_of(errors: impl serde::Serialize) -> Value {
    json!({ "errors": errors })
}

/// Answers `response` (a status with any headers already set) with a refusal.
pub fn answer(mut response: HttpResponseBuilder, code: Code, message: &str) -> HttpResponse {
    response.json(body(code, message, &[]))
}

/// The answer to credentials we cannot accept: 401 `UNAUTHENTICATED` with the reason,
/// over HTTP and on a WebSocket upgrade alike.
pub fn unauthorized(rejection: &crate::auth::Rejection) -> HttpResponse {
    let mut response = HttpResponse::Unauthorized();
    response.insert_header((
        actix_web::http::header::WWW_AUTHENTICATE,
        "Bearer error=\"invalid_token\"",
    ));
    answer(
        response,
        Code::Unauthenticated,
        &format!("The bearer token was refused: {rejection}."),
    )
}

/// One error of a refusal, for a transport that lists errors itself (the WebSocket's
/// `error` message).
pub fn error(code: Code, message: &str) -> Value {
    json!({ "message": message, "extensions": { "code": code.as_str() } })
}

/// A refusal with nothing but a status.
pub fn with_status(status: StatusCode, code: Code, message: &str) -> HttpResponse {
    answer(HttpResponse::build(status), code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_has_the_shape_of_a_request_error_with_its_code_and_extensions() {
        assert_eq!(
            body(
                Code::RateLimited,
                "Spent.",
                &[("resetAt", json!("2026-12-02T00:00:00Z"))]
            ),
            json!({ "errors": [{ "message": "Spent.",
                "extensions": { "code": "RATE_LIMITED", "resetAt": "2026-12-02T00:00:00Z" } }] })
        );
    }
}
