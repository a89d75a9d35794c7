//! What every request passes before anything of async-graphql sees it, on HTTP and on
//! the WebSocket alike: the one gate in front of parsing, validation and execution.
//!
//! async-graphql's parser, its validation and its input coercion all recurse over the
//! document and the variables, and so do `Clone`, `Drop` and our own limits walk. A
//! list literal nested 2,000 levels deep (`first: [[[[...1]]]]`), a few kilobytes,
//! overflowed a worker's stack and aborted the whole process. So the checks run in an
//! order where nothing recursive meets input that has not been bounded yet:
//!
//! 1. the document's length, and how deep `{ [ (` nest in its text, found by one
//!    non-recursive scan that skips strings, block strings and comments
//!    (`QUERY_TOO_COMPLEX`);
//! 2. the variables, walked with a stack of our own: how deep their lists and objects
//!    nest, and whether any text holds a NUL (`BAD_USER_INPUT`). (The JSON they come
//!    in is parsed by serde_json, whose own limit of 128 levels refuses anything deeper
//!    before it is even a value.);
//! 3. parsing, whose errors become a sentence with the position rather than the
//!    parser's grammar rules (`BAD_USER_INPUT`);
//! 4. the document's string literals, for NUL characters (`BAD_USER_INPUT`): PostgreSQL
//!    cannot store them (an internal error) and SQLite's `LIKE` takes them for the end
//!    of the pattern (a search that matches every row). No text of this API may hold
//!    one, so they are refused here, once, rather than in every resolver;
//! 5. the limits of [`super::limits`]: depth, fragments, aliases, fields, cost.
//!
//! Clients send the same few documents over and over, so a document that passed
//! steps 3 and 4 is kept, parsed, in a small cache keyed by its text ([`Parsed`]):
//! the next request with that text skips the parser (3–4 % of a page's CPU in the
//! bench's profiles) and starts at step 5, which depends on the variables and always
//! runs.

use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::parser::{parse_query, Error as ParseError};
use async_graphql::{Positioned, Value as ConstValue, Variables};
use async_graphql_value::Value;

use std::num::NonZeroUsize;
use std::sync::{Mutex, OnceLock};

use lru::LruCache;

use super::limits::{self, Limits, Measure, Refusal};

/// Documents the parser and the literal check accepted, by their text. Bounded in
/// entries and in the length of the text it keeps (a parsed document takes some ten
/// times its text's memory): at most 256 × 4 KiB of text, a few MiB in all. Documents
/// that are not kept are simply parsed each time.
struct Parsed(Mutex<LruCache<String, ExecutableDocument>>);

const PARSED_ENTRIES: usize = 256;
const PARSED_MAX_TEXT: usize = 4096;

impl Parsed {
    fn get() -> &'static Parsed {
        static PARSED: OnceLock<Parsed> = OnceLock::new();
        PARSED.get_or_init(|| {
            Parsed(Mutex::new(LruCache::new(
                NonZeroUsize::new(PARSED_ENTRIES).expect("a cache holds something"),
            )))
        })
    }

    fn find(&self, text: &str) -> Option<ExecutableDocument> {
        if text.len() > PARSED_MAX_TEXT {
            return None;
        }
        self.0.lock().ok()?.get(text).cloned()
    }

    fn keep(&self, text: &str, document: &ExecutableDocument) {
        if text.len() > PARSED_MAX_TEXT {
            return;
        }
        if let Ok(mut cache) = self.0.lock() {
            cache.put(text.to_owned(), document.clone());
        }
    }
}

/// Checks a request against everything above; the measure of its operation when it
/// passes (`None` when the document names no operation that could run, which the
/// executor reports). The request keeps its parsed document, so it is parsed once.
pub fn check(
    limits: &Limits,
    request: &mut async_graphql::Request,
) -> Result<Option<Measure>, Refusal> {
    limits::check_length(limits, &request.query)?;
    let nesting = nesting(&request.query);
    if nesting > limits.max_nesting {
        return Err(Refusal::over_limit(
            "nesting",
            limits.max_nesting as u64,
            nesting as u64,
        ));
    }
    check_variables(limits, &request.variables)?;
    let parsed = Parsed::get();
    let known = match parsed.find(&request.query) {
        Some(document) => {
            request.set_parsed_query(document);
            true
        }
        None => false,
    };
    // The document borrows the request, so the variables are lent out meanwhile.
    let variables = std::mem::take(&mut request.variables);
    let operation_name = request.operation_name.clone();
    // On a miss the text is kept with the document, once both checks pass.
    let unknown_text = (!known).then(|| request.query.clone());
    let checked = match request.parsed_query() {
        Ok(document) => match &unknown_text {
            None => Ok(()),
            Some(text) => check_literals(document).map(|()| parsed.keep(text, document)),
        }
        .and_then(|()| limits::check(limits, document, operation_name.as_deref(), &variables)),
        Err(_) => Err(match parse_query(&request.query) {
            Err(error) => parse_refusal(limits, &request.query, error),
            // Unreachable: the same text failed a moment ago.
            Ok(_) => Refusal::bad_input("syntax", "The document is not valid GraphQL.", None),
        }),
    };
    request.variables = variables;
    checked
}

/// How deep `{`, `[` and `(` nest in a document's text, outside strings, block strings
/// and comments: an upper bound of how deep anything parsed from it can nest. One pass,
/// no recursion. Unbalanced text is a syntax error the parser reports.
pub fn nesting(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                // A string ends at its closing quote, or (unterminated, a syntax error)
                // at the end of its line, as the parser reads it.
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        b'\\' if i + 1 < bytes.len() && !matches!(bytes[i + 1], b'\n' | b'\r') => {
                            i += 2;
                        }
                        _ => i += 1,
                    }
                }
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

const NUL_MESSAGE: &str = "Text may not contain the NUL character (U+0000)";

/// The variables' nesting and text, walked with a stack of our own.
fn check_variables(limits: &Limits, variables: &Variables) -> Result<(), Refusal> {
    for (name, value) in variables.iter() {
        let mut pending: Vec<(&ConstValue, usize)> = vec![(value, 0)];
        while let Some((value, depth)) = pending.pop() {
            if depth > limits.max_variable_depth {
                return Err(Refusal::bad_input(
                    "variables",
                    format!(
                        "The variable `${name}` nests lists or objects more than {} levels deep.",
                        limits.max_variable_depth
                    ),
                    None,
                ));
            }
            match value {
                ConstValue::String(text) if text.contains('\0') => {
                    return Err(Refusal::bad_input(
                        "text",
                        format!("{NUL_MESSAGE}; the variable `${name}` does."),
                        None,
                    ))
                }
                ConstValue::List(items) => {
                    pending.extend(items.iter().map(|item| (item, depth + 1)));
                }
                ConstValue::Object(fields) => {
                    for (key, item) in fields {
                        if key.contains('\0') {
                            return Err(Refusal::bad_input(
                                "text",
                                format!(
                                    "{NUL_MESSAGE}; a field name in the variable `${name}` does."
                                ),
                                None,
                            ));
                        }
                        pending.push((item, depth + 1));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Every string literal of the document (arguments, directive arguments, variable
/// defaults, in operations and fragments alike), for NUL characters.
fn check_literals(document: &ExecutableDocument) -> Result<(), Refusal> {
    let refuse = |at| {
        Err(Refusal::bad_input(
            "text",
            format!("{NUL_MESSAGE}; a string in the document does."),
            Some(at),
        ))
    };
    let mut sets: Vec<&SelectionSet> = Vec::new();
    let mut directives: Vec<&Positioned<Directive>> = Vec::new();
    let mut values: Vec<&Positioned<Value>> = Vec::new();
    for (_, operation) in document.operations.iter() {
        let OperationDefinition {
            variable_definitions,
            directives: own,
            selection_set,
            ..
        } = &operation.node;
        for definition in variable_definitions {
            if let Some(default) = &definition.node.default_value {
                if const_holds_nul(&default.node) {
                    return refuse(default.pos);
                }
            }
            directives.extend(&definition.node.directives);
        }
        directives.extend(own);
        sets.push(&selection_set.node);
    }
    for fragment in document.fragments.values() {
        directives.extend(&fragment.node.directives);
        sets.push(&fragment.node.selection_set.node);
    }
    while let Some(set) = sets.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    values.extend(field.node.arguments.iter().map(|(_, value)| value));
                    directives.extend(&field.node.directives);
                    sets.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => {
                    directives.extend(&inline.node.directives);
                    sets.push(&inline.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => directives.extend(&spread.node.directives),
            }
        }
    }
    for directive in directives {
        values.extend(directive.node.arguments.iter().map(|(_, value)| value));
    }
    for value in values {
        if value_holds_nul(&value.node) {
            return refuse(value.pos);
        }
    }
    Ok(())
}

fn value_holds_nul(value: &Value) -> bool {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) if text.contains('\0') => return true,
            Value::List(items) => pending.extend(items),
            Value::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    false
}

fn const_holds_nul(value: &ConstValue) -> bool {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            ConstValue::String(text) if text.contains('\0') => return true,
            ConstValue::List(items) => pending.extend(items),
            ConstValue::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    false
}

/// A parser error as a sentence with its position, rather than the grammar rules the
/// parser names (`expected selection_set`).
fn parse_refusal(limits: &Limits, text: &str, error: ParseError) -> Refusal {
    let message = match &error {
        ParseError::Syntax { start, .. } => {
            let found = text
                .split('\n')
                .nth(start.line.saturating_sub(1))
                .and_then(|line| line.chars().nth(start.column.saturating_sub(1)));
            let (line, column) = (start.line, start.column);
            let message = match found {
                Some(c) if !c.is_whitespace() && !c.is_control() => format!(
                    "The document is not valid GraphQL: `{c}` at line {line}, column {column} does not belong there."
                ),
                Some(_) => format!(
                    "The document is not valid GraphQL: the character at line {line}, column {column} does not belong there."
                ),
                None => format!(
                    "The document is not valid GraphQL: it ends at line {line}, column {column}, before it is complete."
                ),
            };
            return Refusal::bad_input("syntax", message, Some(*start));
        }
        ParseError::MultipleOperations { .. } => {
            "A document with an anonymous operation may hold no other operation; name each one."
                .to_owned()
        }
        ParseError::OperationDuplicated { operation, .. } => {
            format!("The operation `{operation}` is defined twice.")
        }
        ParseError::FragmentDuplicated { fragment, .. } => {
            format!("The fragment `{fragment}` is defined twice.")
        }
        ParseError::MissingOperation => {
            "The document holds no operation; send a query, a mutation or a subscription."
                .to_owned()
        }
        // The nesting check above refuses such documents first; this is the parser's
        // own bound on selections.
        ParseError::RecursionLimitExceeded => {
            return Refusal::over_limit(
                "nesting",
                limits.max_nesting as u64,
                limits.max_nesting as u64 + 1,
            )
        }
        _ => "The document is not valid GraphQL.".to_owned(),
    };
    Refusal::bad_input("syntax", message, error.positions().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> async_graphql::Request {
        async_graphql::Request::new(query)
    }

    fn refused(query: &str) -> Refusal {
        check(&Limits::default(), &mut request(query)).unwrap_err()
    }

    #[test]
    fn a_document_seen_before_is_not_parsed_again_but_still_measured_against_its_variables() {
        let text = "query($n: Int) { fellows(first: $n) { nodes { handle } } } # cache test";
        let measure = |n: i64| {
            let mut request =
                request(text).variables(Variables::from_json(serde_json::json!({ "n": n })));
            let measured = check(&Limits::default(), &mut request).map(|m| m.map(|m| m.cost));
            (measured, request)
        };
        let (small, _) = measure(1);
        assert!(
            Parsed::get().find(text).is_some(),
            "kept after the first check"
        );
        let (large, mut again) = measure(100);
        // The kept document is the request's, and the cost follows the variables.
        assert!(again.parsed_query().is_ok());
        let (small, large) = (small.unwrap().unwrap(), large.unwrap().unwrap());
        assert!(small < large, "cost {small} for 1 fellow, {large} for 100");
    }

    #[test]
    fn a_refused_document_is_not_kept_and_is_refused_every_time() {
        let text = "{ fellows(filter: { search: \"a\\u0000b\" }) { totalCount } } # cache test";
        for _ in 0..2 {
            assert_eq!(refused(text).limit, "text");
            assert!(Parsed::get().find(text).is_none());
        }
        let long = format!("{{ __typename }} #{}", "x".repeat(PARSED_MAX_TEXT));
        check(&Limits::default(), &mut request(&long)).unwrap();
        assert!(
            Parsed::get().find(&long).is_none(),
            "longer texts are parsed each time"
        );
    }

    #[test]
    fn nesting_counts_brackets_of_every_kind() {
        assert_eq!(nesting("{ a }"), 1);
        assert_eq!(nesting("{ a(b: [{ c: 1 }]) { d } }"), 4);
        assert_eq!(nesting("query { a } { b } { c }"), 1);
    }

    #[test]
    fn nesting_ignores_brackets_in_strings_block_strings_and_comments() {
        assert_eq!(nesting(r#"{ a(b: "[[[[{{{(((") }"#), 2);
        assert_eq!(nesting(r#"{ a(b: "\" [[[[") }"#), 2);
        assert_eq!(nesting("{ a(b: \"\"\" [[[[ \\\"\"\" [[[ \"\"\") }"), 2);
        assert_eq!(nesting("{ a # [[[[[[\n }"), 1);
    }

    #[test]
    fn an_unterminated_string_ends_at_its_line_so_nothing_after_it_is_hidden() {
        assert_eq!(nesting("{ a(b: \"x\n [[[[ ) }"), 6);
    }

    #[test]
    fn nesting_is_counted_without_recursion_at_any_depth() {
        let deep = format!(
            "{{ a(b: {}1{}) }}",
            "[".repeat(1_000_000),
            "]".repeat(1_000_000)
        );
        assert_eq!(nesting(&deep), 1_000_002);
    }

    #[test]
    fn deeply_nested_literals_are_refused_before_parsing() {
        for query in [
            format!(
                "{{ fellows(first: {}1{}) {{ totalCount }} }}",
                "[".repeat(2_000),
                "]".repeat(2_000)
            ),
            format!(
                "{{ fellows(filter: {}\"x\"{}) {{ totalCount }} }}",
                "{a: ".repeat(1_500),
                "}".repeat(1_500)
            ),
        ] {
            let refusal = refused(&query);
            assert_eq!(
                (refusal.code(), refusal.limit),
                (crate::error::Code::QueryTooComplex, "nesting")
            );
        }
    }

    #[test]
    fn the_standard_introspection_query_nests_well_within_the_limit() {
        let query = include_str!("../../../tests/fixtures/introspection-query.graphql");
        assert!(nesting(query) <= Limits::default().max_nesting / 2);
        assert!(check(&Limits::default(), &mut request(query)).is_ok());
    }

    #[test]
    fn deeply_nested_variables_are_bad_input() {
        let mut value = ConstValue::from(1);
        for _ in 0..40 {
            value = ConstValue::List(vec![value]);
        }
        let mut request = request("query($v: Int) { fellows(first: $v) { totalCount } }");
        request.variables = Variables::from_value(ConstValue::Object(
            [(async_graphql::Name::new("v"), value)]
                .into_iter()
                .collect(),
        ));
        let refusal = check(&Limits::default(), &mut request).unwrap_err();
        assert_eq!(
            (refusal.code(), refusal.limit),
            (crate::error::Code::BadUserInput, "variables")
        );
        // The request keeps its variables for whoever reports the refusal.
        assert!(!request.variables.is_empty());
    }

    #[test]
    fn nul_characters_are_refused_in_literals_of_every_place() {
        for query in [
            r#"{ fellows(filter: { search: "a\u0000" }) { totalCount } }"#,
            r#"{ fellows(filter: { search: ["ok", "a\u0000"] }) { totalCount } }"#,
            r#"query($s: String = "\u0000") { fellows(filter: { search: $s }) { totalCount } }"#,
            r#"{ fellows { ... on FellowConnection { totalCount @include(if: "\u0000") } } }"#,
            r#"{ ...F } fragment F on Query { fellow(handle: "\u0000") { name } }"#,
            "{ fellow(handle: \"\u{0}\") { name } }",
        ] {
            let refusal = refused(query);
            assert_eq!(
                (refusal.code(), refusal.limit),
                (crate::error::Code::BadUserInput, "text"),
                "{query}"
            );
        }
    }

    #[test]
    fn nul_characters_are_refused_in_variables_however_deep() {
        let mut request = request("query($f: FellowFilter) { fellows(filter: $f) { totalCount } }");
        request.variables =
            Variables::from_json(serde_json::json!({ "f": { "search": "x\u{0}" } }));
        let refusal = check(&Limits::default(), &mut request).unwrap_err();
        assert_eq!(
            (refusal.code(), refusal.limit),
            (crate::error::Code::BadUserInput, "text")
        );
    }

    #[test]
    fn syntax_errors_read_as_sentences_with_their_position() {
        let refusal = refused("{ fellows { nodes { handle } }");
        assert_eq!(
            (refusal.code(), refusal.limit),
            (crate::error::Code::BadUserInput, "syntax")
        );
        let message = refusal.message();
        assert!(message.contains("line 1, column 31"), "{message}");
        assert!(!message.contains("selection"), "{message}");
        assert!(!message.contains("-->"), "{message}");
        assert!(refused("{ a } }").message().contains("`}`"));
        assert_eq!(refused("query A { a } query A { b }").limit, "syntax");
    }
}
