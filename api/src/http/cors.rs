//! CORS from an allow-list, by actix-cors: a browser on a listed origin may call the
//! API (with a bearer token, never cookies); any other origin gets no CORS headers, so
//! browsers keep its pages out, while clients that are not browsers are served as
//! before (CORS protects browsers' users, it does not authenticate).

use actix_cors::Cors;
use actix_web::http::header::{self, HeaderName};

/// What a preflight may ask for: the methods of `/graphql` and the headers clients send.
const ALLOWED_HEADERS: [HeaderName; 4] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
    HeaderName::from_static("idempotency-key"),
];

/// The listed origins, each `scheme://host[:port]` as a browser sends it, checked at
/// start so that a typo is a refusal to start rather than a silently closed door.
pub fn allowed_origins(listed: &[String]) -> anyhow::Result<Vec<String>> {
    listed
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let uri: actix_web::http::Uri = origin.parse().map_err(|_| {
                anyhow::anyhow!("CORS_ALLOWED_ORIGINS: `{origin}` is not an origin")
            })?;
            let well_formed = matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.host().is_some()
                && uri
                    .path_and_query()
                    .is_none_or(|p| p.as_str() == "/" || p.as_str().is_empty());
            anyhow::ensure!(
                well_formed,
                "CORS_ALLOWED_ORIGINS: `{origin}` is not an origin such as https://app.example.org"
            );
            Ok(origin.to_owned())
        })
        .collect()
}

/// The CORS layer for `origins` (from [`allowed_origins`]).
pub fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "OPTIONS"])
        .allowed_headers(ALLOWED_HEADERS)
        .max_age(600)
        // Another origin's request is served without CORS headers, not refused: the
        // browser then keeps the answer from the page, and other clients are unaffected.
        .block_on_origin_mismatch(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_origins_are_checked_at_start() {
        let listed = |o: &[&str]| {
            allowed_origins(
                &o.iter()
                    .map(std::string::ToString::to_string)
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            listed(&["https://app.example.org/", " http://localhost:5173", ""]).unwrap(),
            ["https://app.example.org", "http://localhost:5173"]
        );
        for bad in [
            "*",
            "app.example.org",
            "https://app.example.org/path",
            "ftp://x.org",
        ] {
            assert!(listed(&[bad]).is_err(), "{bad}");
        }
    }
}
