//! The one rule by which handles, slugs and searched text match ignoring case.
//!
//! SQL's `lower()` is Unicode-aware on PostgreSQL and ASCII-only on SQLite, so a match
//! made in SQL would depend on the database. Case is therefore folded here, in Rust, once:
//! every text that is matched ignoring case is stored beside its folded copy (the
//! `*_folded` columns, kept in step by each entity's `before_save` and by the services'
//! bulk updates), queries compare a folded column with the folded input using plain `=`
//! and `LIKE`, and the unique indexes sit on the folded columns, so that what counts as a
//! duplicate is exactly what a lookup would confuse.
//!
//! The rule is canonical decomposition, the Unicode lowercase mapping of each character
//! (no locale, no context), then canonical composition:
//!
//! - `MARÍA`, `María` and `maría` are one text, with `í` precomposed or as `i` + U+0301;
//! - `İ` (capital I with dot) lowercases to `i` + U+0307, not to `i`: `MARİAGRANDURY` is
//!   not `mariagrandury`, and the Turkish `ı` is not `i` (so `ÇINAREL` does not find
//!   Çınarel; `çınarel` does);
//! - lowercase letters are never changed: `ß` is not `ss`, `ſ` is not `s`, `ς` is not `σ`.
//!
//! Lowercase rather than full case folding because handles are identities: folding maps
//! `ſ` to `s`, `ß` to `ss` and `ﬁ` to `fi`, so a token for `eſpejelomar` would sign in as
//! `espejelomar`. Under this rule a text folds to ASCII only if it is ASCII up to case and
//! canonical equivalence, so no other spelling can reach an (always ASCII) handle.
//!
//! Changing this function changes what the stored copies mean: ship such a change with a
//! migration that folds them again (as `m20261201_000001_fold_case_in_rust` did first).

use sea_orm::ActiveValue::{self, Set};
use unicode_normalization::UnicodeNormalization;

/// `text` folded for matching ignoring case (see the module's rule).
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfd().flat_map(char::to_lowercase).nfc().collect()
}

/// Sets `folded` from `text` when `text` is being written.
pub(crate) fn refold(text: &ActiveValue<String>, folded: &mut ActiveValue<String>) {
    if let ActiveValue::Set(text) = text {
        *folded = Set(fold(text));
    }
}

/// [`refold`] for an optional text: no text, no folded copy.
pub(crate) fn refold_optional(
    text: &ActiveValue<Option<String>>,
    folded: &mut ActiveValue<Option<String>>,
) {
    if let ActiveValue::Set(text) = text {
        *folded = Set(text.as_deref().map(fold));
    }
}

#[cfg(test)]
mod tests {
    use super::fold;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn ascii_folds_to_ascii_lowercase() {
        assert_eq!(fold("MariaGrandury-2_x.Y"), "mariagrandury-2_x.y");
    }

    #[test]
    fn accented_capitals_fold_whether_precomposed_or_not() {
        assert_eq!(fold("MARÍA"), "maría");
        assert_eq!(fold("MARI\u{301}A"), "maría");
        assert_eq!(fold("mari\u{301}a"), fold("María"));
        assert_eq!(fold("ÇINAREL"), "çinarel");
        assert_eq!(fold("ΣΟΦΊΑ"), "σοφία");
    }

    #[test]
    fn dotted_capital_i_is_not_plain_i() {
        assert_eq!(fold("MARİAGRANDURY"), "mari\u{307}agrandury");
        assert_ne!(fold("MARİAGRANDURY"), fold("MARIAGRANDURY"));
    }

    #[test]
    fn lowercase_letters_stay_as_they_are() {
        for text in ["ß", "ſ", "ı", "ς", "ﬁ"] {
            assert_eq!(fold(text), text);
        }
    }

    #[test]
    fn wildcards_and_escapes_are_left_alone() {
        assert_eq!(fold("100%_\\"), "100%_\\");
    }

    /// Over every character: folding twice changes nothing, and a character folds to
    /// ASCII only when it is canonically an ASCII character (the Kelvin sign is `K`), so
    /// no non-ASCII spelling can ever match an ASCII handle.
    #[test]
    fn no_character_folds_to_ascii_unless_it_is_ascii_up_to_normalization() {
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let text = c.to_string();
            let folded = fold(&text);
            assert_eq!(fold(&folded), folded, "{:04X} folds unstably", c as u32);
            if !c.is_ascii() && folded.is_ascii() {
                assert!(
                    text.nfd().all(|d| d.is_ascii()),
                    "{:04X} folds to ASCII {folded:?}",
                    c as u32
                );
            }
        }
    }
}
