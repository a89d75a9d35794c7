//! Free-text search: a case-insensitive substring match, with the pattern's own `%` and
//! `_` escaped so that user text never acts as a wildcard.

use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func, SimpleExpr};

use crate::error::{ServiceError, ServiceResult};

pub const MAX_SEARCH_LEN: usize = 100;

/// A validated search term; `None` when the text is blank. Case is folded in SQL on
/// both sides (`lower(column) LIKE lower(?)`), so that each database compares with one
/// rule: Unicode-aware on PostgreSQL, ASCII-only on SQLite's built-in `lower()`.
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

/// `lower(column) LIKE lower('%term%')`, with the term's wildcards escaped.
pub fn contains(column: SimpleExpr, term: &str) -> SimpleExpr {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Expr::expr(Func::lower(column)).binary(
        BinOper::Like,
        Expr::expr(Func::lower(Expr::val(pattern))).binary(BinOper::Escape, Expr::val("\\")),
    )
}

/// `lower(column) = lower(value)`, for handles and slugs.
pub fn equals_ignoring_case(column: SimpleExpr, value: &str) -> SimpleExpr {
    Expr::expr(Func::lower(column)).eq(Func::lower(Expr::val(value)))
}
