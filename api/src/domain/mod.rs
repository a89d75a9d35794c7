//! Validated values: input that does not parse is refused at the edge with the field
//! it came in and a reason. Each value is a type whose only constructor is `parse`, so
//! that a service holding a [`Handle`], an [`Email`] or a [`Line`] holds a valid one:
//! no invalid handle, address or URL gets past the edge, and no column is written from
//! text that skipped the check.
//!
//! `parse` takes the field path (`input.nomineeEmail`) for the error and trims the value.

use std::fmt;
use std::ops::Deref;

use serde_json::{json, Value};

use crate::error::{ServiceError, ServiceResult};

/// The longest hub handle, as the hub itself allows.
pub const MAX_HANDLE_CHARS: usize = 39;
/// The longest slug of a strategic area or an organization.
pub const MAX_SLUG_CHARS: usize = 60;
/// The longest e-mail address (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest URL kept.
pub const MAX_URL_CHARS: usize = 2000;
/// The most links a profile or a nomination carries.
pub const MAX_LINKS: usize = 10;

/// Gives a validated string type the read-only views every column and message needs.
/// There is deliberately no `From<String>`: the only way in is `parse`.
macro_rules! validated_string {
    ($name:ident $(<const $p:ident: usize>)?) => {
        impl$(<const $p: usize>)? $name$(<$p>)? {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A value that may be left out: absent or blank is `None`.
            pub fn optional(field: &str, value: Option<&str>) -> ServiceResult<Option<Self>> {
                match value.map(str::trim).filter(|v| !v.is_empty()) {
                    Some(v) => Self::parse(field, v).map(Some),
                    None => Ok(None),
                }
            }
        }

        impl$(<const $p: usize>)? Deref for $name$(<$p>)? {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl$(<const $p: usize>)? AsRef<str> for $name$(<$p>)? {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl$(<const $p: usize>)? fmt::Display for $name$(<$p>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl$(<const $p: usize>)? From<$name$(<$p>)?> for String {
            fn from(value: $name$(<$p>)?) -> String {
                value.0
            }
        }
    };
}

/// Trimmed text of 1 to `MAX` characters (characters, not bytes: a name in Devanagari
/// gets the same room as one in Latin letters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);
validated_string!(Text<const MAX: usize>);

/// A name, a title, a headline: one line of at most 200 characters.
pub type Line = Text<200>;
/// A comment, a decision's note, the support a nomination asks for: at most 2,000.
pub type Note = Text<2000>;
/// A description, a bio, a rationale: at most 5,000.
pub type Prose = Text<5000>;

impl<const MAX: usize> Text<MAX> {
    /// The trimmed text, refused when it is blank or longer than `MAX` characters.
    pub fn parse(field: &str, value: &str) -> ServiceResult<Self> {
        let value = value.trim();
        if value.is_empty() {
            return Err(ServiceError::invalid(field, "This cannot be empty."));
        }
        if value.chars().count() > MAX {
            return Err(ServiceError::invalid(
                field,
                format!("This is at most {MAX} characters."),
            ));
        }
        Ok(Self(value.to_owned()))
    }
}

/// A hub handle: letters, digits, `-`, `_` and `.`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle(String);
validated_string!(Handle);

impl Handle {
    /// The trimmed handle, refused unless it has the hub's shape and length (case is
    /// kept as given).
    pub fn parse(field: &str, value: &str) -> ServiceResult<Self> {
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
            Ok(Self(value.to_owned()))
        } else {
            Err(ServiceError::invalid(
                field,
                format!(
                    "A handle is 1 to {MAX_HANDLE_CHARS} letters, digits, '-', '_' or '.', starting with a letter or digit."
                ),
            ))
        }
    }

    /// Whether `other` names the same person: the hub ignores case in handles.
    pub fn is(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

/// A slug: lower-case letters and digits in words joined by single hyphens, such as
/// `speech-and-audio`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);
validated_string!(Slug);

impl Slug {
    /// The trimmed slug, refused unless it has that shape and at most
    /// [`MAX_SLUG_CHARS`] characters.
    pub fn parse(field: &str, value: &str) -> ServiceResult<Self> {
        let value = value.trim();
        let valid = !value.is_empty()
            && value.len() <= MAX_SLUG_CHARS
            && value.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            });
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(ServiceError::invalid(
                field,
                format!(
                    "A slug is lower-case letters and digits joined by single hyphens, at most {MAX_SLUG_CHARS} characters."
                ),
            ))
        }
    }
}

/// An e-mail address of the usual shape: `local@domain.tld`, no spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);
validated_string!(Email);

impl Email {
    /// The trimmed address, refused unless it has one `@` between a local part of 1 to
    /// 64 bytes and a dotted domain, and at most [`MAX_EMAIL_CHARS`] bytes in all.
    /// Nothing is sent to it to check that it exists.
    pub fn parse(field: &str, value: &str) -> ServiceResult<Self> {
        let value = value.trim();
        let refuse = || ServiceError::invalid(field, "This is not an e-mail address.");
        if value.len() > MAX_EMAIL_CHARS
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
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
        Ok(Self(value.to_owned()))
    }
}

/// An absolute `http` or `https` URL with a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl(String);
validated_string!(HttpUrl);

impl HttpUrl {
    /// The trimmed URL, refused unless it starts with `http://` or `https://` (in any
    /// case), names a host, holds no whitespace and is at most [`MAX_URL_CHARS`] bytes
    /// long.
    pub fn parse(field: &str, value: &str) -> ServiceResult<Self> {
        let value = value.trim();
        let refuse = || ServiceError::invalid(field, "This must be an http or https URL.");
        if value.len() > MAX_URL_CHARS || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(refuse());
        }
        let lower = value.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or_else(refuse)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        // A user name or password in a link is a credential published, or a disguise
        // (`https://huggingface.co@elsewhere.example`): neither belongs on a profile.
        if authority.contains('@') {
            return Err(ServiceError::invalid(
                field,
                "A URL may not carry a user name or password.",
            ));
        }
        if authority.is_empty() || authority.starts_with(':') {
            return Err(refuse());
        }
        Ok(Self(value.to_owned()))
    }
}

/// A link as a client sends it, before it is checked.
#[derive(serde::Serialize)]
pub struct LinkInput {
    /// What the link is, such as `Hub` or `Blog`.
    pub label: String,
    /// Where it points.
    pub url: String,
}

/// A labelled http(s) link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// What the link is: 1 to 50 characters.
    pub label: Text<50>,
    /// Where it points.
    pub url: HttpUrl,
}

/// At most [`MAX_LINKS`] links, stored as a JSON list of `{label, url}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Links(Vec<Link>);

impl Links {
    /// Checks every link, naming the one refused by its place (`input.links.2.url`).
    pub fn parse(field: &str, links: &[LinkInput]) -> ServiceResult<Self> {
        if links.len() > MAX_LINKS {
            return Err(ServiceError::invalid(
                field,
                format!("At most {MAX_LINKS} links."),
            ));
        }
        links
            .iter()
            .enumerate()
            .map(|(i, link)| {
                Ok(Link {
                    label: Text::parse(&format!("{field}.{i}.label"), &link.label)?,
                    url: HttpUrl::parse(&format!("{field}.{i}.url"), &link.url)?,
                })
            })
            .collect::<ServiceResult<_>>()
            .map(Self)
    }

    /// The stored form.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|link| json!({ "label": link.label.as_str(), "url": link.url.as_str() }))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_hub_shaped() {
        for good in ["merve", "mrm8488", "ariG23498", "reach-vb", "a.b_c"] {
            assert_eq!(Handle::parse("h", good).unwrap().as_str(), good);
        }
        for bad in ["", "-lead", "has space", "naïve", "x/y", &"a".repeat(40)] {
            assert!(Handle::parse("h", bad).is_err(), "{bad}");
        }
        assert_eq!(Handle::parse("h", "  merve ").unwrap().as_str(), "merve");
    }

    #[test]
    fn handles_compare_ignoring_case() {
        let handle = Handle::parse("h", "ArthurZ").unwrap();
        assert!(handle.is("arthurz"));
        assert!(handle.is("ARTHURZ"));
        assert!(!handle.is("arthur"));
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert!(Slug::parse("s", "speech-and-audio").is_ok());
        assert!(Slug::parse("s", "pytorch-foundation2").is_ok());
        assert!(Slug::parse("s", &"a".repeat(MAX_SLUG_CHARS)).is_ok());
        for bad in [
            "",
            "Speech",
            "a--b",
            "-a",
            "a-",
            "a_b",
            "a b",
            &"a".repeat(MAX_SLUG_CHARS + 1),
        ] {
            assert!(Slug::parse("s", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("e", "ada@example.org").is_ok());
        let long = format!("{}@example.org", "a".repeat(MAX_EMAIL_CHARS));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a da@example.org",
            "ada@.org",
            "ada@example..org",
            &long,
        ] {
            assert!(Email::parse("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        assert!(HttpUrl::parse("u", "https://huggingface.co/merve").is_ok());
        assert!(HttpUrl::parse("u", "http://example.org").is_ok());
        for bad in [
            "",
            "ftp://example.org",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "example.org",
            "https://a b",
            "https://user:secret@example.org/",
            "https://huggingface.co@elsewhere.example/",
        ] {
            assert!(HttpUrl::parse("u", bad).is_err(), "{bad}");
        }
        // An @ after the host is part of the path, as on the hub's own pages.
        assert!(HttpUrl::parse("u", "https://example.org/@merve").is_ok());
        assert_eq!(HttpUrl::optional("u", Some("  ")).unwrap(), None);
        assert_eq!(HttpUrl::optional("u", None).unwrap(), None);
        assert!(HttpUrl::optional("u", Some("nope")).is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(Text::<5>::parse("t", "  hi  ").unwrap().as_str(), "hi");
        assert!(Text::<5>::parse("t", "   ").is_err());
        assert!(Text::<5>::parse("t", "toolong").is_err());
        // Five characters of two bytes each fit in five.
        assert!(Text::<5>::parse("t", "ééééé").is_ok());
        assert_eq!(Text::<5>::optional("t", Some("  ")).unwrap(), None);
        assert_eq!(
            Text::<5>::optional("t", Some(" ok "))
                .unwrap()
                .map(String::from),
            Some("ok".to_owned())
        );
    }

    #[test]
    fn a_refusal_names_the_field_it_came_in() {
        match Line::parse("input.name", "") {
            Err(ServiceError::InvalidInput { field, .. }) => {
                assert_eq!(field.as_deref(), Some("input.name"));
            }
            other => panic!("expected an invalid-input refusal, got {other:?}"),
        }
        let links = [
            LinkInput {
                label: "Hub".into(),
                url: "https://huggingface.co".into(),
            },
            LinkInput {
                label: "Site".into(),
                url: "not a url".into(),
            },
        ];
        match Links::parse("input.links", &links) {
            Err(ServiceError::InvalidInput { field, .. }) => {
                assert_eq!(field.as_deref(), Some("input.links.1.url"));
            }
            other => panic!("expected an invalid-input refusal, got {other:?}"),
        }
    }

    #[test]
    fn links_are_stored_as_a_list_of_labels_and_urls() {
        let links = Links::parse(
            "l",
            &[LinkInput {
                label: " Hub ".into(),
                url: "https://huggingface.co/merve".into(),
            }],
        )
        .unwrap();
        assert_eq!(
            links.to_json(),
            json!([{ "label": "Hub", "url": "https://huggingface.co/merve" }])
        );
        let eleven: Vec<_> = (0..=MAX_LINKS)
            .map(|i| LinkInput {
                label: format!("l{i}"),
                url: "https://example.org".into(),
            })
            .collect();
        assert!(Links::parse("l", &eleven).is_err());
    }
}
