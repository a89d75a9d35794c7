//! Random documents and variables at the HTTP endpoint: whatever arrives, the server
//! answers with a well-formed response whose errors carry contract codes, never panics
//! and never leaks internals, and stays healthy. The generator is seeded, so a failure
//! names the seed and document that caused it.

use fellowship_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FIELDS: &[&str] = &[
    "fellows",
    "fellow",
    "node",
    "nodes",
    "viewer",
    "strategicAreas",
    "organizations",
    "foundationMemberships",
    "nominations",
    "apiTokens",
    "auditEvents",
    "rateLimit",
    "edges",
    "node",
    "nodes",
    "pageInfo",
    "totalCount",
    "handle",
    "name",
    "id",
    "benefits",
    "contributions",
    "parent",
    "boardSeats",
    "representative",
    "__typename",
    "__schema",
    "types",
    "nope",
    "submitNomination",
    "decideNomination",
];
const ARGS: &[&str] = &[
    "first: 3",
    "first: -1",
    "first: 101",
    "last: 2",
    "after: \"x\"",
    "before: \"\"",
    "handle: \"ceyda\"",
    "id: \"RmVsbG93OjE\"",
    "ids: [\"a\", \"RmVsbG93OjE\"]",
    "slug: \"pytorch-foundation\"",
    "first: $n",
    "filter: { search: \"%_\\\\\" }",
    "orderBy: { field: JOINED_ON, direction: DESC }",
    "first: 9999999999999",
    "input: { nomineeName: \"x\" }",
    "handle: 42",
    "first: \"three\"",
];
const NOISE: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "...",
    "fragment",
    "on",
    "query",
    "mutation",
    "$",
    "@skip(if: true)",
    "\"",
    "#",
    "\u{0}",
    "é",
    ":",
];

fn field(rng: &mut Rng, depth: usize) -> String {
    let mut out = String::from(rng.pick(FIELDS));
    if rng.below(3) == 0 {
        out.push_str(&format!("({})", rng.pick(ARGS)));
    }
    if depth < 5 && rng.below(2) == 0 {
        out.push_str(" { ");
        for _ in 0..=rng.below(3) {
            out.push_str(&field(rng, depth + 1));
            out.push(' ');
        }
        out.push('}');
    }
    out
}

fn document(rng: &mut Rng) -> String {
    let mut doc = match rng.below(4) {
        0 => format!("query Q($n: Int) {{ {} }}", field(rng, 0)),
        1 => format!("mutation {{ {} }}", field(rng, 0)),
        _ => format!("{{ {} }}", field(rng, 0)),
    };
    // Now and then, break it.
    for _ in 0..rng.below(3) {
        let at = rng.below(doc.len() + 1);
        if doc.is_char_boundary(at) {
            doc.insert_str(at, rng.pick(NOISE));
        }
    }
    doc
}

fn variables(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => json!({ "n": 5 }),
        1 => json!({ "n": "five" }),
        2 => json!({ "n": null }),
        3 => json!([1, 2, 3]),
        4 => json!({ "n": 1e300 }),
        _ => json!({}),
    }
}

const CODES: &[&str] = &[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
    "INTERNAL_SERVER_ERROR",
];
const LEAKS: &[&str] = &[
    "panicked",
    "sqlx",
    "SELECT ",
    "INSERT ",
    ".rs:",
    "backtrace",
    "/root/",
    "/work/",
    "DbErr",
];

on_both_databases! {
    async fn random_documents_always_get_well_formed_coded_answers_that_leak_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let seed = 0x5eed_f00d_u64 ^ (backend as u64);
        let mut rng = Rng(seed);
        for round in 0..300 {
            let query = document(&mut rng);
            let vars = variables(&mut rng);
            let response = app.client.post(app.url("/graphql"))
                .json(&json!({ "query": query, "variables": vars })).send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let context = format!("seed {seed:#x}, round {round}: {query} with {vars} -> {status} {text}");
            assert!([200, 400, 429].contains(&status), "{context}");
            let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {context}"));
            assert!(body.get("data").is_some() || body.get("errors").is_some(), "{context}");
            for error in body["errors"].as_array().into_iter().flatten() {
                let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
                assert!(CODES.contains(&code), "code {code}: {context}");
            }
            for leak in LEAKS {
                assert!(!text.contains(leak), "leaks `{leak}`: {context}");
            }
        }
        let health = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(health.status().as_u16(), 200);
    }
}
