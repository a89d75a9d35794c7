//! `schema.graphql` at the repository root is the schema the server serves, and it
//! keeps the contract of the last release (`docs/schema/released.graphql`): no breaking
//! change that `docs/api-changelog.md` does not announce 90 days ahead.

use std::collections::BTreeSet;

use fellowship_tests::{on_both_databases, TestApp};
use serde_json::json;

const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");

#[test]
fn the_checked_in_schema_is_the_one_the_server_prints() {
    let printed = api::graphql::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(SCHEMA_FILE, &printed).expect("write schema.graphql");
    }
    let checked_in =
        std::fs::read_to_string(SCHEMA_FILE).expect("schema.graphql at the repository root");
    assert!(
        checked_in == printed,
        "schema.graphql differs from the served schema; regenerate it with \
         `cargo run -p api -- schema > schema.graphql` and review the difference"
    );
}

/// Type names declared at the top level of an SDL document, read by the GraphQL parser.
fn declared_types(sdl: &str) -> BTreeSet<String> {
    async_graphql::parser::parse_schema(sdl)
        .expect("schema.graphql parses")
        .definitions
        .into_iter()
        .filter_map(|definition| match definition {
            async_graphql::parser::types::TypeSystemDefinition::Type(definition) => {
                Some(definition.node.name.node.to_string())
            }
            _ => None,
        })
        .collect()
}

on_both_databases! {
    async fn the_served_schema_declares_exactly_the_types_of_the_checked_in_one(backend) {
        let app = TestApp::empty(backend).await;
        let data = app.query("{ __schema { types { name } } }", json!({})).await;
        let builtin = ["String", "Int", "Float", "Boolean", "ID"];
        let served: BTreeSet<String> = data["__schema"]["types"].as_array().unwrap().iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .filter(|name| !name.starts_with("__") && !builtin.contains(&name.as_str()))
            .collect();
        let checked_in = declared_types(&std::fs::read_to_string(SCHEMA_FILE).unwrap());
        let checked_in: BTreeSet<String> = checked_in.into_iter().filter(|n| !builtin.contains(&n.as_str())).collect();
        assert_eq!(served, checked_in);
    }
}

/// The schema contract (`fellowship_tests::schema_contract`): `schema.graphql` against
/// the last release, `docs/schema/released.graphql`, under the planned changes of
/// `docs/api-changelog.md`.
mod contract {
    use std::process::Command;

    use async_graphql::parser::parse_schema;
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    use chrono::NaiveDate;
    use fellowship_tests::schema_contract::{
        check, diff, today, ChangeKind, Changelog, ContractFiles, Problem, Report, Schema,
        Severity, CHANGELOG,
    };

    use super::SCHEMA_FILE;

    /// A small schema with a bit of everything the checker compares.
    const BASE: &str = r#"
schema { query: Query mutation: Mutation }
type Query {
  fellow(handle: String!, first: Int): Fellow
  fellows(status: Status): [Fellow!]!
  search(text: String!): [SearchResult!]!
}
type Mutation {
  submit(input: SubmitInput!): Fellow
}
interface Node { id: ID! }
type Fellow implements Node {
  id: ID!
  handle: String!
  name: String
  status: Status!
}
type Organization implements Node { id: ID! slug: String! }
union SearchResult = Fellow | Organization
enum Status { ACTIVE ALUMNI }
input SubmitInput { name: String! note: String }
"#;

    fn schema(sdl: &str) -> Schema {
        Schema::parse(sdl).expect("a test schema that parses")
    }

    /// `from` with `this` replaced by `that`, insisting that `this` is there.
    fn edit(from: &str, this: &str, that: &str) -> String {
        assert!(from.contains(this), "the test schema has no `{this}`");
        from.replacen(this, that, 1)
    }

    /// The breaking changes from `old` to `new`, as (coordinate, kind).
    fn breaking(old: &str, new: &str) -> Vec<(String, ChangeKind)> {
        diff(&schema(old), &schema(new))
            .into_iter()
            .filter(|change| change.severity == Severity::Breaking)
            .map(|change| (change.coordinate, change.kind))
            .collect()
    }

    fn dangerous(old: &str, new: &str) -> Vec<(String, ChangeKind)> {
        diff(&schema(old), &schema(new))
            .into_iter()
            .filter(|change| change.severity == Severity::Dangerous)
            .map(|change| (change.coordinate, change.kind))
            .collect()
    }

    fn one(coordinate: &str, kind: ChangeKind) -> Vec<(String, ChangeKind)> {
        vec![(coordinate.to_owned(), kind)]
    }

    /// A changelog whose planned changes are `rows`.
    fn changelog(rows: &[&str]) -> Changelog {
        Changelog::parse(&format!(
            "# Changelog\n\nPlanned changes are below.\n\n## Planned breaking changes\n\n\
             | coordinate | change | deprecated | removal | replacement |\n|---|---|---|---|---|\n\
             {}\n\n## 2026-01-01: Release 1\n\nFirst.\n",
            rows.join("\n")
        ))
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn problems(report: &Report) -> Vec<(Option<String>, &Problem)> {
        report
            .problems
            .iter()
            .map(|problem| (problem.coordinate().map(str::to_owned), problem))
            .collect()
    }

    #[test]
    fn schema_graphql_makes_no_breaking_change_the_changelog_does_not_announce() {
        let report = ContractFiles::of_repository()
            .check(today())
            .expect("schema.graphql, docs/schema/released.graphql and docs/api-changelog.md");
        assert!(report.passes(), "{report}");
    }

    #[test]
    fn an_identical_schema_changes_nothing() {
        assert!(diff(&schema(BASE), &schema(BASE)).is_empty());
    }

    #[test]
    fn a_removed_field_is_breaking() {
        let new = edit(BASE, "  name: String\n", "");
        assert_eq!(
            breaking(BASE, &new),
            one("Fellow.name", ChangeKind::Removed)
        );
    }

    #[test]
    fn a_retyped_field_is_breaking() {
        let new = edit(BASE, "status: Status!", "status: String!");
        assert_eq!(
            breaking(BASE, &new),
            one("Fellow.status", ChangeKind::Retyped)
        );
    }

    #[test]
    fn a_field_that_may_now_be_null_is_breaking() {
        let new = edit(BASE, "  handle: String!\n", "  handle: String\n");
        assert_eq!(
            breaking(BASE, &new),
            one("Fellow.handle", ChangeKind::Retyped)
        );
    }

    #[test]
    fn a_field_that_becomes_or_stops_being_a_list_is_breaking() {
        let new = edit(
            BASE,
            "fellows(status: Status): [Fellow!]!",
            "fellows(status: Status): Fellow!",
        );
        assert_eq!(
            breaking(BASE, &new),
            one("Query.fellows", ChangeKind::Retyped)
        );
        let new = edit(BASE, "[Fellow!]!", "[[Fellow!]!]!");
        assert_eq!(
            breaking(BASE, &new),
            one("Query.fellows", ChangeKind::Retyped)
        );
    }

    #[test]
    fn a_removed_argument_is_breaking() {
        let new = edit(
            BASE,
            "fellow(handle: String!, first: Int)",
            "fellow(handle: String!)",
        );
        assert_eq!(
            breaking(BASE, &new),
            one("Query.fellow(first:)", ChangeKind::Removed)
        );
    }

    #[test]
    fn an_argument_that_becomes_required_is_breaking_and_one_that_becomes_optional_is_not() {
        let new = edit(BASE, "first: Int)", "first: Int!)");
        assert_eq!(
            breaking(BASE, &new),
            one("Query.fellow(first:)", ChangeKind::Retyped)
        );
        let new = edit(BASE, "fellow(handle: String!", "fellow(handle: String");
        assert_eq!(breaking(BASE, &new), vec![]);
    }

    #[test]
    fn a_new_required_argument_is_breaking() {
        let new = edit(
            BASE,
            "fellows(status: Status)",
            "fellows(status: Status, after: String!)",
        );
        assert_eq!(
            breaking(BASE, &new),
            one("Query.fellows(after:)", ChangeKind::Required)
        );
    }

    #[test]
    fn a_new_required_argument_with_a_default_is_not_breaking() {
        let new = edit(
            BASE,
            "fellows(status: Status)",
            "fellows(status: Status, first: Int! = 20)",
        );
        assert_eq!(breaking(BASE, &new), vec![]);
    }

    #[test]
    fn a_new_required_input_field_is_breaking() {
        let new = edit(BASE, "note: String }", "note: String rationale: String! }");
        assert_eq!(
            breaking(BASE, &new),
            one("SubmitInput.rationale", ChangeKind::Required)
        );
    }

    #[test]
    fn a_removed_or_retyped_input_field_is_breaking() {
        let new = edit(BASE, " note: String }", " }");
        assert_eq!(
            breaking(BASE, &new),
            one("SubmitInput.note", ChangeKind::Removed)
        );
        let new = edit(BASE, "note: String }", "note: String! }");
        assert_eq!(
            breaking(BASE, &new),
            one("SubmitInput.note", ChangeKind::Retyped)
        );
    }

    #[test]
    fn a_removed_enum_value_is_breaking() {
        let new = edit(
            BASE,
            "enum Status { ACTIVE ALUMNI }",
            "enum Status { ACTIVE }",
        );
        assert_eq!(
            breaking(BASE, &new),
            one("Status.ALUMNI", ChangeKind::Removed)
        );
    }

    #[test]
    fn a_removed_type_union_member_or_interface_is_breaking() {
        let new = edit(BASE, "enum Status { ACTIVE ALUMNI }", "scalar Status");
        assert_eq!(breaking(BASE, &new), one("Status", ChangeKind::Retyped));
        let new = edit(BASE, "= Fellow | Organization", "= Fellow");
        assert_eq!(
            breaking(BASE, &new),
            one("SearchResult includes Organization", ChangeKind::Removed)
        );
        let new = edit(
            BASE,
            "type Organization implements Node {",
            "type Organization {",
        );
        assert_eq!(
            breaking(BASE, &new),
            one("Organization implements Node", ChangeKind::Removed)
        );
        // A removed type is one change, not one per field that went with it.
        let new = edit(BASE, "input SubmitInput { name: String! note: String }", "");
        let new = edit(&new, "submit(input: SubmitInput!): Fellow", "noop: Boolean");
        assert_eq!(
            breaking(BASE, &new),
            vec![
                ("Mutation.submit".to_owned(), ChangeKind::Removed),
                ("SubmitInput".to_owned(), ChangeKind::Removed),
            ]
        );
    }

    #[test]
    fn a_removed_directive_or_directive_location_is_breaking() {
        let old = format!("{BASE}directive @cached(ttl: Int) on FIELD | QUERY\n");
        assert_eq!(breaking(&old, BASE), one("@cached", ChangeKind::Removed));
        let new = edit(&old, "on FIELD | QUERY", "on FIELD");
        assert_eq!(
            breaking(&old, &new),
            one("@cached on QUERY", ChangeKind::Removed)
        );
        let new = edit(&old, "(ttl: Int)", "");
        assert_eq!(
            breaking(&old, &new),
            one("@cached(ttl:)", ChangeKind::Removed)
        );
    }

    #[test]
    fn added_fields_optional_arguments_and_narrowed_outputs_are_not_breaking() {
        let new = edit(
            BASE,
            "  name: String\n",
            "  name: String!\n  headline: String\n",
        );
        let new = edit(
            &new,
            "fellows(status: Status)",
            "fellows(status: Status, search: String)",
        );
        let new = format!("{new}type Benefit {{ kind: String! }}\n");
        assert_eq!(breaking(BASE, &new), vec![]);
        assert_eq!(
            dangerous(BASE, &new),
            one("Query.fellows(search:)", ChangeKind::Added)
        );
    }

    #[test]
    fn a_new_enum_value_is_dangerous_not_breaking() {
        let new = edit(BASE, "ACTIVE ALUMNI", "ACTIVE ALUMNI EMERITUS");
        assert_eq!(breaking(BASE, &new), vec![]);
        assert_eq!(
            dangerous(BASE, &new),
            one("Status.EMERITUS", ChangeKind::Added)
        );
    }

    #[test]
    fn an_unannounced_breaking_change_fails_the_check_naming_it() {
        let new = edit(BASE, "  name: String\n", "");
        let report = check(
            &schema(BASE),
            &schema(&new),
            &changelog(&[]),
            day("2026-06-01"),
        );
        assert!(!report.passes());
        assert!(matches!(
            report.problems_at("Fellow.name").as_slice(),
            [Problem::Unannounced(change)] if change.kind == ChangeKind::Removed
        ));
    }

    /// The released schema deprecates `Fellow.name`, and the current one removes it.
    fn deprecated_then_removed() -> (Schema, Schema) {
        let released = edit(
            BASE,
            "  name: String\n",
            "  name: String @deprecated(reason: \"Use `handle`.\")\n",
        );
        let current = edit(BASE, "  name: String\n", "");
        (schema(&released), schema(&current))
    }

    #[test]
    fn a_listed_deprecated_removal_is_allowed_on_its_removal_date() {
        let (released, current) = deprecated_then_removed();
        let planned =
            changelog(&["| `Fellow.name` | removed | 2026-01-05 | 2026-04-05 | `Fellow.handle` |"]);
        let report = check(&released, &current, &planned, day("2026-04-05"));
        assert!(report.passes(), "{report}");
        assert_eq!(report.allowed.len(), 1);
        assert_eq!(report.allowed[0].coordinate, "Fellow.name");
    }

    #[test]
    fn a_listed_removal_shipped_before_its_date_is_refused() {
        let (released, current) = deprecated_then_removed();
        let planned =
            changelog(&["| `Fellow.name` | removed | 2026-01-05 | 2026-04-05 | `Fellow.handle` |"]);
        let report = check(&released, &current, &planned, day("2026-04-04"));
        assert!(matches!(
            report.problems_at("Fellow.name").as_slice(),
            [Problem::NotDue { removal_on, .. }] if *removal_on == day("2026-04-05")
        ));
    }

    #[test]
    fn a_listed_removal_of_a_name_the_release_did_not_deprecate_is_refused() {
        let current = edit(BASE, "  name: String\n", "");
        let planned =
            changelog(&["| `Fellow.name` | removed | 2026-01-05 | 2026-04-05 | `Fellow.handle` |"]);
        let report = check(
            &schema(BASE),
            &schema(&current),
            &planned,
            day("2026-05-01"),
        );
        assert!(matches!(
            report.problems_at("Fellow.name").as_slice(),
            [Problem::NotDeprecatedInRelease(_)]
        ));
    }

    #[test]
    fn an_entry_giving_less_than_90_days_of_notice_is_an_error() {
        let (released, _) = deprecated_then_removed();
        // Still present, nothing removed yet: the entry alone is wrong.
        let planned =
            changelog(&["| `Fellow.name` | removed | 2026-01-05 | 2026-04-04 | `Fellow.handle` |"]);
        let report = check(&released, &released, &planned, day("2026-01-06"));
        assert!(matches!(
            report.problems_at("Fellow.name").as_slice(),
            [Problem::NoticeTooShort(_)]
        ));
    }

    #[test]
    fn a_deprecated_name_past_its_removal_date_may_stay() {
        let (released, _) = deprecated_then_removed();
        let planned =
            changelog(&["| `Fellow.name` | removed | 2026-01-05 | 2026-04-05 | `Fellow.handle` |"]);
        let report = check(&released, &released, &planned, day("2027-01-01"));
        assert!(report.passes(), "{report}");
    }

    #[test]
    fn a_newly_deprecated_name_must_be_listed_in_the_changelog() {
        let (deprecated, _) = deprecated_then_removed();
        let report = check(
            &schema(BASE),
            &deprecated,
            &changelog(&[]),
            day("2026-01-05"),
        );
        assert_eq!(
            problems(&report),
            vec![(
                Some("Fellow.name".to_owned()),
                &Problem::UnlistedDeprecation {
                    coordinate: "Fellow.name".to_owned(),
                    newly: true
                }
            )]
        );
        let planned =
            changelog(&["| `Fellow.name` | removed | 2026-01-05 | 2026-04-05 | `Fellow.handle` |"]);
        assert!(check(&schema(BASE), &deprecated, &planned, day("2026-01-05")).passes());
    }

    #[test]
    fn an_announced_removal_of_a_name_still_not_deprecated_is_an_error() {
        let planned =
            changelog(&["| `Fellow.name` | removed | 2026-01-05 | 2026-04-05 | `Fellow.handle` |"]);
        let report = check(&schema(BASE), &schema(BASE), &planned, day("2026-01-05"));
        assert!(matches!(
            report.problems_at("Fellow.name").as_slice(),
            [Problem::AnnouncedButNotDeprecated(_)]
        ));
    }

    #[test]
    fn a_listed_retyping_is_allowed_on_its_date_without_a_deprecation() {
        let current = edit(BASE, "  handle: String!\n", "  handle: String\n");
        let planned = changelog(&[
            "| `Fellow.handle` | retyped | 2026-01-05 | 2026-04-05 | null for unclaimed profiles |",
        ]);
        let report = check(
            &schema(BASE),
            &schema(&current),
            &planned,
            day("2026-04-05"),
        );
        assert!(report.passes(), "{report}");
        // The kind must match: a removal entry does not allow a retyping.
        let planned =
            changelog(&["| `Fellow.handle` | removed | 2026-01-05 | 2026-04-05 | none |"]);
        let report = check(
            &schema(BASE),
            &schema(&current),
            &planned,
            day("2026-04-05"),
        );
        assert!(report
            .problems_at("Fellow.handle")
            .iter()
            .any(|problem| matches!(problem, Problem::Unannounced(_))));
    }

    #[test]
    fn changelog_rows_that_cannot_be_read_are_errors() {
        let planned = changelog(&[
            "| `Fellow.name` | renamed | 2026-01-05 | 2026-04-05 | none |",
            "| `Fellow.name` | removed | 5 Jan 2026 | 2026-04-05 | none |",
            "| `Fellow.name` | removed | 2026-01-05 |",
        ]);
        assert_eq!(planned.planned, vec![]);
        assert_eq!(planned.invalid.len(), 3);
        let report = check(&schema(BASE), &schema(BASE), &planned, day("2026-01-05"));
        assert_eq!(report.problems.len(), 3);
        let missing = Changelog::parse("# Changelog\n\n## 2026-01-01: Release 1\n");
        assert_eq!(missing.invalid.len(), 1);
    }

    /// `sdl` without the first field, of a type with more than one field, that takes no
    /// argument (and is not an `id`), description included: (its coordinate, the SDL).
    fn without_a_field(sdl: &str) -> (String, String) {
        let document = parse_schema(sdl).expect("schema.graphql parses");
        let (coordinate, first_line, last_line) = document
            .definitions
            .iter()
            .find_map(|definition| {
                let TypeSystemDefinition::Type(definition) = definition else {
                    return None;
                };
                let TypeKind::Object(object) = &definition.node.kind else {
                    return None;
                };
                if object.fields.len() < 2 {
                    return None;
                }
                let field = object.fields.iter().find(|field| {
                    field.node.arguments.is_empty() && field.node.name.node != "id"
                })?;
                let first = field
                    .node
                    .description
                    .as_ref()
                    .map_or(field.node.name.pos.line, |description| description.pos.line);
                Some((
                    format!("{}.{}", definition.node.name.node, field.node.name.node),
                    first,
                    field.node.ty.pos.line,
                ))
            })
            .expect("an object type with a plain field");
        let kept: Vec<&str> = sdl
            .lines()
            .enumerate()
            .filter(|(index, _)| !(first_line..=last_line).contains(&(index + 1)))
            .map(|(_, line)| line)
            .collect();
        (coordinate, kept.join("\n") + "\n")
    }

    #[test]
    fn the_schema_check_refuses_a_copy_of_schema_graphql_with_a_field_deleted_and_names_it() {
        let sdl = std::fs::read_to_string(SCHEMA_FILE).expect("schema.graphql");
        let (coordinate, edited) = without_a_field(&sdl);
        let folder =
            std::env::temp_dir().join(format!("fellowship-schema-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&folder).unwrap();
        let copy = folder.join("schema.graphql");
        std::fs::write(&copy, edited).unwrap();

        let output = Command::new(env!("CARGO_BIN_EXE_schema-check"))
            .arg("--current")
            .arg(&copy)
            .output()
            .expect("run schema-check");
        let _ = std::fs::remove_dir_all(&folder);

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&format!("`{coordinate}`")), "{stderr}");
        // It says what to do: deprecate, announce in the changelog, wait.
        assert!(
            stderr.contains("@deprecated") && stderr.contains(CHANGELOG),
            "{stderr}"
        );

        let unchanged = Command::new(env!("CARGO_BIN_EXE_schema-check"))
            .output()
            .expect("run schema-check");
        assert!(
            unchanged.status.success(),
            "{}",
            String::from_utf8_lossy(&unchanged.stderr)
        );
    }
}
