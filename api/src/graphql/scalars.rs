//! The schema's custom scalars, each with a description and `@specifiedBy` the
//! standard it follows, so that a client (or a code generator) knows what it holds
//! without reading this code: `Date` (`YYYY-MM-DD`, RFC 3339's `full-date`), `DateTime`
//! (async-graphql's own, RFC 3339; [`describe`] gives it our description) and `JSON`
//! (any JSON value, RFC 8259).
//!
//! A `Date` from a client is a day of the years 1900 to 9999, written exactly as the
//! server writes dates. Nothing the program records (fellows joining, contributions,
//! memberships, benefit grants) happened before 1900, and past 9999 the four-digit form
//! ends; year 0, negative years and five-digit years are typos or probes, and are
//! refused with `BAD_USER_INPUT` before any service or database sees them.

use async_graphql::{
    InputValueError, InputValueResult, ObjectType, Scalar, ScalarType, SchemaBuilder,
    SubscriptionType, Value,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The first year a client may name in a `Date`.
pub const FIRST_YEAR: i32 = 1900;
/// The last year a client may name in a `Date`: past it, the four-digit form ends.
pub const LAST_YEAR: i32 = 9999;

/// A calendar date in ISO 8601 form, such as `2022-04-18`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

impl Date {
    /// The date `text` names, if it is one a client may send (see the module's rule).
    pub fn from_client(text: &str) -> Result<Date, String> {
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            // Only the canonical form: no sign, no missing zeros, no extra digits.
            .filter(|date| date.format("%Y-%m-%d").to_string() == text)
            .ok_or_else(|| "expected a date such as 2022-04-18".to_owned())?;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            return Err(format!(
                "expected a date between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"
            ));
        }
        Ok(Date(date))
    }
}

/// A calendar date, `YYYY-MM-DD` (ISO 8601), such as `2022-04-18`. A date sent to the
/// server must be written exactly so, in the years 1900 to 9999; anything else is
/// refused with `BAD_USER_INPUT`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Date::from_client(text).map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}

/// The description of `DateTime`, async-graphql's scalar for `chrono::DateTime<Utc>`,
/// which carries its `@specifiedBy` (RFC 3339) already but describes only its Rust type.
/// Lines are broken as those of the descriptions written as doc comments are.
const DATE_TIME: &str = "An instant: an RFC 3339 date and time with its offset, such as\n\
    `2022-04-18T09:30:00Z` or `2022-04-18T11:30:00+02:00`. The server writes UTC\n\
    (`+00:00`), with a fraction of a second when there is one.";

/// `builder` with the descriptions of the scalars async-graphql declares.
pub fn describe<Q, M, S>(builder: SchemaBuilder<Q, M, S>) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    builder.override_output_type_description::<DateTime<Utc>>(DATE_TIME)
}

/// A JSON value, as async-graphql's `Json` is, but declared here to say which standard
/// it follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub serde_json::Value);

/// Any JSON value (RFC 8259): an object, an array, a string, a number, `true`,
/// `false` or `null`, sent as itself, not inside a string.
#[Scalar(
    name = "JSON",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc8259"
)]
impl ScalarType for Json {
    fn parse(value: Value) -> InputValueResult<Self> {
        value.into_json().map(Json).map_err(InputValueError::custom)
    }

    fn to_value(&self) -> Value {
        // Every serde_json value has a GraphQL value; numbers outside what GraphQL
        // numbers hold become null rather than failing the response.
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_schema;
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    use super::*;

    #[test]
    fn every_custom_scalar_of_the_schema_has_a_description_and_says_what_specifies_it() {
        let sdl = crate::graphql::sdl();
        let scalars: Vec<_> = parse_schema(&sdl)
            .expect("the printed schema parses")
            .definitions
            .into_iter()
            .filter_map(|definition| match definition {
                TypeSystemDefinition::Type(t) if matches!(t.node.kind, TypeKind::Scalar) => {
                    Some(t.node)
                }
                _ => None,
            })
            .collect();
        let names: Vec<&str> = scalars.iter().map(|s| s.name.node.as_str()).collect();
        assert_eq!(names, ["Date", "DateTime", "JSON"]);
        for scalar in &scalars {
            let name = &scalar.name.node;
            assert!(
                scalar
                    .description
                    .as_ref()
                    .is_some_and(|d| !d.node.is_empty()),
                "{name} has no description"
            );
            assert!(
                scalar
                    .directives
                    .iter()
                    .any(|d| d.node.name.node == "specifiedBy"),
                "{name} has no @specifiedBy"
            );
        }
    }

    #[test]
    fn json_values_go_out_as_themselves() {
        let value = serde_json::json!({ "slug": "x", "version": 1, "tags": ["a"], "gone": null });
        assert_eq!(Json(value.clone()).to_value().into_json().unwrap(), value);
        assert_eq!(
            <Json as ScalarType>::parse(Value::from_json(value.clone()).unwrap()).unwrap(),
            Json(value)
        );
    }

    #[test]
    fn dates_of_the_sane_years_in_canonical_form_are_taken() {
        for text in ["1900-01-01", "2022-04-18", "9999-12-31"] {
            assert_eq!(
                Date::from_client(text)
                    .unwrap()
                    .0
                    .format("%Y-%m-%d")
                    .to_string(),
                text
            );
        }
    }

    #[test]
    fn year_zero_negative_years_and_far_futures_are_refused() {
        for text in [
            "0000-01-01",
            "-0001-01-01",
            "-2022-04-18",
            "1899-12-31",
            "10000-01-01",
            "+2022-04-18",
            "2022-4-18",
            "2022-02-30",
            "2022-04-18T00:00:00Z",
            "",
        ] {
            assert!(Date::from_client(text).is_err(), "{text} was accepted");
        }
    }
}
