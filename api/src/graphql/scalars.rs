//! Scalars of our own: a calendar `Date` (`YYYY-MM-DD`) and an absolute `URL`.
//!
//! A `Date` from a client is a day of the years 1900 to 9999, written exactly as the
//! server writes dates. Nothing the program records (fellows joining, contributions,
//! memberships, benefit grants) happened before 1900, and past 9999 the four-digit form
//! ends; year 0, negative years and five-digit years are typos or probes, and are
//! refused with `BAD_USER_INPUT` before any service or database sees them.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate};

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
#[Scalar(name = "Date")]
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

#[cfg(test)]
mod tests {
    use super::*;

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
