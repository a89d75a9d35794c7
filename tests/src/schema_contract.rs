//! The schema contract: what a release of the API promises the next one.
//!
//! `docs/schema/released.graphql` is the schema of the last release; `schema.graphql`
//! is the one about to ship. Every difference between them that can break a client
//! that works today (graphql-inspector's "breaking" list: a type, field, argument,
//! input field, enum value, union member, implemented interface or directive removed;
//! a type's kind changed; a field, argument or input field retyped incompatibly; a new
//! argument or input field that callers must pass) is refused unless
//! `docs/api-changelog.md` announces it in its planned changes, with the coordinate
//! and the kind of change, the date it was deprecated and the date it goes, at least
//! [`MINIMUM_NOTICE_DAYS`] later; a removal of a name that can carry `@deprecated`
//! (a field, an argument, an input field, an enum value) also needs the released schema
//! to mark it deprecated, so that clients saw the warning in the schema they use; and
//! the change is accepted only on or after its removal date (UTC). Conversely, every
//! name that `schema.graphql` marks `@deprecated` must be in the changelog, so that
//! clients always know when it goes; a name whose removal date has passed may stay.
//!
//! "Dangerous" changes (a new enum value, a new optional argument or input field, a
//! changed default, a new union member or interface) break nobody's request but may
//! surprise a client's exhaustive `switch`: they are reported, never refused.
//!
//! Both schemas are read with async-graphql's own SDL parser. The walks over them are
//! loops over the parsed definitions (a type's wrapping, `[[String!]]!`, is unwrapped
//! by a loop too): nothing here recurses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use async_graphql::parser::types::{
    BaseType, ConstDirective, DirectiveDefinition, DirectiveLocation, FieldDefinition,
    InputValueDefinition, Type, TypeDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{parse_schema, Positioned};
use async_graphql::Name;
use chrono::{Days, NaiveDate};

/// The least time between a deprecation and the removal it announces.
pub const MINIMUM_NOTICE_DAYS: u64 = 90;

/// The schema of the last release, relative to the repository root.
pub const RELEASED_SCHEMA: &str = "docs/schema/released.graphql";

/// The schema about to ship (the one the server prints), relative to the repository root.
pub const CURRENT_SCHEMA: &str = "schema.graphql";

/// The API changelog with its planned breaking changes, relative to the repository root.
pub const CHANGELOG: &str = "docs/api-changelog.md";

/// The heading of the changelog's machine-read section.
pub const PLANNED_HEADING: &str = "## Planned breaking changes";

/// The columns of the planned changes' table, in order.
pub const PLANNED_COLUMNS: [&str; 5] = [
    "coordinate",
    "change",
    "deprecated",
    "removal",
    "replacement",
];

/// The root of this repository (the tests crate sits one level below it).
pub fn repository_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// What kind of schema element a change concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// A named type (`Fellow`).
    Type,
    /// A field of an object or interface (`Fellow.name`).
    Field,
    /// An argument of a field (`Query.fellow(handle:)`).
    Argument,
    /// A field of an input object (`SubmitNominationInput.rationale`).
    InputField,
    /// A value of an enum (`NominationStatus.WITHDRAWN`).
    EnumValue,
    /// A member of a union (`SearchResult includes Fellow`).
    UnionMember,
    /// An interface an object or interface implements (`Fellow implements Node`).
    Interface,
    /// A directive definition (`@include`).
    Directive,
    /// An argument of a directive (`@include(if:)`).
    DirectiveArgument,
    /// A place a directive may be used (`@include on FIELD`).
    DirectiveLocation,
    /// The root type of an operation (`schema.mutation`).
    SchemaRoot,
}

impl Element {
    /// Whether SDL lets this element carry `@deprecated`: only those can be deprecated
    /// in the schema before they are removed.
    pub fn can_be_deprecated(self) -> bool {
        matches!(
            self,
            Element::Field | Element::Argument | Element::InputField | Element::EnumValue
        )
    }

    fn noun(self) -> &'static str {
        match self {
            Element::Type => "type",
            Element::Field => "field",
            Element::Argument => "argument",
            Element::InputField => "input field",
            Element::EnumValue => "enum value",
            Element::UnionMember => "union member",
            Element::Interface => "implemented interface",
            Element::Directive => "directive",
            Element::DirectiveArgument => "directive argument",
            Element::DirectiveLocation => "directive location",
            Element::SchemaRoot => "operation root",
        }
    }
}

/// What happened to an element between two schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// It is gone.
    Removed,
    /// Its type (or a type's kind) changed in a way some caller notices.
    Retyped,
    /// It is new, and callers must now pass it.
    Required,
    /// It is new and optional, or a new possible value: not breaking.
    Added,
    /// Its default value changed: not breaking.
    DefaultChanged,
}

impl ChangeKind {
    /// The word the changelog uses for this kind (`removed`, `retyped`, `required`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Removed => "removed",
            ChangeKind::Retyped => "retyped",
            ChangeKind::Required => "required",
            ChangeKind::Added => "added",
            ChangeKind::DefaultChanged => "default changed",
        }
    }

    /// The kinds a changelog entry may announce: the breaking ones.
    fn from_changelog(word: &str) -> Option<ChangeKind> {
        match word {
            "removed" => Some(ChangeKind::Removed),
            "retyped" => Some(ChangeKind::Retyped),
            "required" => Some(ChangeKind::Required),
            _ => None,
        }
    }
}

/// Whether a change can break a client that works today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Some valid request of today fails or reads data it cannot handle.
    Breaking,
    /// No request breaks, but a client may meet a value it did not expect.
    Dangerous,
}

/// One difference between the released schema and the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The schema coordinate of the element (`Type.field(arg:)`, `Enum.VALUE`, ...).
    pub coordinate: String,
    /// What kind of element it is.
    pub element: Element,
    /// What happened to it.
    pub kind: ChangeKind,
    /// Breaking or dangerous.
    pub severity: Severity,
    /// The difference in a few words, for people (`String! became String`).
    pub detail: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: {} {} ({})",
            self.coordinate,
            self.element.noun(),
            self.kind.as_str(),
            self.detail
        )
    }
}

/// What the schema says of one deprecatable or named element.
#[derive(Debug, Clone, Copy)]
struct Known {
    element: Element,
    deprecated: bool,
}

/// A schema read from SDL, indexed by name.
#[derive(Debug, Clone)]
pub struct Schema {
    types: BTreeMap<String, TypeDefinition>,
    directives: BTreeMap<String, DirectiveDefinition>,
    /// `query`, `mutation`, `subscription` to the root type's name.
    roots: BTreeMap<&'static str, String>,
    /// Every type, field, argument, input field and enum value, by coordinate.
    known: BTreeMap<String, Known>,
}

impl Schema {
    /// Parses SDL with async-graphql's parser. Type extensions (`extend type`) are
    /// refused: the server prints none, and a schema split across them would need
    /// merging before it could be compared.
    pub fn parse(sdl: &str) -> Result<Schema, String> {
        let document = parse_schema(sdl).map_err(|e| e.to_string())?;
        let mut types = BTreeMap::new();
        let mut directives = BTreeMap::new();
        let mut roots = BTreeMap::new();
        let mut explicit_roots = false;
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if schema.extend {
                        return Err("`extend schema` is not supported".to_owned());
                    }
                    explicit_roots = true;
                    for (operation, root) in [
                        ("query", schema.query),
                        ("mutation", schema.mutation),
                        ("subscription", schema.subscription),
                    ] {
                        if let Some(root) = root {
                            roots.insert(operation, root.node.to_string());
                        }
                    }
                }
                TypeSystemDefinition::Type(definition) => {
                    let definition = definition.node;
                    let name = definition.name.node.to_string();
                    if definition.extend {
                        return Err(format!("`extend` of `{name}` is not supported"));
                    }
                    if types.insert(name.clone(), definition).is_some() {
                        return Err(format!("type `{name}` is defined twice"));
                    }
                }
                TypeSystemDefinition::Directive(directive) => {
                    let name = directive.node.name.node.to_string();
                    if directives.insert(name.clone(), directive.node).is_some() {
                        return Err(format!("directive `@{name}` is defined twice"));
                    }
                }
            }
        }
        if !explicit_roots {
            // Without a `schema` block, the roots are the types so named (the spec's
            // default).
            for (operation, name) in [
                ("query", "Query"),
                ("mutation", "Mutation"),
                ("subscription", "Subscription"),
            ] {
                if types.contains_key(name) {
                    roots.insert(operation, name.to_owned());
                }
            }
        }
        let known = index(&types, &directives);
        Ok(Schema {
            types,
            directives,
            roots,
            known,
        })
    }

    /// Whether the element at `coordinate` exists in this schema.
    pub fn has(&self, coordinate: &str) -> bool {
        self.known.contains_key(coordinate)
    }

    /// Whether the element at `coordinate` exists and is marked `@deprecated`.
    pub fn is_deprecated(&self, coordinate: &str) -> bool {
        self.known.get(coordinate).is_some_and(|k| k.deprecated)
    }

    /// The coordinates of every element marked `@deprecated`.
    pub fn deprecated(&self) -> impl Iterator<Item = &str> {
        self.known
            .iter()
            .filter(|(_, known)| known.deprecated)
            .map(|(coordinate, _)| coordinate.as_str())
    }
}

fn is_deprecated(directives: &[Positioned<ConstDirective>]) -> bool {
    directives
        .iter()
        .any(|directive| directive.node.name.node == "deprecated")
}

/// Every named element by coordinate, with whether it is deprecated.
fn index(
    types: &BTreeMap<String, TypeDefinition>,
    directives: &BTreeMap<String, DirectiveDefinition>,
) -> BTreeMap<String, Known> {
    let mut known = BTreeMap::new();
    let mut note = |coordinate: String, element: Element, deprecated: bool| {
        known.insert(
            coordinate,
            Known {
                element,
                deprecated,
            },
        );
    };
    for (name, definition) in types {
        note(name.clone(), Element::Type, false);
        let fields = match &definition.kind {
            TypeKind::Object(object) => object.fields.as_slice(),
            TypeKind::Interface(interface) => interface.fields.as_slice(),
            _ => &[],
        };
        for field in fields {
            let field = &field.node;
            for argument in &field.arguments {
                let argument = &argument.node;
                note(
                    format!("{name}.{}({}:)", field.name.node, argument.name.node),
                    Element::Argument,
                    is_deprecated(&argument.directives),
                );
            }
            note(
                format!("{name}.{}", field.name.node),
                Element::Field,
                is_deprecated(&field.directives),
            );
        }
        match &definition.kind {
            TypeKind::Enum(enumeration) => {
                for value in &enumeration.values {
                    note(
                        format!("{name}.{}", value.node.value.node),
                        Element::EnumValue,
                        is_deprecated(&value.node.directives),
                    );
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    note(
                        format!("{name}.{}", field.node.name.node),
                        Element::InputField,
                        is_deprecated(&field.node.directives),
                    );
                }
            }
            TypeKind::Scalar
            | TypeKind::Union(_)
            | TypeKind::Object(_)
            | TypeKind::Interface(_) => {}
        }
    }
    for (name, directive) in directives {
        note(format!("@{name}"), Element::Directive, false);
        for argument in &directive.arguments {
            note(
                format!("@{name}({}:)", argument.node.name.node),
                Element::DirectiveArgument,
                false,
            );
        }
    }
    known
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "object",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input object",
    }
}

/// Whether a field's type may change from `old` to `new` without breaking a reader:
/// the same named type, wrapped in the same lists, where only a nullable level may
/// become non-null (`String` to `String!`), never the reverse.
pub fn output_change_is_safe(old: &Type, new: &Type) -> bool {
    wrapping_is_compatible(old, new, |old_nullable, new_nullable| {
        old_nullable || !new_nullable
    })
}

/// Whether an argument's or input field's type may change from `old` to `new` without
/// breaking a caller: the same named type, wrapped in the same lists, where only a
/// non-null level may become nullable (`String!` to `String`), never the reverse.
pub fn input_change_is_safe(old: &Type, new: &Type) -> bool {
    wrapping_is_compatible(old, new, |old_nullable, new_nullable| {
        !old_nullable || new_nullable
    })
}

/// Walks the two types' wrappings in step, level by level (a loop, not recursion).
fn wrapping_is_compatible(
    old: &Type,
    new: &Type,
    nullability: impl Fn(bool, bool) -> bool,
) -> bool {
    let (mut old, mut new) = (old, new);
    loop {
        if !nullability(old.nullable, new.nullable) {
            return false;
        }
        match (&old.base, &new.base) {
            (BaseType::Named(a), BaseType::Named(b)) => return a == b,
            (BaseType::List(a), BaseType::List(b)) => {
                old = a.as_ref();
                new = b.as_ref();
            }
            _ => return false,
        }
    }
}

/// Whether a new argument or input field must be passed: non-null, without a default.
fn is_required(value: &InputValueDefinition) -> bool {
    !value.ty.node.nullable && value.default_value.is_none()
}

fn location_name(location: DirectiveLocation) -> String {
    // `FieldDefinition` to `FIELD_DEFINITION`, as SDL spells it.
    let debug = format!("{location:?}");
    let mut spelled = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            spelled.push('_');
        }
        spelled.push(c.to_ascii_uppercase());
    }
    spelled
}

/// Collects changes as the comparison finds them.
#[derive(Default)]
struct Diff {
    changes: Vec<Change>,
}

impl Diff {
    fn push(
        &mut self,
        coordinate: String,
        element: Element,
        kind: ChangeKind,
        severity: Severity,
        detail: String,
    ) {
        self.changes.push(Change {
            coordinate,
            element,
            kind,
            severity,
            detail,
        });
    }

    fn breaking(&mut self, coordinate: String, element: Element, kind: ChangeKind, detail: String) {
        self.push(coordinate, element, kind, Severity::Breaking, detail);
    }

    fn dangerous(
        &mut self,
        coordinate: String,
        element: Element,
        kind: ChangeKind,
        detail: String,
    ) {
        self.push(coordinate, element, kind, Severity::Dangerous, detail);
    }

    /// Arguments of a field or directive, or fields of an input object: what callers
    /// send. `coordinate` names one of them.
    fn input_values(
        &mut self,
        element: Element,
        old: &[Positioned<InputValueDefinition>],
        new: &[Positioned<InputValueDefinition>],
        coordinate: impl Fn(&str) -> String,
    ) {
        for old_value in old {
            let old_value = &old_value.node;
            let name = old_value.name.node.as_str();
            let Some(new_value) = new.iter().find(|v| v.node.name.node == name) else {
                self.breaking(
                    coordinate(name),
                    element,
                    ChangeKind::Removed,
                    format!("was `{}`", old_value.ty.node),
                );
                continue;
            };
            let new_value = &new_value.node;
            if !input_change_is_safe(&old_value.ty.node, &new_value.ty.node) {
                self.breaking(
                    coordinate(name),
                    element,
                    ChangeKind::Retyped,
                    format!("`{}` became `{}`", old_value.ty.node, new_value.ty.node),
                );
            } else if old_value.default_value.as_ref().map(|v| &v.node)
                != new_value.default_value.as_ref().map(|v| &v.node)
            {
                let shown = |value: &InputValueDefinition| {
                    value
                        .default_value
                        .as_ref()
                        .map_or_else(|| "none".to_owned(), |v| format!("`{}`", v.node))
                };
                self.dangerous(
                    coordinate(name),
                    element,
                    ChangeKind::DefaultChanged,
                    format!("default {} became {}", shown(old_value), shown(new_value)),
                );
            }
        }
        for new_value in new {
            let new_value = &new_value.node;
            let name = new_value.name.node.as_str();
            if old.iter().any(|v| v.node.name.node == name) {
                continue;
            }
            if is_required(new_value) {
                self.breaking(
                    coordinate(name),
                    element,
                    ChangeKind::Required,
                    format!("new, `{}` without a default", new_value.ty.node),
                );
            } else {
                self.dangerous(
                    coordinate(name),
                    element,
                    ChangeKind::Added,
                    format!("new, optional `{}`", new_value.ty.node),
                );
            }
        }
    }

    /// Fields of an object or interface: what clients read.
    fn fields(
        &mut self,
        type_name: &str,
        old: &[Positioned<FieldDefinition>],
        new: &[Positioned<FieldDefinition>],
    ) {
        for old_field in old {
            let old_field = &old_field.node;
            let name = old_field.name.node.as_str();
            let coordinate = format!("{type_name}.{name}");
            let Some(new_field) = new.iter().find(|f| f.node.name.node == name) else {
                self.breaking(
                    coordinate,
                    Element::Field,
                    ChangeKind::Removed,
                    format!("was `{}`", old_field.ty.node),
                );
                continue;
            };
            let new_field = &new_field.node;
            if !output_change_is_safe(&old_field.ty.node, &new_field.ty.node) {
                self.breaking(
                    coordinate,
                    Element::Field,
                    ChangeKind::Retyped,
                    format!("`{}` became `{}`", old_field.ty.node, new_field.ty.node),
                );
            }
            self.input_values(
                Element::Argument,
                &old_field.arguments,
                &new_field.arguments,
                |argument| format!("{type_name}.{name}({argument}:)"),
            );
        }
    }

    /// Names a type lists (implemented interfaces, union members).
    fn members(
        &mut self,
        element: Element,
        old: &[Positioned<Name>],
        new: &[Positioned<Name>],
        coordinate: impl Fn(&str) -> String,
    ) {
        for old_member in old {
            if !new.iter().any(|m| m.node == old_member.node) {
                self.breaking(
                    coordinate(&old_member.node),
                    element,
                    ChangeKind::Removed,
                    "no longer listed".to_owned(),
                );
            }
        }
        for new_member in new {
            if !old.iter().any(|m| m.node == new_member.node) {
                self.dangerous(
                    coordinate(&new_member.node),
                    element,
                    ChangeKind::Added,
                    "newly listed".to_owned(),
                );
            }
        }
    }

    fn type_definition(&mut self, name: &str, old: &TypeDefinition, new: &TypeDefinition) {
        match (&old.kind, &new.kind) {
            (TypeKind::Scalar, TypeKind::Scalar) => {}
            (TypeKind::Object(old), TypeKind::Object(new)) => {
                self.fields(name, &old.fields, &new.fields);
                self.members(Element::Interface, &old.implements, &new.implements, |i| {
                    format!("{name} implements {i}")
                });
            }
            (TypeKind::Interface(old), TypeKind::Interface(new)) => {
                self.fields(name, &old.fields, &new.fields);
                self.members(Element::Interface, &old.implements, &new.implements, |i| {
                    format!("{name} implements {i}")
                });
            }
            (TypeKind::Union(old), TypeKind::Union(new)) => {
                self.members(Element::UnionMember, &old.members, &new.members, |m| {
                    format!("{name} includes {m}")
                });
            }
            (TypeKind::Enum(old), TypeKind::Enum(new)) => {
                for value in &old.values {
                    let value = &value.node.value.node;
                    if !new.values.iter().any(|v| v.node.value.node == *value) {
                        self.breaking(
                            format!("{name}.{value}"),
                            Element::EnumValue,
                            ChangeKind::Removed,
                            "no longer a value".to_owned(),
                        );
                    }
                }
                for value in &new.values {
                    let value = &value.node.value.node;
                    if !old.values.iter().any(|v| v.node.value.node == *value) {
                        self.dangerous(
                            format!("{name}.{value}"),
                            Element::EnumValue,
                            ChangeKind::Added,
                            "a new value clients may receive".to_owned(),
                        );
                    }
                }
            }
            (TypeKind::InputObject(old), TypeKind::InputObject(new)) => {
                self.input_values(Element::InputField, &old.fields, &new.fields, |field| {
                    format!("{name}.{field}")
                });
            }
            (old_kind, new_kind) => self.breaking(
                name.to_owned(),
                Element::Type,
                ChangeKind::Retyped,
                format!("{} became {}", kind_name(old_kind), kind_name(new_kind)),
            ),
        }
    }
}

/// Every difference from `old` to `new` that breaks or may surprise a client. Added
/// types, fields and directives are safe and not listed.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut diff = Diff::default();
    for (operation, old_root) in &old.roots {
        match new.roots.get(operation) {
            Some(new_root) if new_root == old_root => {}
            Some(new_root) => diff.breaking(
                format!("schema.{operation}"),
                Element::SchemaRoot,
                ChangeKind::Retyped,
                format!("`{old_root}` became `{new_root}`"),
            ),
            None => diff.breaking(
                format!("schema.{operation}"),
                Element::SchemaRoot,
                ChangeKind::Removed,
                format!("was `{old_root}`"),
            ),
        }
    }
    for (name, old_type) in &old.types {
        match new.types.get(name) {
            None => diff.breaking(
                name.clone(),
                Element::Type,
                ChangeKind::Removed,
                format!("was an {}", kind_name(&old_type.kind)),
            ),
            Some(new_type) => diff.type_definition(name, old_type, new_type),
        }
    }
    for (name, old_directive) in &old.directives {
        let Some(new_directive) = new.directives.get(name) else {
            diff.breaking(
                format!("@{name}"),
                Element::Directive,
                ChangeKind::Removed,
                "no longer defined".to_owned(),
            );
            continue;
        };
        if old_directive.is_repeatable && !new_directive.is_repeatable {
            diff.breaking(
                format!("@{name}"),
                Element::Directive,
                ChangeKind::Retyped,
                "no longer repeatable".to_owned(),
            );
        }
        for location in &old_directive.locations {
            if !new_directive
                .locations
                .iter()
                .any(|l| l.node == location.node)
            {
                let location = location_name(location.node);
                diff.breaking(
                    format!("@{name} on {location}"),
                    Element::DirectiveLocation,
                    ChangeKind::Removed,
                    "no longer allowed there".to_owned(),
                );
            }
        }
        diff.input_values(
            Element::DirectiveArgument,
            &old_directive.arguments,
            &new_directive.arguments,
            |argument| format!("@{name}({argument}:)"),
        );
    }
    diff.changes
}

/// One row of the changelog's planned breaking changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    /// The schema coordinate, as [`Change::coordinate`] spells it.
    pub coordinate: String,
    /// `removed`, `retyped` or `required`.
    pub kind: ChangeKind,
    /// When it was deprecated (announced), UTC.
    pub deprecated_on: NaiveDate,
    /// The first day the change may ship, UTC.
    pub removal_on: NaiveDate,
    /// What clients use instead, in the changelog's words.
    pub replacement: String,
    /// Where the row is in the changelog (1-based), for messages.
    pub line: usize,
}

impl PlannedChange {
    /// Whether the removal date gives clients at least [`MINIMUM_NOTICE_DAYS`].
    pub fn gives_enough_notice(&self) -> bool {
        self.deprecated_on
            .checked_add_days(Days::new(MINIMUM_NOTICE_DAYS))
            .is_some_and(|earliest| self.removal_on >= earliest)
    }
}

/// The machine-read part of `docs/api-changelog.md`: the table under
/// [`PLANNED_HEADING`], with the columns of [`PLANNED_COLUMNS`].
#[derive(Debug, Clone, Default)]
pub struct Changelog {
    /// The rows that could be read.
    pub planned: Vec<PlannedChange>,
    /// The rows (or the missing section) that could not, by line, with why.
    pub invalid: Vec<(usize, String)>,
}

fn table_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner
        .split('|')
        .map(|cell| cell.trim().trim_matches('`').trim().to_owned())
        .collect()
}

impl Changelog {
    /// Reads the planned changes' table; prose around it is free. A row that cannot be
    /// read is kept in [`Changelog::invalid`] rather than failing the whole file, so
    /// that one report names every problem.
    pub fn parse(markdown: &str) -> Changelog {
        let mut changelog = Changelog::default();
        let mut in_section = false;
        let mut found_section = false;
        let mut header_seen = false;
        let mut in_fence = false;
        for (index, line) in markdown.lines().enumerate() {
            let number = index + 1;
            let trimmed = line.trim();
            // An example in a fenced block is prose, whatever it looks like.
            if trimmed.starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            if trimmed.starts_with("## ") || trimmed == "##" {
                in_section = trimmed == PLANNED_HEADING;
                found_section |= in_section;
                continue;
            }
            if !in_section || !trimmed.starts_with('|') {
                continue;
            }
            let cells = table_cells(trimmed);
            if !header_seen {
                let header: Vec<String> = cells.iter().map(|c| c.to_lowercase()).collect();
                if header != PLANNED_COLUMNS {
                    changelog.invalid.push((
                        number,
                        format!(
                            "the planned changes' table must have the columns {}",
                            PLANNED_COLUMNS.join(" | ")
                        ),
                    ));
                    return changelog;
                }
                header_seen = true;
                continue;
            }
            if cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
            {
                continue; // the |---| row
            }
            match Self::row(&cells, number) {
                Ok(row) => changelog.planned.push(row),
                Err(reason) => changelog.invalid.push((number, reason)),
            }
        }
        if !found_section {
            changelog.invalid.push((
                0,
                format!("no `{PLANNED_HEADING}` section (see the top of {CHANGELOG})"),
            ));
        } else if !header_seen {
            changelog.invalid.push((
                0,
                format!(
                    "no table under `{PLANNED_HEADING}`: it needs at least its header, {}",
                    PLANNED_COLUMNS.join(" | ")
                ),
            ));
        }
        changelog
    }

    fn row(cells: &[String], line: usize) -> Result<PlannedChange, String> {
        let [coordinate, kind, deprecated, removal, replacement] = cells else {
            return Err(format!(
                "a row needs {} cells ({}), found {}",
                PLANNED_COLUMNS.len(),
                PLANNED_COLUMNS.join(" | "),
                cells.len()
            ));
        };
        if coordinate.is_empty() {
            return Err("the coordinate is empty".to_owned());
        }
        let kind = ChangeKind::from_changelog(kind).ok_or_else(|| {
            format!(
                "`{kind}` is not a change the changelog announces: removed, retyped or required"
            )
        })?;
        let date = |text: &str, column: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("the {column} date `{text}` is not YYYY-MM-DD"))
        };
        Ok(PlannedChange {
            coordinate: coordinate.clone(),
            kind,
            deprecated_on: date(deprecated, "deprecated")?,
            removal_on: date(removal, "removal")?,
            replacement: replacement.clone(),
            line,
        })
    }

    /// The entry announcing this kind of change at this coordinate.
    pub fn entry(&self, coordinate: &str, kind: ChangeKind) -> Option<&PlannedChange> {
        self.planned
            .iter()
            .find(|entry| entry.coordinate == coordinate && entry.kind == kind)
    }

    /// Whether any entry names this coordinate.
    pub fn lists(&self, coordinate: &str) -> bool {
        self.planned
            .iter()
            .any(|entry| entry.coordinate == coordinate)
    }
}

/// Why the check fails; each problem says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A breaking change no changelog entry announces.
    Unannounced(Change),
    /// A removal announced, but the released schema does not mark the name deprecated.
    NotDeprecatedInRelease(Change),
    /// A change announced for a date still to come.
    NotDue {
        /// The change.
        change: Change,
        /// The first day it may ship.
        removal_on: NaiveDate,
    },
    /// An entry whose removal date is less than [`MINIMUM_NOTICE_DAYS`] after its
    /// deprecation.
    NoticeTooShort(PlannedChange),
    /// Two entries for one coordinate and kind.
    Duplicate(PlannedChange),
    /// A name `schema.graphql` deprecates that no entry lists.
    UnlistedDeprecation {
        /// Its coordinate.
        coordinate: String,
        /// Whether the released schema did not deprecate it yet.
        newly: bool,
    },
    /// An entry announcing the removal of a name `schema.graphql` still has without
    /// `@deprecated`: clients would not see the warning.
    AnnouncedButNotDeprecated(PlannedChange),
    /// A changelog row that cannot be read.
    InvalidEntry {
        /// Its line (0 for the file as a whole).
        line: usize,
        /// Why.
        reason: String,
    },
}

impl Problem {
    /// The coordinate the problem is about, when it is about one.
    pub fn coordinate(&self) -> Option<&str> {
        match self {
            Problem::Unannounced(change)
            | Problem::NotDeprecatedInRelease(change)
            | Problem::NotDue { change, .. } => Some(&change.coordinate),
            Problem::NoticeTooShort(entry)
            | Problem::Duplicate(entry)
            | Problem::AnnouncedButNotDeprecated(entry) => Some(&entry.coordinate),
            Problem::UnlistedDeprecation { coordinate, .. } => Some(coordinate),
            Problem::InvalidEntry { .. } => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unannounced(change) => {
                write!(
                    f,
                    "{change}: breaks clients and is not announced in {CHANGELOG}. "
                )?;
                if change.element.can_be_deprecated() && change.kind == ChangeKind::Removed {
                    write!(
                        f,
                        "Put it back, mark it `@deprecated(reason: \"Use ... instead.\")` \
                         (`#[graphql(deprecation = \"...\")]`), keep it working, add it to \
                         the planned changes with today's date and a removal date at least \
                         {MINIMUM_NOTICE_DAYS} days later, and remove it in the first \
                         release on or after that date"
                    )
                } else {
                    write!(
                        f,
                        "Add the new shape beside the old one instead (a new field, argument \
                         or type), deprecate the old one, list it in the planned changes with \
                         a removal date at least {MINIMUM_NOTICE_DAYS} days after today, and \
                         make the change on or after that date"
                    )
                }
            }
            Problem::NotDeprecatedInRelease(change) => write!(
                f,
                "{change}: announced, but {RELEASED_SCHEMA} does not mark it `@deprecated`, so \
                 clients never saw the warning. Restore it with `@deprecated`, release that, \
                 and give clients {MINIMUM_NOTICE_DAYS} days from then (move the entry's dates)"
            ),
            Problem::NotDue { change, removal_on } => write!(
                f,
                "{change}: announced for {removal_on}, which has not come (UTC). Keep it \
                 working until then"
            ),
            Problem::NoticeTooShort(entry) => write!(
                f,
                "{CHANGELOG}:{}: `{}` is deprecated on {} and goes on {}: clients get at least \
                 {MINIMUM_NOTICE_DAYS} days, so the removal date must be {} or later",
                entry.line,
                entry.coordinate,
                entry.deprecated_on,
                entry.removal_on,
                entry
                    .deprecated_on
                    .checked_add_days(Days::new(MINIMUM_NOTICE_DAYS))
                    .map_or_else(|| "later".to_owned(), |d| d.to_string()),
            ),
            Problem::Duplicate(entry) => write!(
                f,
                "{CHANGELOG}:{}: `{}` ({}) is listed twice; keep one row",
                entry.line,
                entry.coordinate,
                entry.kind.as_str()
            ),
            Problem::UnlistedDeprecation { coordinate, newly } => write!(
                f,
                "`{coordinate}`: {} in {CURRENT_SCHEMA} but not listed in {CHANGELOG}. Add it \
                 to the planned changes with the date it is deprecated, its removal date (at \
                 least {MINIMUM_NOTICE_DAYS} days later) and its replacement, so clients know \
                 when it goes",
                if *newly {
                    "newly deprecated"
                } else {
                    "deprecated"
                }
            ),
            Problem::AnnouncedButNotDeprecated(entry) => write!(
                f,
                "{CHANGELOG}:{}: `{}` is announced for removal but {CURRENT_SCHEMA} does not \
                 mark it `@deprecated`; deprecate it (`#[graphql(deprecation = \"...\")]`) \
                 so clients see the warning",
                entry.line, entry.coordinate
            ),
            Problem::InvalidEntry { line, reason } => write!(f, "{CHANGELOG}:{line}: {reason}"),
        }
    }
}

/// What the check found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Why it fails; empty when it passes.
    pub problems: Vec<Problem>,
    /// Breaking changes that were announced, deprecated and are due: they may ship.
    pub allowed: Vec<Change>,
    /// Changes that break nobody but may surprise a client; informational.
    pub dangerous: Vec<Change>,
}

impl Report {
    /// Whether the current schema may ship.
    pub fn passes(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems about `coordinate`.
    pub fn problems_at(&self, coordinate: &str) -> Vec<&Problem> {
        self.problems
            .iter()
            .filter(|problem| problem.coordinate() == Some(coordinate))
            .collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passes() {
            writeln!(
                f,
                "{CURRENT_SCHEMA} keeps the contract of {RELEASED_SCHEMA}: no unannounced \
                 breaking change."
            )?;
        } else {
            writeln!(
                f,
                "{CURRENT_SCHEMA} breaks the contract of {RELEASED_SCHEMA} ({} {}):",
                self.problems.len(),
                if self.problems.len() == 1 {
                    "problem"
                } else {
                    "problems"
                }
            )?;
            for problem in &self.problems {
                writeln!(f, "  - {problem}.")?;
            }
            writeln!(
                f,
                "\nClients get {MINIMUM_NOTICE_DAYS} days' notice of every breaking change: \
                 deprecate first, announce it in {CHANGELOG} with its removal date, wait, \
                 then remove. CONTRIBUTING.md (\"Changing the schema safely\") says how."
            )?;
        }
        if !self.allowed.is_empty() {
            writeln!(f, "\nAnnounced, deprecated and due, so allowed:")?;
            for change in &self.allowed {
                writeln!(f, "  - {change}")?;
            }
        }
        if !self.dangerous.is_empty() {
            writeln!(
                f,
                "\nNot breaking, but a client may meet something new (check exhaustive \
                 matches):"
            )?;
            for change in &self.dangerous {
                writeln!(f, "  - {change}")?;
            }
        }
        Ok(())
    }
}

/// Checks `current` against `released` under `changelog` on `today` (UTC).
pub fn check(
    released: &Schema,
    current: &Schema,
    changelog: &Changelog,
    today: NaiveDate,
) -> Report {
    let mut report = Report::default();
    for (line, reason) in &changelog.invalid {
        report.problems.push(Problem::InvalidEntry {
            line: *line,
            reason: reason.clone(),
        });
    }
    let mut seen = BTreeSet::new();
    for entry in &changelog.planned {
        if !seen.insert((entry.coordinate.as_str(), entry.kind.as_str())) {
            report.problems.push(Problem::Duplicate(entry.clone()));
        }
        if !entry.gives_enough_notice() {
            report.problems.push(Problem::NoticeTooShort(entry.clone()));
        }
        let still_undeprecated = current
            .known
            .get(&entry.coordinate)
            .is_some_and(|known| known.element.can_be_deprecated() && !known.deprecated);
        if entry.kind == ChangeKind::Removed && still_undeprecated {
            report
                .problems
                .push(Problem::AnnouncedButNotDeprecated(entry.clone()));
        }
    }
    for change in diff(released, current) {
        if change.severity == Severity::Dangerous {
            report.dangerous.push(change);
            continue;
        }
        let Some(entry) = changelog.entry(&change.coordinate, change.kind) else {
            report.problems.push(Problem::Unannounced(change));
            continue;
        };
        if !entry.gives_enough_notice() {
            // Reported once, as the entry's problem, above.
            continue;
        }
        if change.kind == ChangeKind::Removed
            && change.element.can_be_deprecated()
            && !released.is_deprecated(&change.coordinate)
        {
            report
                .problems
                .push(Problem::NotDeprecatedInRelease(change));
        } else if today < entry.removal_on {
            report.problems.push(Problem::NotDue {
                change,
                removal_on: entry.removal_on,
            });
        } else {
            report.allowed.push(change);
        }
    }
    for coordinate in current.deprecated() {
        if !changelog.lists(coordinate) {
            report.problems.push(Problem::UnlistedDeprecation {
                coordinate: coordinate.to_owned(),
                newly: !released.is_deprecated(coordinate),
            });
        }
    }
    report
}

/// The three files a check reads.
#[derive(Debug, Clone)]
pub struct ContractFiles {
    /// The last released schema.
    pub released: PathBuf,
    /// The schema about to ship.
    pub current: PathBuf,
    /// The changelog with the planned changes.
    pub changelog: PathBuf,
}

impl ContractFiles {
    /// The repository's own: [`RELEASED_SCHEMA`], [`CURRENT_SCHEMA`], [`CHANGELOG`].
    pub fn of_repository() -> ContractFiles {
        let root = repository_root();
        ContractFiles {
            released: root.join(RELEASED_SCHEMA),
            current: root.join(CURRENT_SCHEMA),
            changelog: root.join(CHANGELOG),
        }
    }

    /// Reads and checks the three files. `Err` when one cannot be read or parsed.
    pub fn check(&self, today: NaiveDate) -> Result<Report, String> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
        };
        let schema = |path: &Path| {
            Schema::parse(&read(path)?).map_err(|e| format!("parsing {}: {e}", path.display()))
        };
        let released = schema(&self.released)?;
        let current = schema(&self.current)?;
        let changelog = Changelog::parse(&read(&self.changelog)?);
        Ok(check(&released, &current, &changelog, today))
    }
}

/// Today in UTC, the calendar removal dates are read in.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
