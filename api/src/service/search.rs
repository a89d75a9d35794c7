//! Matching ignoring case: free-text search (a substring match, with the pattern's own
//! `%` and `_` escaped so that user text never acts as a wildcard) and handle or slug
//! lookup.
//!
//! Case is folded in Rust, never in SQL: SQLite's `lower()` knows only ASCII while
//! PostgreSQL's knows Unicode, so SQL folding made the same lookup answer differently on
//! the two databases. Each matched text has a folded copy stored beside it (the
//! `*_folded` columns, see [`entity::folding`] for the rule and who writes them); these
//! functions compare such a column with the folded input using plain `=` and `LIKE`,
//! which mean the same on both databases once both sides are folded. Pass the folded
//! column, never the text itself.

use sea_orm::sea_query::{BinOper, Expr, ExprTrait, SimpleExpr};

pub use entity::folding::fold;

use crate::error::{ServiceError, ServiceResult};

/// The longest search term accepted, in characters (after trimming).
pub const MAX_SEARCH_LEN: usize = 100;

/// A validated search term; `None` when the text is blank.
pub fn term(text: Option<&str>, field: &str) -> ServiceResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_SEARCH_LEN {
        return Err(ServiceError::invalid(
            field,
            format!("A search is at most {MAX_SEARCH_LEN} characters."),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// `folded_column LIKE '%fold(term)%' ESCAPE '\'`, with the term's wildcards escaped.
pub fn contains(folded_column: SimpleExpr, term: &str) -> SimpleExpr {
    Expr::expr(folded_column).binary(
        BinOper::Like,
        Expr::val(pattern(term)).binary(BinOper::Escape, Expr::val("\\")),
    )
}

/// `folded_column = fold(value)`, for handles and slugs.
pub fn equals_ignoring_case(folded_column: SimpleExpr, value: &str) -> SimpleExpr {
    Expr::expr(folded_column).eq(fold(value))
}

/// The `LIKE` pattern of a substring search: folded, escaped, between two `%`.
fn pattern(term: &str) -> String {
    let folded = fold(term);
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::pattern;

    #[test]
    fn a_pattern_is_the_folded_term_with_its_wildcards_escaped() {
        assert_eq!(pattern("MARÍA"), "%maría%");
        assert_eq!(pattern("100%_A\\b"), "%100\\%\\_a\\\\b%");
    }
}
