//! The GraphiQL playground, served entirely from this binary (no CDN), so that it works
//! on a closed network and under a strict Content-Security-Policy.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Scripts and styles are our own files only; styles allow inline attributes because
/// GraphiQL's editor sets them at run time. `connect-src 'self'` covers this origin's
/// WebSocket too (`ws:`/`wss:` on the same host and port), and nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/playground/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/playground/graphiql.min.css"),
    },
    Asset {
        name: "graphiql-plugin-explorer.umd.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/playground/graphiql-plugin-explorer.umd.js"),
    },
    Asset {
        name: "graphiql-plugin-explorer.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/playground/graphiql-plugin-explorer.css"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/playground/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/playground/react-dom.production.min.js"),
    },
    Asset {
        name: "init.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/playground/init.js"),
    },
    Asset {
        name: "playground.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/playground/playground.css"),
    },
];

const PAGE: &str = include_str!("../../assets/playground/index.html");

pub fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(PAGE)
}

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == name.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound().finish(),
    }
}
