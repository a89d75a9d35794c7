//! Query limits, checked before anything runs: a document that is too long, too deep,
//! too wide or too costly is refused with `QUERY_TOO_COMPLEX` and a message that names
//! the limit and the numbers.
//!
//! One pass over the chosen operation expands fragments with memoisation: each fragment
//! is measured once and its numbers reused at every spread, so a "fragment bomb" whose
//! fragments spread each other twice, many levels down, is measured in linear time and
//! refused for what it would expand to. Arithmetic saturates instead of overflowing.
//!
//! Cost estimates the objects a response can hold: a field costs 1, plus its children
//! times the page size of a connection (`first`/`last`, or the default 20 when a field
//! selects `edges` or `nodes` without them) or the number of `ids` of `nodes(ids:)`.
//! The standard introspection query (what GraphiQL and code generators send) fits
//! every limit.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Value as ConstValue, Variables};
use async_graphql_value::Value;

use crate::service::page::DEFAULT_PAGE_SIZE;

/// The limits every operation must fit.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_length: usize,
    pub max_depth: usize,
    pub max_aliases: u64,
    pub max_directives_per_field: usize,
    pub max_fields: u64,
    pub max_cost: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_length: 15_000,
            max_depth: 15,
            max_aliases: 50,
            max_directives_per_field: 5,
            max_fields: 1_000,
            max_cost: 25_000,
        }
    }
}

/// What an operation would do, as measured before it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    pub depth: usize,
    pub aliases: u64,
    pub fields: u64,
    pub cost: u64,
    pub directives_per_field: usize,
}

impl Measure {
    fn and(self, other: Measure) -> Measure {
        Measure {
            depth: self.depth.max(other.depth),
            aliases: self.aliases.saturating_add(other.aliases),
            fields: self.fields.saturating_add(other.fields),
            cost: self.cost.saturating_add(other.cost),
            directives_per_field: self.directives_per_field.max(other.directives_per_field),
        }
    }
}

/// Which limit an operation broke, with the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub limit: &'static str,
    pub max: u64,
    pub actual: u64,
}

impl Refusal {
    pub fn message(&self) -> String {
        let what = match self.limit {
            "length" => "The document is {actual} characters long; the limit is {max}.",
            "depth" => "The operation nests {actual} levels deep; the limit is {max}.",
            "aliases" => "The operation uses {actual} aliases; the limit is {max}.",
            "directives" => "A field carries {actual} directives; the limit is {max}.",
            "fields" => "The operation selects {actual} fields once fragments are expanded; the limit is {max}.",
            _ => "The operation could return about {actual} objects (its cost); the limit is {max}.",
        };
        what.replace("{actual}", &self.actual.to_string())
            .replace("{max}", &self.max.to_string())
    }
}

/// The document's length, checked before it is even parsed.
pub fn check_length(limits: &Limits, query: &str) -> Result<(), Refusal> {
    let length = query.chars().count();
    if length > limits.max_length {
        return Err(Refusal {
            limit: "length",
            max: limits.max_length as u64,
            actual: length as u64,
        });
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
        fragments: HashMap::new(),
        in_progress: HashSet::new(),
    };
    let measure = walk.selection_set(&operation.selection_set.node, 0);
    let checks = [
        ("depth", limits.max_depth as u64, measure.depth as u64),
        (
            "directives",
            limits.max_directives_per_field as u64,
            measure.directives_per_field as u64,
        ),
        ("aliases", limits.max_aliases, measure.aliases),
        ("fields", limits.max_fields, measure.fields),
        ("cost", limits.max_cost, measure.cost),
    ];
    for (limit, max, actual) in checks {
        if actual > max {
            return Err(Refusal { limit, max, actual });
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

struct Walk<'a> {
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    /// Deeper than this is refused anyway, so the walk need not go further (which also
    /// bounds recursion on pathological nesting).
    limit_depth: usize,
    fragments: HashMap<Name, Measure>,
    in_progress: HashSet<Name>,
}

impl Walk<'_> {
    fn selection_set(&mut self, set: &SelectionSet, level: usize) -> Measure {
        if level > self.limit_depth {
            return Measure {
                depth: level,
                ..Measure::default()
            };
        }
        let mut total = Measure::default();
        for item in &set.items {
            let measure = match &item.node {
                Selection::Field(field) => self.field(&field.node, level),
                Selection::InlineFragment(inline) => {
                    let mut m = self.selection_set(&inline.node.selection_set.node, level);
                    m.directives_per_field =
                        m.directives_per_field.max(inline.node.directives.len());
                    m
                }
                Selection::FragmentSpread(spread) => {
                    let mut m = self.fragment(&spread.node.fragment_name.node, level);
                    m.directives_per_field =
                        m.directives_per_field.max(spread.node.directives.len());
                    m
                }
            };
            total = total.and(measure);
        }
        total
    }

    /// A fragment's measure relative to where it is spread. Memoised by name with the
    /// depth it was measured at, so each fragment is walked once; depth is then
    /// shifted by the spread's level.
    fn fragment(&mut self, name: &Name, level: usize) -> Measure {
        if let Some(known) = self.fragments.get(name) {
            let mut m = *known;
            if m.depth > 0 {
                m.depth = m.depth.saturating_add(level);
            }
            return m;
        }
        // A cycle is a validation error that the executor reports; measure it as empty.
        if !self.in_progress.insert(name.clone()) {
            return Measure::default();
        }
        let Some(definition) = self.document.fragments.get(name) else {
            self.in_progress.remove(name);
            return Measure::default();
        };
        let relative = self.selection_set(&definition.node.selection_set.node, 0);
        self.in_progress.remove(name);
        self.fragments.insert(name.clone(), relative);
        let mut m = relative;
        if m.depth > 0 {
            m.depth = m.depth.saturating_add(level);
        }
        m
    }

    fn field(&mut self, field: &Field, level: usize) -> Measure {
        let children = self.selection_set(&field.selection_set.node, level + 1);
        let multiplier = self.multiplier(field);
        Measure {
            depth: children.depth.max(level + 1),
            aliases: children
                .aliases
                .saturating_add(u64::from(field.alias.is_some())),
            fields: children.fields.saturating_add(1),
            cost: children.cost.saturating_mul(multiplier).saturating_add(1),
            directives_per_field: children.directives_per_field.max(field.directives.len()),
        }
    }

    /// How many times a field's children can repeat.
    fn multiplier(&self, field: &Field) -> u64 {
        for name in ["first", "last"] {
            if let Some(argument) = field.get_argument(name) {
                if let Some(n) = self.number(&argument.node) {
                    return n;
                }
                return DEFAULT_PAGE_SIZE;
            }
        }
        if let Some(ids) = field.get_argument("ids") {
            if let Some(ConstValue::List(items)) = self.resolve(&ids.node) {
                return items.len() as u64;
            }
        }
        let paged = field.selection_set.node.items.iter().any(|item| {
            matches!(&item.node, Selection::Field(f) if matches!(f.node.name.node.as_str(), "edges" | "nodes"))
        });
        if paged {
            DEFAULT_PAGE_SIZE
        } else {
            1
        }
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
            ConstValue::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|_| 0)),
            _ => None,
        }
    }
}

/// What a response actually held, on the same scale as the requested cost: each field
/// resolved counts 1, so a connection counts the items it really returned.
pub fn actual_cost(data: &ConstValue) -> u64 {
    match data {
        ConstValue::Object(fields) => fields
            .values()
            .map(|value| actual_cost(value).saturating_add(1))
            .fold(0, u64::saturating_add),
        ConstValue::List(items) => items.iter().map(actual_cost).fold(0, u64::saturating_add),
        _ => 0,
    }
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

    #[test]
    fn cycles_do_not_loop() {
        assert!(measure("{ fellows { ...A } } fragment A on FellowConnection { ...B } fragment B on FellowConnection { ...A }").is_ok());
    }
}
