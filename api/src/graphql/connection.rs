//! Relay connection types. Every list of the API is one of these, built from a
//! [`crate::service::page::Page`]; see that module for the paging rules.

use async_graphql::{Context, SimpleObject, Value};

use crate::service::page::{CursorKeys, Page, PageArgs, Window};

/// Where a page sits in the whole list.
#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// The cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of this page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// Where `page` sits: whether items lie beyond it either way, and the cursors of its
    /// first and last items (`None` for an empty page).
    pub fn of<T>(page: &Page<T>) -> Self {
        PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.edges.first().map(|(c, _)| page.cursor(c)),
            end_cursor: page.edges.last().map(|(c, _)| page.cursor(c)),
        }
    }
}

/// The Relay arguments of one connection field, with the server's cursor keys.
pub fn page_args(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
        keys: cursor_keys(ctx).clone(),
    }
}

/// Whether the nodes of the connection being resolved select `field`, through
/// `edges { node { ... } }` or `nodes { ... }` (fragments included): a list may then
/// read a to-one relation in its own statement rather than leave it to a loader.
pub fn nodes_select(ctx: &Context<'_>, field: &str) -> bool {
    let selection = ctx.look_ahead();
    selection.field("edges").field("node").field(field).exists()
        || selection.field("nodes").field(field).exists()
}

/// Whether the nodes of the connection being resolved select `inner` of their field
/// `field` (`totalCount` of a nested connection, say).
pub fn nodes_select_within(ctx: &Context<'_>, field: &str, inner: &str) -> bool {
    let selection = ctx.look_ahead();
    selection
        .field("edges")
        .field("node")
        .field(field)
        .field(inner)
        .exists()
        || selection.field("nodes").field(field).field(inner).exists()
}

/// The windows that the nodes of the connection being resolved ask of their nested
/// connection `field` (one per occurrence: aliases may ask for different pages), so that
/// a list can load the nested pages of all its rows before their resolvers run. An
/// occurrence whose arguments are invalid is left out: its resolver reports the error.
pub fn nested_windows(ctx: &Context<'_>, field: &str, scope: &str) -> Vec<Window> {
    let selection = ctx.look_ahead();
    let occurrences = [
        selection.field("edges").field("node").field(field),
        selection.field("nodes").field(field),
    ];
    let mut windows: Vec<Window> = Vec::new();
    for occurrence in occurrences
        .iter()
        .flat_map(async_graphql::Lookahead::selection_fields)
    {
        let Ok(arguments) = occurrence.arguments() else {
            continue;
        };
        let argument = |name: &str| arguments.iter().find(|(n, _)| n.as_str() == name);
        let count = |name: &str| match argument(name) {
            Some((_, Value::Number(n))) => n.as_i64().map(|n| i32::try_from(n).ok()),
            Some((_, Value::Null)) | None => Some(None),
            Some(_) => None,
        };
        let cursor = |name: &str| match argument(name) {
            Some((_, Value::String(text))) => Some(Some(text.clone())),
            Some((_, Value::Null)) | None => Some(None),
            Some(_) => None,
        };
        let (Some(first), Some(last), Some(after), Some(before)) = (
            count("first"),
            count("last"),
            cursor("after"),
            cursor("before"),
        ) else {
            continue;
        };
        if let Ok(window) = page_args(ctx, first, after, last, before).window(scope) {
            if !windows.contains(&window) {
                windows.push(window);
            }
        }
    }
    windows
}

/// The keys that sign and verify this server's cursors (list and event cursors alike).
pub fn cursor_keys<'a>(ctx: &Context<'a>) -> &'a CursorKeys {
    ctx.data_unchecked::<CursorKeys>()
}

/// Declares `$connection` and `$edge` for nodes of type `$node`.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, " (a Relay cursor connection).")]
        pub struct $connection(pub $crate::service::page::Page<$node>);

        #[async_graphql::Object]
        impl $connection {
            /// The items of this page, each with its cursor.
            async fn edges(&self) -> Vec<$edge<'_>> {
                // Lent from the page, not copied: a page's rows are resolved in place.
                self.0
                    .edges
                    .iter()
                    .map(|(position, node)| $edge {
                        page: &self.0,
                        position,
                        node,
                    })
                    .collect()
            }

            /// The items of this page, without cursors.
            async fn nodes(&self) -> Vec<&$node> {
                self.0.edges.iter().map(|(_, node)| node).collect()
            }

            /// Where this page sits in the whole list.
            async fn page_info(&self) -> $crate::graphql::connection::PageInfo {
                $crate::graphql::connection::PageInfo::of(&self.0)
            }

            /// How many items the whole list holds, over all pages.
            async fn total_count(&self) -> async_graphql::Result<i64> {
                Ok(self.0.total_count.resolve().await? as i64)
            }
        }

        #[doc = concat!("One item of a page of ", $what, ", with its cursor, signed when it is asked for.")]
        pub struct $edge<'a> {
            page: &'a $crate::service::page::Page<$node>,
            position: &'a $crate::service::page::Cursor,
            node: &'a $node,
        }

        #[doc = concat!("One item of a page of ", $what, ", with its cursor.")]
        #[async_graphql::Object]
        impl<'a> $edge<'a> {
            /// An opaque position to pass as `after` or `before`.
            async fn cursor(&self) -> String {
                self.page.cursor(self.position)
            }

            /// The item at this position.
            async fn node(&self) -> &'a $node {
                self.node
            }
        }
    };
}

pub(crate) use connection;
