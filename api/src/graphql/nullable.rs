//! Field errors, as the GraphQL specification has them: an error on a nullable field
//! makes that field `null` and is reported in `errors` with its path; the rest of the
//! response comes back. (async-graphql 7.2 instead drops the field's key, and an object
//! left with no keys becomes `null`, which would hide public data behind a private
//! field's `FORBIDDEN`.) Errors on non-null fields keep the library's behaviour.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{Response, ServerError, ServerResult, Value};

/// The extension that answers a failed nullable field with `null` and its error (see
/// the module doc); only the `exact` schema carries it.
pub struct NullOnFieldError;

impl ExtensionFactory for NullOnFieldError {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Collector::default())
    }
}

/// One per request: the errors of fields resolved to `null`.
#[derive(Default)]
struct Collector {
    errors: Mutex<Vec<ServerError>>,
}

#[async_trait::async_trait]
impl Extension for Collector {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let nullable = !info.return_type.ends_with('!');
        match next.run(ctx, info).await {
            Err(error) if nullable => {
                if let Ok(mut errors) = self.errors.lock() {
                    errors.push(error);
                }
                Ok(Some(Value::Null))
            }
            other => other,
        }
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        if let Ok(mut errors) = self.errors.lock() {
            response.errors.append(&mut errors);
        }
        response
    }
}
