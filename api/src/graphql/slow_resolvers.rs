//! Spans for slow resolvers, while traces are sent: a resolver that took at least
//! `TRACE_SLOW_RESOLVER` gets a span under its operation's, made once it returned (with
//! its real start and end), so that a page of twenty rows costs no span per field and
//! the one field that waited stands out. The span names the field and its path in the
//! response, never its arguments.
//!
//! An extension puts every field on async-graphql's slower path (see
//! `graphql::Schemas`), so it is installed only while traces are sent, and not at all
//! with `TRACE_SLOW_RESOLVER=off`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use opentelemetry::KeyValue;

/// The extension, with the threshold a resolver must reach to get a span.
pub struct SlowResolvers {
    /// The least time a resolver took for a span to be made of it.
    pub threshold: Duration,
}

impl ExtensionFactory for SlowResolvers {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Timer {
            threshold: self.threshold,
        })
    }
}

struct Timer {
    threshold: Duration,
}

#[async_trait::async_trait]
impl Extension for Timer {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let (parent_type, field, path) = (info.parent_type, info.name, info.path_node);
        let started_at = SystemTime::now();
        let started = Instant::now();
        let resolved = next.run(ctx, info).await;
        let took = started.elapsed();
        if took >= self.threshold {
            let ended_at = started_at + took;
            let mut attributes = vec![
                KeyValue::new("graphql.field.name", field.to_owned()),
                KeyValue::new("graphql.field.parent_type", parent_type.to_owned()),
                KeyValue::new("graphql.field.path", path.to_string()),
            ];
            if resolved.is_err() {
                attributes.push(KeyValue::new("graphql.field.failed", true));
            }
            crate::telemetry::past_span(
                format!("resolve {parent_type}.{field}"),
                started_at,
                ended_at,
                attributes,
            );
        }
        resolved
    }
}
