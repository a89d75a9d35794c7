//! Validated values: input that does not parse is refused at the edge with the field
//! it came in and a reason, so that no invalid handle, address or URL gets past it.
//! Each function takes the field path (`input.nomineeEmail`) for the error.

use serde_json::{json, Value};

use crate::error::{ServiceError, ServiceResult};

pub const MAX_HANDLE_CHARS: usize = 39;
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_LINKS: usize = 10;

/// Trimmed text of `min..=max` characters.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> ServiceResult<String> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars < min {
        return Err(ServiceError::invalid(
            field,
            if min == 1 {
                "This cannot be empty.".to_owned()
            } else {
                format!("This needs at least {min} characters.")
            },
        ));
    }
    if chars > max {
        return Err(ServiceError::invalid(
            field,
            format!("This is at most {max} characters."),
        ));
    }
    Ok(value.to_owned())
}

/// Optional text of at most `max` characters; blank becomes absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> ServiceResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => text(field, v, 1, max).map(Some),
        None => Ok(None),
    }
}

/// A hub handle: letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn handle(field: &str, value: &str) -> ServiceResult<String> {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.len() <= MAX_HANDLE_CHARS
        && value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ServiceError::invalid(
            field,
            format!(
                "A handle is 1 to {MAX_HANDLE_CHARS} letters, digits, '-', '_' or '.', starting with a letter or digit."
            ),
        ))
    }
}

/// A slug: lower-case letters and digits in words joined by single hyphens, at most 60
/// characters, such as `speech-and-audio`.
pub fn slug(field: &str, value: &str) -> ServiceResult<String> {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.len() <= 60
        && value.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ServiceError::invalid(
            field,
            "A slug is lower-case letters and digits joined by single hyphens, at most 60 characters.",
        ))
    }
}

/// An e-mail address of the usual shape: `local@domain.tld`, no spaces.
pub fn email(field: &str, value: &str) -> ServiceResult<String> {
    let value = value.trim();
    let refuse = || ServiceError::invalid(field, "This is not an e-mail address.");
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse());
    }
    let (local, domain) = value.rsplit_once('@').ok_or_else(refuse)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.'));
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(refuse());
    }
    Ok(value.to_owned())
}

/// An absolute `http` or `https` URL with a host.
pub fn http_url(field: &str, value: &str) -> ServiceResult<String> {
    let value = value.trim();
    let refuse = || ServiceError::invalid(field, "This must be an http or https URL.");
    if value.len() > MAX_URL_CHARS || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse());
    }
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(refuse)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err(refuse());
    }
    Ok(value.to_owned())
}

/// A link as a client sends it.
#[derive(serde::Serialize)]
pub struct LinkInput {
    pub label: String,
    pub url: String,
}

/// At most ten labelled http(s) links, as stored (a JSON list of `{label, url}`).
pub fn links(field: &str, links: &[LinkInput]) -> ServiceResult<Value> {
    if links.len() > MAX_LINKS {
        return Err(ServiceError::invalid(
            field,
            format!("At most {MAX_LINKS} links."),
        ));
    }
    let mut out = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let label = text(&format!("{field}.{i}.label"), &link.label, 1, 50)?;
        let url = http_url(&format!("{field}.{i}.url"), &link.url)?;
        out.push(json!({ "label": label, "url": url }));
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_hub_shaped() {
        for good in ["merve", "mrm8488", "ariG23498", "reach-vb", "a.b_c"] {
            assert!(handle("h", good).is_ok(), "{good}");
        }
        for bad in ["", "-lead", "has space", "naïve", "x/y", &"a".repeat(40)] {
            assert!(handle("h", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert!(slug("s", "speech-and-audio").is_ok());
        assert!(slug("s", "pytorch-foundation2").is_ok());
        for bad in [
            "",
            "Speech",
            "a--b",
            "-a",
            "a-",
            "a_b",
            "a b",
            &"a".repeat(61),
        ] {
            assert!(slug("s", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(email("e", "ada@example.org").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a da@example.org",
            "ada@.org",
            "ada@example..org",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        assert!(http_url("u", "https://huggingface.co/merve").is_ok());
        assert!(http_url("u", "http://example.org").is_ok());
        for bad in [
            "",
            "ftp://example.org",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "example.org",
            "https://a b",
        ] {
            assert!(http_url("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("t", "  hi  ", 1, 5).unwrap(), "hi");
        assert!(text("t", "   ", 1, 5).is_err());
        assert!(text("t", "toolong", 1, 5).is_err());
        assert_eq!(optional_text("t", Some("  "), 5).unwrap(), None);
    }
}
