//! Query limits, checked before anything runs: a document that is too long, too deep,
//! too wide or too costly is refused with `QUERY_TOO_COMPLEX` and a message that names
//! the limit and the numbers. (What is checked even before this walk, on the raw text
//! and variables, is in [`super::document_guard`].)
//!
//! One pass over the chosen operation expands fragments with memoisation: each fragment
//! is measured once and its numbers reused at every spread, so a "fragment bomb" whose
//! fragments spread each other twice, many levels down, is measured in linear time and
//! refused for what it would expand to. Arithmetic saturates instead of overflowing,
//! and the walk's own recursion is bounded (by the depth limit, and by how deep
//! fragments may spread one another), whatever the document holds.
//!
//! Cost estimates the objects a response can hold, and does not depend on how the
//! operation is written: a field costs 1, plus its children times how often they can
//! repeat. That is the page size of a connection (`first`/`last`, at most the largest
//! page a connection serves since a larger one is refused; or the default page when the
//! field selects `edges` or `nodes`, directly, in an inline fragment or in a named
//! one), the number of `ids` of `nodes(ids:)`, or, inside introspection (`__schema`,
//! `__type`), the typical length of its lists ([`introspection_multiplier`]). The
//! standard introspection query (what GraphiQL and code generators send) fits every
//! limit; nesting introspection's lists inside one another does not.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Pos, Value as ConstValue, Variables};
use async_graphql_value::Value;
use serde_json::json;

use crate::error::Code;
use crate::service::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The limits every operation must fit.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How many characters the document's text may hold.
    pub max_length: usize,
    /// How deep `{ [ (` may nest in the document's text: selections, arguments and
    /// value literals together. Checked on the text, before parsing.
    pub max_nesting: usize,
    /// How deep lists and objects may nest in the variables.
    pub max_variable_depth: usize,
    /// How deep selections may nest, fragments expanded (a root field is at depth 1).
    pub max_depth: usize,
    /// How deep fragments may spread one another (`...A` whose `A` spreads `...B` ...).
    pub max_fragment_nesting: usize,
    /// How many aliased fields the operation may select, fragments expanded.
    pub max_aliases: u64,
    /// How many directives one field, inline fragment or fragment spread may carry.
    pub max_directives_per_field: usize,
    /// How many fields the operation may select, every fragment counted at each spread.
    pub max_fields: u64,
    /// How many objects the answer may hold, as the module's cost rule estimates them.
    pub max_cost: u64,
    /// How many introspection lists may nest inside one another. The standard
    /// introspection query nests three (`types { fields { args } }`); every list
    /// nested deeper multiplies the answer by a list's length (`possibleTypes {
    /// interfaces { possibleTypes ... } }` answers megabytes), beyond what an average
    /// length per list can price.
    pub max_introspection_lists: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_length: 15_000,
            // Far above any real document (the standard introspection query nests 13
            // levels) and far below what overflows a stack in the parser, validation or
            // input coercion, all of which recurse.
            max_nesting: 64,
            max_variable_depth: 32,
            max_depth: 15,
            max_fragment_nesting: 32,
            max_aliases: 50,
            max_directives_per_field: 5,
            max_fields: 1_000,
            max_cost: 30_000,
            max_introspection_lists: 3,
        }
    }
}

/// What an operation would do, as measured before it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    /// How deep the selections nest.
    pub depth: usize,
    /// How many selected fields carry an alias.
    pub aliases: u64,
    /// How many fields are selected, fragments expanded.
    pub fields: u64,
    /// How many objects the answer could hold (see the module's cost rule).
    pub cost: u64,
    /// The most directives on one field, inline fragment or fragment spread.
    pub directives_per_field: usize,
    /// The longest chain of fragments spread inside one another.
    pub fragment_nesting: usize,
    /// How many of introspection's lists nest inside one another at most
    /// (`types { fields { args } }` is 3).
    pub introspection_lists: usize,
}

impl Measure {
    fn and(self, other: Measure) -> Measure {
        Measure {
            depth: self.depth.max(other.depth),
            aliases: self.aliases.saturating_add(other.aliases),
            fields: self.fields.saturating_add(other.fields),
            cost: self.cost.saturating_add(other.cost),
            directives_per_field: self.directives_per_field.max(other.directives_per_field),
            fragment_nesting: self.fragment_nesting.max(other.fragment_nesting),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
        }
    }
}

/// Why a request was refused before it ran: a limit it broke, with the numbers
/// (`QUERY_TOO_COMPLEX`), or input that is not acceptable at all, such as a syntax
/// error or a NUL character (`BAD_USER_INPUT`), with a sentence and a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The limit broken, or the kind of bad input (`syntax`, `text`, `variables`);
    /// also the label of the refusal in the metrics.
    pub limit: &'static str,
    /// The limit's value (0 for bad input).
    pub max: u64,
    /// What the request measured (0 for bad input).
    pub actual: u64,
    bad_input: Option<BadInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct BadInput {
    message: String,
    at: Option<Pos>,
}

impl Refusal {
    /// A refusal for breaking `limit`: `max` allowed, `actual` measured.
    pub fn over_limit(limit: &'static str, max: u64, actual: u64) -> Refusal {
        Refusal {
            limit,
            max,
            actual,
            bad_input: None,
        }
    }

    /// Input refused for what it is rather than for its size.
    pub fn bad_input(kind: &'static str, message: impl Into<String>, at: Option<Pos>) -> Refusal {
        Refusal {
            limit: kind,
            max: 0,
            actual: 0,
            bad_input: Some(BadInput {
                message: message.into(),
                at,
            }),
        }
    }

    /// `BAD_USER_INPUT` for bad input, `QUERY_TOO_COMPLEX` for a limit broken.
    pub fn code(&self) -> Code {
        if self.bad_input.is_some() {
            Code::BadUserInput
        } else {
            Code::QueryTooComplex
        }
    }

    /// The sentence the client is sent: for a limit broken, which one and the numbers.
    pub fn message(&self) -> String {
        if let Some(bad) = &self.bad_input {
            return bad.message.clone();
        }
        let what = match self.limit {
            "length" => "The document is {actual} characters long; the limit is {max}.",
            "nesting" => "The document nests brackets or selections {actual} levels deep; the limit is {max}.",
            "depth" => "The operation nests {actual} levels deep; the limit is {max}.",
            "fragments" => "Fragments are spread inside one another {actual} levels deep; the limit is {max}.",
            "aliases" => "The operation uses {actual} aliases; the limit is {max}.",
            "directives" => "A field carries {actual} directives; the limit is {max}.",
            "fields" => "The operation selects {actual} fields once fragments are expanded; the limit is {max}.",
            "introspection" => "The operation nests {actual} introspection lists inside one another; the limit is {max}.",
            _ => "The operation could return about {actual} objects (its cost); the limit is {max}.",
        };
        what.replace("{actual}", &self.actual.to_string())
            .replace("{max}", &self.max.to_string())
    }

    /// The refusal as one GraphQL error: the limit and its numbers in the extensions,
    /// or the position of bad input in `locations`.
    pub fn to_error(&self) -> serde_json::Value {
        match &self.bad_input {
            Some(bad) => {
                let mut error = json!({
                    "message": bad.message,
                    "extensions": { "code": self.code().as_str() },
                });
                if let Some(at) = bad.at {
                    error["locations"] = json!([{ "line": at.line, "column": at.column }]);
                }
                error
            }
            None => json!({
                "message": self.message(),
                "extensions": {
                    "code": self.code().as_str(),
                    "limit": self.limit,
                    "max": self.max,
                    "actual": self.actual,
                }
            }),
        }
    }
}

/// The document's length, checked before it is even parsed.
pub fn check_length(limits: &Limits, query: &str) -> Result<(), Refusal> {
    let length = query.chars().count();
    if length > limits.max_length {
        return Err(Refusal::over_limit(
            "length",
            limits.max_length as u64,
            length as u64,
        ));
    }
    Ok(())
}

/// Measures the operation the request selects and checks it against the limits.
/// An operation that cannot be chosen is left for the executor to report.
pub fn check(
    limits: &Limits,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Result<Option<Measure>, Refusal> {
    let Some(operation) = choose(document, operation_name) else {
        return Ok(None);
    };
    let mut walk = Walk {
        document,
        operation,
        variables,
        limit_depth: limits.max_depth,
        limit_fragment_nesting: limits.max_fragment_nesting,
        fragments: HashMap::new(),
        in_progress: HashSet::new(),
    };
    let measure = walk.selection_set(&operation.selection_set.node, 0, 0, Scope::default());
    let checks = [
        ("depth", limits.max_depth as u64, measure.depth as u64),
        (
            "fragments",
            limits.max_fragment_nesting as u64,
            measure.fragment_nesting as u64,
        ),
        (
            "directives",
            limits.max_directives_per_field as u64,
            measure.directives_per_field as u64,
        ),
        ("aliases", limits.max_aliases, measure.aliases),
        ("fields", limits.max_fields, measure.fields),
        (
            "introspection",
            limits.max_introspection_lists as u64,
            measure.introspection_lists as u64,
        ),
        ("cost", limits.max_cost, measure.cost),
    ];
    for (limit, max, actual) in checks {
        if actual > max {
            return Err(Refusal::over_limit(limit, max, actual));
        }
    }
    Ok(Some(measure))
}

fn choose<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// The deepest a type reference of this schema wraps (`[T!]!`: non-null, list,
/// non-null, then the named type); `ofType` below that is null.
const MAX_TYPE_WRAPPING: u8 = 3;

/// How many items an introspection list typically holds in this schema, rounded up:
/// every type for `types`, and per type the average over all of them (most types have
/// only one kind of list: fields, input fields, enum values or possible types). A unit
/// test checks these against the served schema. Lists multiply their children as
/// connections do, so introspection nested inside itself costs what it would return.
pub fn introspection_multiplier(field: &str) -> u64 {
    match field {
        "types" => 140,
        "directives" => 8,
        "fields" => 3,
        "args" | "inputFields" | "enumValues" | "interfaces" | "possibleTypes" => 1,
        _ => 1,
    }
}

/// Whether an introspection field is a list (of types, fields, arguments, values).
fn is_introspection_list(field: &str) -> bool {
    matches!(
        field,
        "types"
            | "directives"
            | "fields"
            | "args"
            | "inputFields"
            | "enumValues"
            | "interfaces"
            | "possibleTypes"
    )
}

/// Where in the operation a selection sits, as far as cost is concerned: inside
/// introspection, and how many `ofType` levels down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Scope {
    introspection: bool,
    wrapping: u8,
}

impl Scope {
    fn enter(self, field: &str) -> Scope {
        match field {
            "__schema" | "__type" => Scope {
                introspection: true,
                wrapping: 0,
            },
            "ofType" if self.introspection => Scope {
                wrapping: self.wrapping.saturating_add(1),
                ..self
            },
            _ => self,
        }
    }
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    /// Deeper than this is refused anyway, so the walk need not go further (which also
    /// bounds recursion on pathological nesting).
    limit_depth: usize,
    /// Likewise for fragments spread inside fragments.
    limit_fragment_nesting: usize,
    /// Each fragment's measure, per scope it was spread in (the scope changes its cost).
    fragments: HashMap<(Name, Scope), Measure>,
    in_progress: HashSet<Name>,
}

impl Walk<'_> {
    /// `level` counts fields down from where the measure is relative to (the operation,
    /// or a fragment's definition); `spreads` counts fragments entered from the
    /// operation, to bound the walk itself.
    fn selection_set(
        &mut self,
        set: &SelectionSet,
        level: usize,
        spreads: usize,
        scope: Scope,
    ) -> Measure {
        if level > self.limit_depth {
            return Measure {
                depth: level,
                ..Measure::default()
            };
        }
        let mut total = Measure::default();
        for item in &set.items {
            let measure = match &item.node {
                Selection::Field(field) => self.field(&field.node, level, spreads, scope),
                Selection::InlineFragment(inline) => {
                    let mut m =
                        self.selection_set(&inline.node.selection_set.node, level, spreads, scope);
                    m.directives_per_field =
                        m.directives_per_field.max(inline.node.directives.len());
                    m
                }
                Selection::FragmentSpread(spread) => {
                    let mut m =
                        self.fragment(&spread.node.fragment_name.node, level, spreads, scope);
                    m.directives_per_field =
                        m.directives_per_field.max(spread.node.directives.len());
                    m
                }
            };
            total = total.and(measure);
        }
        total
    }

    /// A fragment's measure relative to where it is spread. Memoised by name and scope
    /// with the depth it was measured at, so each fragment is walked once per scope;
    /// depth is then shifted by the spread's level.
    fn fragment(&mut self, name: &Name, level: usize, spreads: usize, scope: Scope) -> Measure {
        let shifted = |relative: Measure| {
            let mut m = relative;
            if m.depth > 0 {
                m.depth = m.depth.saturating_add(level);
            }
            m.fragment_nesting = m.fragment_nesting.saturating_add(1);
            m
        };
        let key = (name.clone(), scope);
        if let Some(known) = self.fragments.get(&key) {
            return shifted(*known);
        }
        if spreads >= self.limit_fragment_nesting {
            // Refused anyway: say so without walking further down the chain.
            return Measure {
                fragment_nesting: self.limit_fragment_nesting.saturating_add(1),
                ..Measure::default()
            };
        }
        // A cycle is a validation error that the executor reports; measure it as empty.
        if !self.in_progress.insert(name.clone()) {
            return Measure::default();
        }
        let Some(definition) = self.document.fragments.get(name) else {
            self.in_progress.remove(name);
            return Measure::default();
        };
        let relative =
            self.selection_set(&definition.node.selection_set.node, 0, spreads + 1, scope);
        self.in_progress.remove(name);
        self.fragments.insert(key, relative);
        shifted(relative)
    }

    fn field(&mut self, field: &Field, level: usize, spreads: usize, scope: Scope) -> Measure {
        let name = field.name.node.as_str();
        let inner = scope.enter(name);
        let children = self.selection_set(&field.selection_set.node, level + 1, spreads, inner);
        let multiplier = if inner.wrapping > MAX_TYPE_WRAPPING {
            // Null in every answer: the field costs 1, what it selects nothing.
            0
        } else if scope.introspection {
            introspection_multiplier(name)
        } else {
            self.multiplier(field)
        };
        Measure {
            depth: children.depth.max(level + 1),
            aliases: children
                .aliases
                .saturating_add(u64::from(field.alias.is_some())),
            fields: children.fields.saturating_add(1),
            cost: children.cost.saturating_mul(multiplier).saturating_add(1),
            directives_per_field: children.directives_per_field.max(field.directives.len()),
            fragment_nesting: children.fragment_nesting,
            introspection_lists: children.introspection_lists
                + usize::from(scope.introspection && is_introspection_list(name)),
        }
    }

    /// How many times a field's children can repeat. A page larger than a connection
    /// serves is refused (`BAD_USER_INPUT`) without running what it selects, so page
    /// sizes count up to that largest page; so do the ids of `nodes(ids:)`, which
    /// takes as many.
    fn multiplier(&self, field: &Field) -> u64 {
        for name in ["first", "last"] {
            if let Some(argument) = field.get_argument(name) {
                if let Some(n) = self.number(&argument.node) {
                    return n.min(MAX_PAGE_SIZE);
                }
                return DEFAULT_PAGE_SIZE;
            }
        }
        if let Some(ids) = field.get_argument("ids") {
            if let Some(ConstValue::List(items)) = self.resolve(&ids.node) {
                return (items.len() as u64).min(MAX_PAGE_SIZE);
            }
        }
        if self.selects_page(&field.selection_set.node) {
            DEFAULT_PAGE_SIZE
        } else {
            1
        }
    }

    /// Whether a selection selects `edges` or `nodes`, directly or through fragments
    /// (inline or named, however deeply they spread one another).
    fn selects_page(&self, set: &SelectionSet) -> bool {
        let mut pending = vec![set];
        let mut seen: HashSet<&Name> = HashSet::new();
        while let Some(set) = pending.pop() {
            for item in &set.items {
                match &item.node {
                    Selection::Field(f) => {
                        if matches!(f.node.name.node.as_str(), "edges" | "nodes") {
                            return true;
                        }
                    }
                    Selection::InlineFragment(inline) => {
                        pending.push(&inline.node.selection_set.node);
                    }
                    Selection::FragmentSpread(spread) => {
                        let name = &spread.node.fragment_name.node;
                        if seen.insert(name) {
                            if let Some(definition) = self.document.fragments.get(name) {
                                pending.push(&definition.node.selection_set.node);
                            }
                        }
                    }
                }
            }
        }
        false
    }

    /// An argument's value, with variables (or their defaults) substituted.
    fn resolve(&self, value: &Value) -> Option<ConstValue> {
        match value {
            Value::Variable(name) => self
                .variables
                .get(name)
                .cloned()
                .or_else(|| self.default_of(name)),
            other => other.clone().into_const(),
        }
    }

    fn default_of(&self, name: &Name) -> Option<ConstValue> {
        self.operation
            .variable_definitions
            .iter()
            .find(|d| &d.node.name.node == name)
            .and_then(|d| d.node.default_value.as_ref())
            .map(|v| v.node.clone())
    }

    fn number(&self, value: &Value) -> Option<u64> {
        match self.resolve(value)? {
            // Negative: refused, nothing runs. Too large for an integer: the largest page.
            ConstValue::Number(n) => n
                .as_u64()
                .or_else(|| n.as_f64().map(|f| if f > 0.0 { MAX_PAGE_SIZE } else { 0 })),
            _ => None,
        }
    }
}

/// What a response actually held, on the same scale as the requested cost: each field
/// resolved counts 1, so a connection counts the items it really returned. Walked with
/// a stack of its own rather than by recursion.
pub fn actual_cost(data: &ConstValue) -> u64 {
    let mut total: u64 = 0;
    let mut pending = vec![data];
    while let Some(value) = pending.pop() {
        match value {
            ConstValue::Object(fields) => {
                total = total.saturating_add(fields.len() as u64);
                pending.extend(fields.values());
            }
            ConstValue::List(items) => pending.extend(items.iter()),
            _ => {}
        }
    }
    total
}

/// The `extensions.cost` of a response, as GitHub and Shopify report theirs: the cost
/// requested (what limits are checked against), and the actual cost where it differs.
pub fn cost_extension(limits: &Limits, measure: &Measure, actual: u64) -> ConstValue {
    let mut cost = async_graphql::indexmap::IndexMap::new();
    cost.insert(Name::new("requested"), ConstValue::from(measure.cost));
    if actual != measure.cost {
        cost.insert(Name::new("actual"), ConstValue::from(actual));
    }
    cost.insert(Name::new("limit"), ConstValue::from(limits.max_cost));
    ConstValue::Object(cost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn measure(query: &str) -> Result<Option<Measure>, Refusal> {
        check(
            &Limits::default(),
            &parse_query(query).unwrap(),
            None,
            &Variables::default(),
        )
    }

    #[test]
    fn connections_multiply_the_cost_of_their_children() {
        let m = measure("{ fellows(first: 10) { nodes { handle contributions(first: 5) { nodes { title } } } } }")
            .unwrap()
            .unwrap();
        // fellows: 1 + 10 * (nodes: 1 + handle 1 + contributions (1 + 5 * (nodes 1 + title 1)))
        assert_eq!(m.cost, 1 + 10 * (1 + 1 + (1 + 5 * (1 + 1))));
        assert_eq!(m.depth, 5);
    }

    #[test]
    fn a_fragment_bomb_is_measured_quickly_and_refused() {
        let mut query = String::from("query { fellows { ...F0 } }\n");
        for i in 0..22 {
            query.push_str(&format!(
                "fragment F{i} on FellowConnection {{ ...F{} ...F{} }}\n",
                i + 1,
                i + 1
            ));
        }
        query.push_str("fragment F22 on FellowConnection { totalCount }\n");
        let refusal = measure(&query).unwrap_err();
        assert_eq!(refusal.limit, "fields");
        assert!(refusal.actual >= 1 << 22);
    }

    /// One selection, three ways: inline, through named fragments, through inline
    /// fragments.
    const INLINE: &str =
        "{ fellows { edges { node { handle contributions { nodes { title } } } } } }";
    const NAMED: &str = "{ fellows { ...Page } }
        fragment Page on FellowConnection { edges { ...Edge } }
        fragment Edge on FellowEdge { node { ...Fellow } }
        fragment Fellow on Fellow { handle contributions { ...Contributions } }
        fragment Contributions on ContributionConnection { nodes { title } }";
    const INLINE_FRAGMENTS: &str = "{ fellows { ... on FellowConnection { edges { node { handle
        contributions { ... { ... on ContributionConnection { nodes { title } } } } } } } } }";

    #[test]
    fn cost_is_the_same_inline_in_named_fragments_and_in_inline_fragments() {
        let inline = measure(INLINE).unwrap().unwrap();
        // fellows: 1 + 20 * (edges 1 + node (1 + handle 1 + contributions (1 + 20 * (nodes 1 + title 1))))
        assert_eq!(inline.cost, 1 + 20 * (1 + (1 + 1 + (1 + 20 * (1 + 1)))));
        for other in [NAMED, INLINE_FRAGMENTS] {
            let m = measure(other).unwrap().unwrap();
            assert_eq!(
                (m.cost, m.fields, m.depth),
                (inline.cost, inline.fields, inline.depth),
                "{other}"
            );
        }
    }

    #[test]
    fn a_page_is_found_behind_fragments_that_spread_one_another() {
        let chained = measure(
            "{ fellows { ...A } } fragment A on FellowConnection { ...B }
             fragment B on FellowConnection { ... { nodes { handle } } }",
        )
        .unwrap()
        .unwrap();
        let inline = measure("{ fellows { nodes { handle } } }")
            .unwrap()
            .unwrap();
        assert_eq!(chained.cost, inline.cost);
    }

    #[test]
    fn page_sizes_beyond_the_largest_page_count_as_the_largest_page() {
        // Such a page is refused as bad input when it runs; it must not read as too complex.
        for first in ["101", "2147483648", "99999999999999999999"] {
            let m = measure(&format!(
                "{{ fellows(first: {first}) {{ nodes {{ handle }} }} }}"
            ));
            let largest = measure("{ fellows(first: 100) { nodes { handle } } }")
                .unwrap()
                .unwrap();
            match m {
                Ok(Some(m)) => assert_eq!(m.cost, largest.cost, "{first}"),
                Ok(None) | Err(_) => panic!("`first: {first}` was refused before it ran: {m:?}"),
            }
        }
    }

    #[test]
    fn fragments_spread_too_deep_are_refused_however_they_are_ordered() {
        let chain = |n: usize, order: &mut dyn Iterator<Item = usize>| {
            let mut query = String::from("{ ");
            for i in order {
                query.push_str(&format!("...F{i} "));
            }
            query.push('}');
            for i in 0..n {
                query.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
            }
            query.push_str(&format!(" fragment F{n} on Query {{ __typename }}"));
            query
        };
        let limit = Limits::default().max_fragment_nesting;
        assert!(measure(&chain(limit - 1, &mut std::iter::once(0))).is_ok());
        let deep = chain(300, &mut std::iter::once(0));
        assert_eq!(measure(&deep).unwrap_err().limit, "fragments");
        // Spread from the bottom up, each fragment is found already measured.
        let upward = chain(300, &mut (0..=300).rev());
        assert_eq!(measure(&upward).unwrap_err().limit, "fragments");
    }

    const INTROSPECTION: &str = include_str!("../../../tests/fixtures/introspection-query.graphql");

    #[test]
    fn the_standard_introspection_query_fits_the_cost_with_room_to_grow() {
        let m = measure(INTROSPECTION).unwrap().unwrap();
        assert!(m.cost > 5_000, "introspection is not free: {}", m.cost);
        assert!(m.cost < Limits::default().max_cost * 9 / 10, "{}", m.cost);
    }

    #[test]
    fn introspection_nested_in_itself_is_refused_for_its_cost() {
        let mut inner = String::from("name");
        for _ in 0..4 {
            inner = format!("fields {{ type {{ ofType {{ {inner} }} }} }}");
        }
        let aliased = format!(
            "{{ {} }}",
            (0..20)
                .map(|i| format!(
                    "a{i}: __schema {{ types {{ fields {{ type {{ fields {{ name }} }} }} }} }}"
                ))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(measure(&aliased).unwrap_err().limit, "cost", "{aliased}");
        // Lists inside lists inside lists: refused however cheap each list looks on
        // average (this one answered 8 MB and grew the server by 700 MB).
        for query in [
            format!("{{ __schema {{ types {{ {inner} }} }} }}"),
            "{ __schema { types { possibleTypes { interfaces { possibleTypes { interfaces { possibleTypes { name } } } } } } } }".to_owned(),
            "{ __type(name: \"Query\") { fields { type { fields { type { fields { type { fields { name } } } } } } } } }".to_owned(),
        ] {
            assert_eq!(measure(&query).unwrap_err().limit, "introspection", "{query}");
        }
        // The same fields written through a fragment cost the same.
        let via_fragment =
            "{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...T2 } } }
            fragment T2 on __Type { fields { name } }";
        let inline = "{ __schema { types { fields { type { fields { name } } } } } }";
        assert_eq!(
            measure(via_fragment).unwrap().unwrap().cost,
            measure(inline).unwrap().unwrap().cost
        );
    }

    #[test]
    fn introspection_multipliers_match_the_served_schema() {
        let schema = crate::graphql::schema_builder().finish();
        let response = futures::executor::block_on(schema.execute(
            "{ __schema { types { fields { args { name } } inputFields { name } enumValues { name } possibleTypes { name } interfaces { name } } directives { name } } }",
        ));
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json().unwrap();
        let types = data["__schema"]["types"].as_array().unwrap();
        let count = |list: &str| -> usize {
            types
                .iter()
                .map(|t| t[list].as_array().map_or(0, Vec::len))
                .sum()
        };
        let per_type = |list: &str| count(list).div_ceil(types.len()) as u64;
        assert!(
            types.len() as u64 <= introspection_multiplier("types"),
            "{} types",
            types.len()
        );
        assert!(
            types.len() as u64 >= introspection_multiplier("types") / 2,
            "{} types",
            types.len()
        );
        for list in [
            "fields",
            "inputFields",
            "enumValues",
            "possibleTypes",
            "interfaces",
        ] {
            assert!(
                per_type(list) <= introspection_multiplier(list),
                "{list}: {}",
                per_type(list)
            );
        }
        let fields: Vec<&serde_json::Value> = types
            .iter()
            .filter_map(|t| t["fields"].as_array())
            .flatten()
            .collect();
        let args: usize = fields
            .iter()
            .map(|f| f["args"].as_array().map_or(0, Vec::len))
            .sum();
        assert!(args.div_ceil(fields.len()) as u64 <= introspection_multiplier("args"));
        assert!(
            data["__schema"]["directives"].as_array().unwrap().len() as u64
                <= introspection_multiplier("directives")
        );
        // No type reference wraps deeper than `[T!]!`, so `ofType` below that is null.
        assert!(!crate::graphql::sdl().contains("[["));
    }

    #[test]
    fn actual_cost_counts_every_field_of_the_response() {
        let data = ConstValue::from_json(serde_json::json!({
            "fellows": { "nodes": [{ "handle": "a" }, { "handle": "b" }], "totalCount": 2 }
        }))
        .unwrap();
        // fellows, nodes, totalCount, two handles
        assert_eq!(actual_cost(&data), 5);
    }

    #[test]
    fn cycles_do_not_loop() {
        assert!(measure("{ fellows { ...A } } fragment A on FellowConnection { ...B } fragment B on FellowConnection { ...A }").is_ok());
    }
}
