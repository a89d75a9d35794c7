//! A property-based fuzz target over the whole request path: generated documents
//! (deep and wide nesting of selections, fragments, directives and values, broken
//! syntax), variables (deep and odd JSON), headers (tokens, media types, keys), GET and
//! POST, and WebSocket conversations. Whatever arrives, the server must answer: no
//! abort, no panic in a worker, no dropped connection, no 5xx, every error with a
//! contract code, nothing internal in the text; and it must still serve afterwards.
//!
//! The seed is fixed, so a failure reproduces; proptest then shrinks it to a small
//! request and prints it. The suite runs `FUZZ_CASES` HTTP cases per database (128 by
//! default) and a fifth as many WebSocket conversations. A longer run, as README says:
//!
//! ```text
//! FUZZ_CASES=20000 cargo test -p fellowship-tests --test api fuzz:: -- --nocapture
//! ```
//!
//! (`FUZZ_SEED=<number>` explores from another seed.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Duration;

use api::auth::Role;
use fellowship_tests::{on_both_databases, TestApp};
use futures::{SinkExt, StreamExt};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use reqwest::header::HeaderValue;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const CODES: &[&str] = &[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
    "PERSISTED_QUERY_NOT_FOUND",
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
    "-->",
];

// ---------------------------------------------------------------------------------
// Documents

const FIELDS: &[&str] = &[
    "fellows",
    "fellow",
    "node",
    "nodes",
    "viewer",
    "strategicAreas",
    "strategicArea",
    "organizations",
    "organization",
    "foundationMemberships",
    "nominations",
    "nomination",
    "apiTokens",
    "auditEvents",
    "accounts",
    "rateLimit",
    "edges",
    "pageInfo",
    "totalCount",
    "hasNextPage",
    "endCursor",
    "cursor",
    "handle",
    "name",
    "id",
    "status",
    "person",
    "benefits",
    "contributions",
    "parent",
    "boardSeats",
    "representative",
    "nominatedBy",
    "__typename",
    "__schema",
    "__type",
    "types",
    "fields",
    "type",
    "ofType",
    "kind",
    "possibleTypes",
    "nope",
    "submitNomination",
    "decideNomination",
    "updateFellowProfile",
    "createApiToken",
    "nominationEvents",
];
const ARGUMENTS: &[&str] = &[
    "first",
    "last",
    "after",
    "before",
    "handle",
    "id",
    "ids",
    "slug",
    "filter",
    "orderBy",
    "input",
    "search",
    "name",
    "includeDeprecated",
    "if",
];
const TYPES: &[&str] = &[
    "Query",
    "Mutation",
    "Fellow",
    "FellowConnection",
    "Node",
    "Person",
    "Organization",
    "__Type",
    "Nope",
];
const DIRECTIVES: &[&str] = &[
    "include(if: true)",
    "include(if: false)",
    "skip(if: $b)",
    "skip",
    "deprecated",
    "specifiedBy(url: \"x\")",
    "oneOf",
    "defer",
    "nope(x: 1)",
];
const LEAVES: &[&str] = &[
    "1",
    "0",
    "-1",
    "3",
    "100",
    "101",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9999999999999999999999",
    "1e309",
    "1.5",
    "true",
    "null",
    "ACTIVE",
    "JOINED_ON",
    "DESC",
    "$n",
    "$s",
    "$b",
    "$deep",
    "$undefined",
    "\"\"",
    "\"ceyda\"",
    "\"merve\"",
    "\"pytorch-foundation\"",
    "\"RmVsbG93OjE\"",
    "\"%_\\\\\"",
    "\"\\u0000\"",
    "\"a\\u0000b\"",
    "\"\\uD800\"",
    "\"\"\"block \\\"\"\" string\"\"\"",
    "\"é漢🙂\"",
];
/// Text that breaks a document when dropped into it.
const NOISE: &[&str] = &[
    "{", "}", "(", ")", "[", "]", "...", "fragment", "on", "query", "mutation", "$", "@", "\"",
    "\"\"\"", "#", "\u{0}", "\\", "é", ":", "=", "!", ",", "\n",
];

/// A GraphQL string literal holding `text`, escaped as the spec says.
fn graphql_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How many levels deep: mostly a few, sometimes past any limit, sometimes thousands.
fn levels() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 1..12usize, 2 => 12..100usize, 2 => 100..800usize, 1 => 800..4_000usize]
}

/// How many side by side.
fn width() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 1..8usize, 2 => 8..100usize, 1 => 100..3_000usize]
}

fn leaf_value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(LEAVES).prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        2 => prop::collection::vec(
            prop_oneof![4 => any::<char>(), 1 => select(&['\0', '"', '\\', '%', '_', 'İ', '\n'][..])],
            0..12
        )
        .prop_map(|chars| graphql_string(&chars.into_iter().collect::<String>())),
    ]
}

/// A value literal: leaves, small lists and objects, or one nested `levels()` deep.
fn value() -> BoxedStrategy<String> {
    let nested = leaf_value().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((select(ARGUMENTS), inner), 0..4).prop_map(|fields| {
                let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", fields.join(", "))
            }),
        ]
    });
    let deep = (
        select(&["[", "{a: ", "{search: "][..]),
        levels(),
        leaf_value(),
    )
        .prop_map(|(open, n, leaf)| {
            let close = if open == "[" { "]" } else { "}" };
            format!("{}{leaf}{}", open.repeat(n), close.repeat(n))
        });
    prop_oneof![5 => nested, 1 => deep].boxed()
}

fn arguments() -> impl Strategy<Value = String> {
    prop::collection::vec((select(ARGUMENTS), value()), 0..3).prop_map(|args| {
        if args.is_empty() {
            return String::new();
        }
        let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("({})", args.join(", "))
    })
}

fn directives() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(String::new()),
        2 => prop::collection::vec(select(DIRECTIVES), 1..4)
            .prop_map(|ds| ds.iter().map(|d| format!(" @{d}")).collect::<String>()),
        1 => (select(DIRECTIVES), width()).prop_map(|(d, n)| format!(" @{d}").repeat(n)),
    ]
}

/// One selection: a field (maybe aliased, with arguments and directives), an inline
/// fragment or a spread of one of the fragments `F0`..`F3`, nested a few levels.
fn selection() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => (prop::option::of(select(&["a", "b", "x1"][..])), select(FIELDS), arguments(), directives())
            .prop_map(|(alias, name, args, dirs)| match alias {
                Some(alias) => format!("{alias}: {name}{args}{dirs}"),
                None => format!("{name}{args}{dirs}"),
            }),
        1 => (0..5usize, directives()).prop_map(|(i, dirs)| format!("...F{i}{dirs}")),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        let set = prop::collection::vec(inner, 1..5).prop_map(|items| items.join(" "));
        prop_oneof![
            3 => (select(FIELDS), arguments(), directives(), set.clone())
                .prop_map(|(name, args, dirs, set)| format!("{name}{args}{dirs} {{ {set} }}")),
            1 => (prop::option::of(select(TYPES)), directives(), set).prop_map(|(on, dirs, set)| match on {
                Some(on) => format!("... on {on}{dirs} {{ {set} }}"),
                None => format!("...{dirs} {{ {set} }}"),
            }),
        ]
    })
    .boxed()
}

fn selection_set() -> impl Strategy<Value = String> {
    prop::collection::vec(selection(), 1..5).prop_map(|items| format!("{{ {} }}", items.join(" ")))
}

const HEADERS: &[&str] = &[
    "",
    "query",
    "query Q",
    "mutation",
    "subscription",
    "query Q($n: Int, $s: String, $b: Boolean = false, $deep: [[Int]])",
    "query Q($n: Int = 5, $s: String = \"\\u0000\")",
    "mutation M($input: SubmitNominationInput!)",
    "query Q @include(if: true)",
];

/// A document that nests, repeats or chains far past what any client sends.
fn extreme_document() -> impl Strategy<Value = String> {
    prop_oneof![
        levels().prop_map(|n| format!(
            "{{ fellows {}totalCount{} }}",
            "{ nodes { person ".repeat(n),
            " } }".repeat(n)
        )),
        levels().prop_map(|n| format!(
            "{{ {}__typename{} }}",
            "... on Query { ".repeat(n),
            " }".repeat(n)
        )),
        levels().prop_map(|n| format!("{{ {}a{} }}", "a { ".repeat(n), " }".repeat(n))),
        levels().prop_map(|n| format!(
            "{{ fellows{}first: 1{} {{ totalCount }} }}",
            "(".repeat(n),
            ")".repeat(n)
        )),
        levels().prop_map(|n| format!(
            "{{ __schema {{ types {{ {}name{} }} }} }}",
            "fields { type { ofType { ".repeat(n),
            " } } }".repeat(n)
        )),
        (select(FIELDS), width()).prop_map(|(field, n)| format!(
            "{{ {} }}",
            (0..n)
                .map(|i| format!("a{i}: {field}"))
                .collect::<Vec<_>>()
                .join(" ")
        )),
        width().prop_map(|n| {
            // A chain of fragments, each spreading the next.
            let mut doc = String::from("{ ...C0 }");
            for i in 0..n {
                doc.push_str(&format!(" fragment C{i} on Query {{ ...C{} }}", i + 1));
            }
            doc.push_str(&format!(" fragment C{n} on Query {{ __typename }}"));
            doc
        }),
        (1..30usize).prop_map(|n| {
            // A fragment bomb: each fragment spreads the next twice.
            let mut doc = String::from("{ fellows { ...B0 } }");
            for i in 0..n {
                doc.push_str(&format!(
                    " fragment B{i} on FellowConnection {{ ...B{} ...B{} }}",
                    i + 1,
                    i + 1
                ));
            }
            doc.push_str(&format!(
                " fragment B{n} on FellowConnection {{ totalCount }}"
            ));
            doc
        }),
    ]
}

// Operations this schema serves, with generated arguments: what reaches the resolvers,
// the services and the databases, beside what validation stops.

const STRINGS: &[&str] = &[
    "\"ceyda\"",
    "\"mariagrandury\"",
    "\"merve\"",
    "\"speech-and-audio\"",
    "\"pytorch-foundation\"",
    "\"huggingface\"",
    "\"\"",
    "\"x\"",
    "\"MARİAGRANDURY\"",
    "\"é漢🙂\"",
    "\"%_\\\\\"",
    "\"RmVsbG93OjE\"",
    "\"Y3Vyc29y\"",
    "\"https://example.org\"",
    "\"javascript:alert(1)\"",
    "\"ada@example.org\"",
    "\"\\u0000\"",
    "$s",
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "3",
    "20",
    "100",
    "101",
    "-1",
    "2147483647",
    "2147483648",
    "$n",
];
const ENUMS: &[&str] = &[
    "ACTIVE",
    "ALUMNI",
    "FOUNDATION",
    "COMPANY",
    "PREMIER",
    "ACCEPT",
    "DECLINE",
    "NAME",
    "JOINED_ON",
    "ASC",
    "DESC",
    "COMMUNITY_BUILDING",
    "BOGUS",
    "\"ACTIVE\"",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(STRINGS).prop_map(str::to_owned),
        1 => leaf_value(),
        1 => (1..3_000usize).prop_map(|n| format!("\"{}\"", "a".repeat(n))),
    ]
}

fn page_args() -> impl Strategy<Value = Vec<String>> {
    (
        prop::option::weighted(0.6, select(NUMBERS)),
        prop::option::weighted(0.15, select(NUMBERS)),
        prop::option::weighted(0.2, text()),
        prop::option::weighted(0.1, text()),
    )
        .prop_map(|(first, last, after, before)| {
            let mut args = Vec::new();
            if let Some(first) = first {
                args.push(format!("first: {first}"));
            }
            if let Some(last) = last {
                args.push(format!("last: {last}"));
            }
            if let Some(after) = after {
                args.push(format!("after: {after}"));
            }
            if let Some(before) = before {
                args.push(format!("before: {before}"));
            }
            args
        })
}

/// `(a, b)`, or nothing without arguments.
fn parenthesised(args: &[String]) -> String {
    if args.is_empty() {
        String::new()
    } else {
        format!("({})", args.join(", "))
    }
}

const FELLOW: &[&str] = &[
    "id",
    "version",
    "handle",
    "name",
    "headline",
    "bio",
    "links { label url }",
    "status",
    "joinedOn",
    "createdAt",
    "person { name handle fellow { handle } }",
    "nominatedBy { name handle }",
    "contributions { totalCount nodes { title kind url metric occurredOn } }",
    "strategicAreas { nodes { slug name archived } }",
    "benefits { kind grantedOn active }",
    "__typename",
];
const ORGANIZATION: &[&str] = &[
    "id",
    "slug",
    "name",
    "kind",
    "description",
    "websiteUrl",
    "parent { slug name }",
    "children { totalCount nodes { slug } }",
    "memberships { nodes { tier foundation { slug } } }",
    "members { totalCount nodes { member { name } boardSeats { board representative { name } } } }",
];

fn fields_of(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::subsequence(items, 1..=items.len().min(6)).prop_map(|items| items.join(" "))
}

fn query_field() -> impl Strategy<Value = String> {
    prop_oneof![
        (page_args(), text(), select(ENUMS), select(ENUMS), fields_of(FELLOW)).prop_map(
            |(mut args, search, status, order, fields)| {
                args.push(format!("filter: {{ search: {search}, status: {status} }}"));
                args.push(format!("orderBy: {{ field: {order} }}"));
                format!(
                    "fellows{} {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} \
                     edges {{ cursor node {{ {fields} }} }} }}",
                    parenthesised(&args)
                )
            }
        ),
        (page_args(), fields_of(FELLOW))
            .prop_map(|(args, fields)| format!("fellows{} {{ nodes {{ {fields} }} }}", parenthesised(&args))),
        (text(), fields_of(FELLOW)).prop_map(|(handle, fields)| format!("fellow(handle: {handle}) {{ {fields} }}")),
        (page_args(), text()).prop_map(|(args, slug)| format!(
            "strategicAreas{} {{ nodes {{ slug name }} }} strategicArea(slug: {slug}) {{ name archived }}",
            parenthesised(&args)
        )),
        (page_args(), fields_of(ORGANIZATION)).prop_map(|(args, fields)| format!(
            "organizations{} {{ totalCount nodes {{ {fields} }} }}",
            parenthesised(&args)
        )),
        (text(), fields_of(ORGANIZATION))
            .prop_map(|(slug, fields)| format!("organization(slug: {slug}) {{ {fields} }}")),
        page_args().prop_map(|args| format!(
            "foundationMemberships{} {{ nodes {{ tier joinedOn active member {{ name }} \
             boardSeats {{ board title representative {{ name handle }} }} }} }}",
            parenthesised(&args)
        )),
        (page_args(), text()).prop_map(|(args, id)| format!(
            "nominations{} {{ totalCount nodes {{ id status version nomineeEmail nominator {{ handle }} \
             endorsements {{ comment }} }} }} nomination(id: {id}) {{ status }}",
            parenthesised(&args)
        )),
        (text(), text()).prop_map(|(a, b)| format!(
            "node(id: {a}) {{ id __typename ... on Fellow {{ handle }} ... on Organization {{ slug }} }} \
             nodes(ids: [{a}, {b}]) {{ id }}"
        )),
        Just("viewer { role handle scopes apiTokenName person { name } fellow { handle } }".to_owned()),
        page_args().prop_map(|args| format!(
            "apiTokens{0} {{ totalCount nodes {{ name scopes active }} }} \
             auditEvents{0} {{ totalCount nodes {{ action objectType before after }} }} \
             accounts{0} {{ totalCount nodes {{ role handle enabled disabledAt person {{ name }} }} }}",
            parenthesised(&args)
        )),
        Just("rateLimit { limit cost used remaining resetAt }".to_owned()),
        Just("nominationEventsCursor".to_owned()),
    ]
}

fn mutation_field() -> impl Strategy<Value = String> {
    prop_oneof![
        (text(), text(), text(), text(), text()).prop_map(|(name, handle, email, rationale, url)| format!(
            "submitNomination(input: {{ nomineeName: {name}, nomineeHandle: {handle}, nomineeEmail: {email}, \
             rationale: {rationale}, supportRequested: {rationale}, strategicAreaSlugs: [{handle}], \
             links: [{{ label: {name}, url: {url} }}] }}) {{ nomination {{ id status version }} \
             userErrors {{ field message code }} }}"
        )),
        (text(), text()).prop_map(|(id, comment)| format!(
            "endorseNomination(input: {{ nominationId: {id}, comment: {comment} }}) {{ userErrors {{ code }} }}"
        )),
        (text(), select(ENUMS), text(), select(NUMBERS)).prop_map(|(id, decision, note, version)| format!(
            "decideNomination(input: {{ nominationId: {id}, decision: {decision}, note: {note}, \
             expectedVersion: {version} }}) {{ nomination {{ status }} userErrors {{ code }} }}"
        )),
        (text(), text(), text()).prop_map(|(id, name, headline)| format!(
            "updateFellowProfile(input: {{ fellowId: {id}, name: {name}, headline: {headline} }}) \
             {{ fellow {{ name headline }} userErrors {{ code }} }}"
        )),
        (text(), text()).prop_map(|(slug, name)| format!(
            "createStrategicArea(input: {{ slug: {slug}, name: {name} }}) {{ strategicArea {{ slug }} userErrors {{ code }} }}"
        )),
        (text(), text(), select(ENUMS)).prop_map(|(slug, name, kind)| format!(
            "createOrganization(input: {{ slug: {slug}, name: {name}, kind: {kind} }}) \
             {{ organization {{ slug }} userErrors {{ code }} }}"
        )),
        (text(), text()).prop_map(|(name, scope)| format!(
            "createApiToken(input: {{ name: {name}, scopes: [{scope}] }}) {{ userErrors {{ code }} }}"
        )),
        (text(), text()).prop_map(|(handle, name)| format!(
            "inviteStaffMember(input: {{ handle: {handle}, name: {name} }}) {{ account {{ handle }} userErrors {{ code }} }}"
        )),
        (text(), text()).prop_map(|(id, note)| format!(
            "disableAccount(input: {{ accountId: {id}, note: {note} }}) {{ account {{ enabled }} userErrors {{ code }} }}"
        )),
    ]
}

/// A valid-looking operation: one or two of the schema's root fields with generated
/// arguments, written inline, behind an inline fragment or behind a named one.
fn schema_operation() -> impl Strategy<Value = String> {
    let query = prop::collection::vec(query_field(), 1..3)
        .prop_map(|fields| ("query", "Query", fields.join(" ")));
    let mutation = mutation_field().prop_map(|field| ("mutation", "Mutation", field));
    (prop_oneof![3 => query, 1 => mutation], 0..3usize).prop_map(
        |((kind, root, selection), wrapping)| {
            let mut declared = Vec::new();
            if selection.contains("$n") {
                declared.push("$n: Int");
            }
            if selection.contains("$s") {
                declared.push("$s: String");
            }
            let header = if declared.is_empty() {
                format!("{kind} O")
            } else {
                format!("{kind} O({})", declared.join(", "))
            };
            match wrapping {
                0 => format!("{header} {{ {selection} }}"),
                1 => format!("{header} {{ ... on {root} {{ {selection} }} }}"),
                _ => format!("{header} {{ ...Root }} fragment Root on {root} {{ {selection} }}"),
            }
        },
    )
}

fn document() -> impl Strategy<Value = String> {
    let composed = (
        select(HEADERS),
        directives(),
        selection_set(),
        prop::collection::vec((0..5usize, select(TYPES), selection_set()), 0..4),
    )
        .prop_map(|(header, dirs, set, fragments)| {
            let mut doc = format!("{header}{dirs} {set}");
            for (i, on, set) in fragments {
                doc.push_str(&format!("\nfragment F{i} on {on} {set}"));
            }
            doc
        });
    let base = prop_oneof![5 => schema_operation(), 3 => composed, 2 => extreme_document(), 1 => Just(String::new())];
    // Now and then, break it.
    let noise = prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::vec((any::<prop::sample::Index>(), select(NOISE)), 1..3),
    ];
    (base, noise).prop_map(|(mut doc, noise)| {
        for (at, piece) in noise {
            let mut at = at.index(doc.len() + 1);
            while !doc.is_char_boundary(at) {
                at -= 1;
            }
            doc.insert_str(at, piece);
        }
        doc
    })
}

// ---------------------------------------------------------------------------------
// Variables, headers, requests

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        select(&[0.5, 1e300, -1.0][..]).prop_map(Value::from),
        select(&["", "x", "\u{0}", "merve", "RmVsbG93OjE", "é漢🙂", "%"][..]).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                select(&["n", "s", "b", "search", "input", "a"][..]).prop_map(str::to_owned),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The `variables` as JSON text (so it can be deeper than a JSON library would print).
fn variables() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => select(&["{}", "null", "[]", "\"x\"", "5", "{\"n\": 5}", "{\"n\": \"five\"}", "{\"n\": 1e300}", "{\"s\": \"\\u0000\"}", "{\"n\": 2147483648}", "{"][..])
            .prop_map(|v| Some(v.to_owned())),
        3 => prop::collection::btree_map(select(&["n", "s", "b", "deep", "input", "undeclared"][..]).prop_map(str::to_owned), json_value(), 0..4)
            .prop_map(|m| Some(Value::Object(m.into_iter().collect()).to_string())),
        3 => (
            select(&["1", "3", "100", "101", "-1", "2147483648", "null", "\"3\""][..]),
            select(&["ceyda", "merve", "speech-and-audio", "", "x", "MARİAGRANDURY", "%_", "RmVsbG93OjE", "a\u{0}"][..]),
        )
            .prop_map(|(n, s)| Some(format!(r#"{{"n": {n}, "s": {}}}"#, json_text(s)))),
        1 => (select(&["[", "{\"a\":"][..]), levels()).prop_map(|(open, n)| {
            let close = if open == "[" { "]" } else { "}" };
            Some(format!("{{\"deep\": {}1{}}}", open.repeat(n), close.repeat(n)))
        }),
    ]
}

#[derive(Debug, Clone)]
enum Auth {
    None,
    Staff,
    Fellow,
    Expired,
    Raw(String),
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        6 => Just(Auth::None),
        2 => Just(Auth::Staff),
        2 => Just(Auth::Fellow),
        1 => Just(Auth::Expired),
        2 => "[ -~]{0,60}".prop_map(Auth::Raw),
        1 => "[ -~]{0,20}".prop_map(|t| Auth::Raw(format!("Bearer {t}"))),
        1 => (1..20_000usize).prop_map(|n| Auth::Raw(format!("Bearer {}", "x".repeat(n)))),
    ]
}

#[derive(Debug, Clone)]
enum Body {
    /// `{"query": ..., "variables": ..., "operationName": ...}`
    Request,
    /// The same, inside a JSON array.
    Batch,
    /// The request text cut short.
    Truncated(prop::sample::Index),
    /// `{"query": 5}`
    NotAString,
}

#[derive(Debug, Clone)]
struct HttpCase {
    get: bool,
    document: String,
    variables: Option<String>,
    operation_name: Option<String>,
    auth: Auth,
    content_type: Option<&'static str>,
    accept: Option<&'static str>,
    idempotency_key: Option<String>,
    body: Body,
}

fn http_case() -> impl Strategy<Value = HttpCase> {
    (
        prop::bool::weighted(0.3),
        document(),
        variables(),
        prop::option::weighted(0.2, select(&["Q", "M", "", "Nope", "\u{0}"][..]).prop_map(str::to_owned)),
        auth(),
        prop::option::weighted(0.97, prop_oneof![
            12 => Just("application/json"),
            1 => select(&["application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/graphql", "multipart/form-data"][..]),
        ]),
        prop::option::weighted(0.6, select(&["application/json", "application/graphql-response+json", "text/html", "*/*", "application/graphql-response+json, application/json;q=0.9"][..])),
        prop::option::weighted(0.1, "[ -~]{0,300}"),
        prop_oneof![12 => Just(Body::Request), 1 => Just(Body::Batch), 1 => any::<prop::sample::Index>().prop_map(Body::Truncated), 1 => Just(Body::NotAString)],
    )
        .prop_map(|(get, document, variables, operation_name, auth, content_type, accept, idempotency_key, body)| HttpCase {
            get, document, variables, operation_name, auth, content_type, accept, idempotency_key, body,
        })
}

/// Tokens the fuzz sends as themselves: valid ones of each role and an expired one.
struct Tokens {
    staff: String,
    fellow: String,
    expired: String,
}

impl Tokens {
    fn new(app: &TestApp) -> Tokens {
        let keys = api::auth::KeyRing::from_settings(&api::config::AuthSettings::with_secret(
            fellowship_tests::TEST_SECRET,
        ))
        .expect("test keys");
        Tokens {
            staff: app.token(Role::Staff, "merve"),
            fellow: app.token(Role::Fellow, "mariagrandury"),
            expired: api::auth::mint_user_token(
                &keys,
                Role::Staff,
                "merve",
                chrono::Duration::hours(-2),
            )
            .expect("a token"),
        }
    }

    fn header(&self, auth: &Auth) -> Option<String> {
        match auth {
            Auth::None => None,
            Auth::Staff => Some(format!("Bearer {}", self.staff)),
            Auth::Fellow => Some(format!("Bearer {}", self.fellow)),
            Auth::Expired => Some(format!("Bearer {}", self.expired)),
            Auth::Raw(raw) => Some(raw.clone()),
        }
    }
}

fn json_text(text: &str) -> String {
    serde_json::to_string(text).expect("a JSON string")
}

/// Sends one generated request and checks the answer against the contract.
async fn http_round(app: &TestApp, tokens: &Tokens, case: &HttpCase) -> Result<(), String> {
    let mut params = vec![("query", case.document.clone())];
    if let Some(variables) = &case.variables {
        params.push(("variables", variables.clone()));
    }
    if let Some(name) = &case.operation_name {
        params.push(("operationName", name.clone()));
    }
    let get_url = reqwest::Url::parse_with_params(&app.url("/graphql"), &params)
        .map_err(|e| e.to_string())?;
    // Over GET only what fits a URL that proxies and servers take (8 KB); the limits
    // on longer request lines are not this target's concern.
    let mut request = if case.get && get_url.as_str().len() <= 8_000 {
        app.client.get(get_url)
    } else {
        let request_text = format!(
            r#"{{"query":{},"variables":{},"operationName":{}}}"#,
            json_text(&case.document),
            case.variables.as_deref().unwrap_or("null"),
            case.operation_name
                .as_deref()
                .map_or("null".to_owned(), json_text),
        );
        let body = match &case.body {
            Body::Request => request_text,
            Body::Batch => format!("[{request_text}]"),
            Body::Truncated(at) => {
                let mut at = at.index(request_text.len());
                while !request_text.is_char_boundary(at) {
                    at -= 1;
                }
                request_text[..at].to_owned()
            }
            Body::NotAString => r#"{"query": 5}"#.to_owned(),
        };
        let mut request = app.client.post(app.url("/graphql")).body(body);
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        request
    };
    if let Some(value) = tokens.header(&case.auth) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            request = request.header("authorization", value);
        }
    }
    if let Some(accept) = case.accept {
        request = request.header("accept", accept);
    }
    if let Some(key) = &case.idempotency_key {
        request = request.header("idempotency-key", key.as_str());
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?;
    if ![200, 400, 401, 405, 413, 415, 429].contains(&status) {
        return Err(format!("status {status}: {text}"));
    }
    let body: Value =
        serde_json::from_str(&text).map_err(|_| format!("not JSON ({status}): {text}"))?;
    if body.get("data").is_none() && body.get("errors").is_none() {
        return Err(format!("neither data nor errors ({status}): {text}"));
    }
    check_errors(&body["errors"], &text)?;
    check_leaks(&text)?;
    let first_code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("no error");
    let data = if body["data"].is_null() {
        "no data"
    } else {
        "data"
    };
    tally(format!("{status} {data}, {first_code}"));
    Ok(())
}

/// How the cases were answered, printed at the end of a run (with `--nocapture`), so
/// that a generator that only ever reaches one refusal shows.
static OUTCOMES: std::sync::Mutex<std::collections::BTreeMap<String, usize>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn tally(outcome: String) {
    if let Ok(mut outcomes) = OUTCOMES.lock() {
        *outcomes.entry(outcome).or_default() += 1;
    }
}

fn check_errors(errors: &Value, text: &str) -> Result<(), String> {
    if errors.is_null() {
        return Ok(());
    }
    let errors = errors
        .as_array()
        .ok_or_else(|| format!("errors is not a list: {text}"))?;
    if errors.is_empty() {
        return Err(format!("an empty errors list: {text}"));
    }
    for error in errors {
        let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
        if !CODES.contains(&code) {
            return Err(format!("code {code}: {text}"));
        }
        if !error["message"].is_string() {
            return Err(format!("an error without a message: {text}"));
        }
    }
    Ok(())
}

fn check_leaks(text: &str) -> Result<(), String> {
    for leak in LEAKS {
        if text.contains(leak) {
            return Err(format!("leaks `{leak}`: {text}"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// WebSocket conversations

#[derive(Debug, Clone)]
enum WsMessage {
    Init(Auth),
    /// `connection_init` whose payload is this JSON text.
    InitWith(String),
    Subscribe {
        id: String,
        document: String,
        variables: Option<String>,
    },
    Complete(String),
    Ping,
    Pong,
    Raw(String),
    Binary,
}

fn ws_message() -> impl Strategy<Value = WsMessage> {
    let id = select(&["1", "2", "a", "", "\u{0}"][..]).prop_map(str::to_owned);
    prop_oneof![
        4 => auth().prop_map(WsMessage::Init),
        1 => prop_oneof![
            select(&["null", "5", "[]", "{\"Authorization\": 5}", "{\"Authorization\": \"\\u0000\"}"][..]).prop_map(str::to_owned),
            levels().prop_map(|n| format!("{}1{}", "[".repeat(n), "]".repeat(n))),
        ].prop_map(WsMessage::InitWith),
        6 => (id.clone(), prop_oneof![2 => document(), 1 => Just(fellowship_tests::ws::NOMINATION_EVENTS.to_owned())], variables())
            .prop_map(|(id, document, variables)| WsMessage::Subscribe { id, document, variables }),
        1 => id.prop_map(WsMessage::Complete),
        1 => Just(WsMessage::Ping),
        1 => Just(WsMessage::Pong),
        1 => prop_oneof![
            "[ -~]{0,40}",
            Just("{\"type\":\"start\",\"id\":\"1\"}".to_owned()),
            Just("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":5}".to_owned()),
            levels().prop_map(|n| format!("{}{}", "{\"a\":".repeat(n), "}".repeat(n))),
        ].prop_map(WsMessage::Raw),
        1 => Just(WsMessage::Binary),
    ]
}

fn ws_case() -> impl Strategy<Value = Vec<WsMessage>> {
    let init = prop_oneof![
        4 => prop_oneof![Just(Auth::Staff), Just(Auth::Fellow), Just(Auth::None)].prop_map(|auth| vec![WsMessage::Init(auth)]),
        1 => Just(Vec::new()),
    ];
    (init, prop::collection::vec(ws_message(), 1..6)).prop_map(|(mut first, rest)| {
        first.extend(rest);
        first
    })
}

const CLOSE_CODES: &[u16] = &[
    1000, 1001, 1008, 1009, 1013, 4400, 4401, 4403, 4408, 4409, 4429,
];

async fn ws_round(app: &TestApp, tokens: &Tokens, messages: &[WsMessage]) -> Result<(), String> {
    let mut request = fellowship_tests::ws::endpoint(&app.address)
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("the upgrade failed: {e}"))?;
    for message in messages {
        let frame = match message {
            WsMessage::Init(auth) => {
                let payload = match tokens.header(auth) {
                    Some(value) => serde_json::json!({ "Authorization": value }),
                    None => serde_json::json!({}),
                };
                Message::text(
                    serde_json::json!({ "type": "connection_init", "payload": payload })
                        .to_string(),
                )
            }
            WsMessage::InitWith(payload) => Message::text(format!(
                r#"{{"type":"connection_init","payload":{payload}}}"#
            )),
            WsMessage::Subscribe {
                id,
                document,
                variables,
            } => Message::text(format!(
                r#"{{"type":"subscribe","id":{},"payload":{{"query":{},"variables":{}}}}}"#,
                json_text(id),
                json_text(document),
                variables.as_deref().unwrap_or("null"),
            )),
            WsMessage::Complete(id) => {
                Message::text(format!(r#"{{"type":"complete","id":{}}}"#, json_text(id)))
            }
            WsMessage::Ping => Message::text(r#"{"type":"ping"}"#),
            WsMessage::Pong => Message::text(r#"{"type":"pong"}"#),
            WsMessage::Raw(text) => Message::text(text.clone()),
            WsMessage::Binary => Message::binary(vec![0u8, 159, 146, 150]),
        };
        // The server may have closed the socket already, as the protocol says it must
        // for some messages; what it answered is read below.
        if socket.send(frame).await.is_err() {
            break;
        }
    }
    // Read until the server closes the socket or falls silent.
    loop {
        match tokio::time::timeout(Duration::from_millis(300), socket.next()).await {
            Err(_) => break,
            Ok(None) => return Err("the socket ended without a close frame".into()),
            Ok(Some(Err(e))) => return Err(format!("the socket broke: {e}")),
            Ok(Some(Ok(Message::Close(frame)))) => {
                let code = frame.as_ref().map_or(1005, |f| u16::from(f.code));
                if !CLOSE_CODES.contains(&code) {
                    return Err(format!("closed with {code}: {frame:?}"));
                }
                tally(format!("ws closed {code}"));
                return Ok(());
            }
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value =
                    serde_json::from_str(text.as_str()).map_err(|_| format!("not JSON: {text}"))?;
                check_leaks(text.as_str())?;
                let kind = message["type"].as_str().unwrap_or("?");
                let code = message["payload"][0]["extensions"]["code"]
                    .as_str()
                    .or(message["payload"]["errors"][0]["extensions"]["code"].as_str())
                    .unwrap_or("");
                tally(format!("ws {kind} {code}"));
                match message["type"].as_str() {
                    Some("error") => check_errors(&message["payload"], text.as_str())?,
                    Some("next") => check_errors(&message["payload"]["errors"], text.as_str())?,
                    Some("connection_ack" | "complete" | "pong") => {}
                    Some("ping") => {
                        let _ = socket.send(Message::text(r#"{"type":"pong"}"#)).await;
                    }
                    _ => return Err(format!("an unknown message: {text}")),
                }
            }
            Ok(Some(Ok(_))) => {}
        }
    }
    let _ = socket.close(None).await;
    Ok(())
}

// ---------------------------------------------------------------------------------
// The runs

/// Panics on the server's worker threads, counted by a hook that also reports them as
/// before. (The server runs in this process; its workers are `actix-server worker N`.)
static SERVER_PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_server_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("actix"))
            {
                SERVER_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

fn runner(cases: u32, salt: u64) -> TestRunner {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0x5eed_f00d);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&salt.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Runs `round` on every case `strategy()` generates. Generation and shrinking nest
/// deeply (and debug builds use large frames), so the runner gets a thread with a large
/// stack of its own; `round` blocks that thread on the test's runtime.
fn run<S, M, F>(strategy: M, cases: u32, salt: u64, round: F)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
    M: FnOnce() -> S + Send,
    F: Fn(&S::Value) -> Result<(), String> + Sync,
{
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("fuzz".into())
            .stack_size(256 << 20)
            .spawn_scoped(scope, || {
                let mut runner = runner(cases, salt);
                runner
                    .run(&strategy(), |case| {
                        let panics = SERVER_PANICS.load(Ordering::SeqCst);
                        round(&case).map_err(TestCaseError::fail)?;
                        if SERVER_PANICS.load(Ordering::SeqCst) != panics {
                            return Err(TestCaseError::fail("a server worker panicked"));
                        }
                        Ok(())
                    })
                    .map_err(|failure| failure.to_string())
            })
            .expect("a thread for the fuzz runner")
            .join()
            .expect("the fuzz runner ended")
    });
    if let Err(mut failure) = result {
        if failure.len() > 6_000 {
            let mut at = 6_000;
            while !failure.is_char_boundary(at) {
                at -= 1;
            }
            failure.truncate(at);
            failure.push_str(" [...]");
        }
        panic!("the fuzz target found a request the server mishandles: {failure}");
    }
    if let Ok(outcomes) = OUTCOMES.lock() {
        eprintln!("fuzz outcomes so far (all runs of this process): {outcomes:#?}");
    }
}

async fn assert_healthy(app: &TestApp) {
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("GET /readyz");
    assert_eq!(ready.status().as_u16(), 200);
    let data = app
        .query(
            "{ fellows(first: 1) { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(data["fellows"]["totalCount"], 7);
}

on_both_databases! {
    async fn generated_http_requests_always_get_coded_answers_and_the_server_keeps_serving(backend) {
        count_server_panics();
        let app = TestApp::with_demo(backend).await;
        let tokens = Tokens::new(&app);
        let runtime = tokio::runtime::Handle::current();
        run(http_case, cases(), backend as u64, |case| runtime.block_on(http_round(&app, &tokens, case)));
        assert_healthy(&app).await;
    }

    async fn generated_websocket_conversations_get_protocol_answers_and_the_server_keeps_serving(backend) {
        count_server_panics();
        let app = TestApp::with_demo(backend).await;
        let tokens = Tokens::new(&app);
        let runtime = tokio::runtime::Handle::current();
        run(ws_case, cases().div_ceil(5), 100 + backend as u64, |messages| {
            runtime.block_on(ws_round(&app, &tokens, messages))
        });
        assert_healthy(&app).await;
    }
}
