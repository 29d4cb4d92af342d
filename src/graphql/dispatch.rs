//! The query and mutation roots find a field's resolver by its name in one look-up.
//!
//! A root merged by `#[derive(MergedObject)]` resolves a field by asking each of its parts in
//! turn, last part first, and each part compares the name with each of its fields: a field of
//! the first parts (`viewer`, `creators`) is found after a hundred string comparisons and a
//! nested future per part. Measured on `{ viewer { email } }`: about 2 us of server CPU per
//! request, 3% of it (BENCHMARKS.md, session 21). [`Dispatched`] keeps the derived root for
//! everything else (its type, field order, SDL) and sends each root field straight to the part
//! that declares it; a name it does not know goes down the derived chain, as before.
//!
//! Each part's future is boxed. async-graphql boxes every field's future of an object (root
//! included) by moving it onto the heap, so a root whose future holds every part's inline is
//! copied whole for each root field: 12 KB for `{ viewer { email } }`, 9% of the
//! server's instructions for it (callgrind; BENCHMARKS.md, session 23). Boxed, the root's future
//! is small and each part's is as large as that part alone needs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use async_graphql::parser::types::Field;
use async_graphql::registry::{MetaType, Registry};
use async_graphql::resolver_utils::resolve_container;
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, ObjectType, OutputType, Positioned, ServerResult,
    Value,
};

/// A root merged from parts, whose fields [`Dispatched`] can resolve part by part. Implemented
/// by [`graphql_parts!`](crate::graphql_parts).
pub trait Parts: ObjectType + Default {
    /// The field names of each part, in the order of the parts.
    fn field_names() -> Vec<Vec<String>>;

    /// Resolves the context's field with part `part` alone (`Ok(None)` if it has no such field).
    fn resolve_part(
        &self,
        part: usize,
        ctx: &Context<'_>,
    ) -> impl Future<Output = ServerResult<Option<Value>>> + Send;
}

/// The field names an object type declares.
pub fn field_names<T: OutputType>() -> Vec<String> {
    match Registry::default().create_fake_output_type::<T>() {
        MetaType::Object { fields, .. } => fields.into_keys().collect(),
        _ => Vec::new(),
    }
}

/// Which part declares each field: where two parts declare one name, the later part, as the
/// derived chain (which asks the last part first) answers it.
pub fn owners(parts: &[Vec<String>]) -> HashMap<String, usize> {
    parts
        .iter()
        .enumerate()
        .flat_map(|(part, names)| names.iter().map(move |name| (name.clone(), part)))
        .collect()
}

/// The merged root `M`, each field sent to its part by name.
pub struct Dispatched<M> {
    parts: M,
    owners: Arc<HashMap<String, usize>>,
}

impl<M: Parts> Default for Dispatched<M> {
    fn default() -> Self {
        Self {
            parts: M::default(),
            owners: Arc::new(owners(&M::field_names())),
        }
    }
}

impl<M: Parts> OutputType for Dispatched<M> {
    fn type_name() -> Cow<'static, str> {
        M::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        M::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        resolve_container(ctx, self).await
    }
}

impl<M: Parts> ContainerType for Dispatched<M> {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        if let Some(&part) = self.owners.get(ctx.item.node.name.node.as_str())
            && let Some(value) = self.parts.resolve_part(part, ctx).await?
        {
            return Ok(Some(value));
        }
        Box::pin(self.parts.resolve_field(ctx)).await
    }
}

impl<M: Parts> ObjectType for Dispatched<M> {}

/// Declares a root merged from the parts named, and implements [`Parts`] for it:
///
/// ```ignore
/// graphql_parts! {
///     #[graphql(name = "Query")]
///     pub struct QueryParts(NodeQuery, AccountQuery);
/// }
/// ```
///
/// The parts are resolvers without state (`#[derive(Default)] struct AccountQuery;`), as the
/// derived root is made by `Default` too: a part resolves with a value of its own.
#[macro_export]
macro_rules! graphql_parts {
    ($(#[$attr:meta])* $vis:vis struct $root:ident($($part:ty),+ $(,)?);) => {
        #[derive(async_graphql::MergedObject, Default)]
        $(#[$attr])*
        $vis struct $root($($part),+);

        impl $crate::graphql::dispatch::Parts for $root {
            fn field_names() -> Vec<Vec<String>> {
                vec![$($crate::graphql::dispatch::field_names::<$part>()),+]
            }

            async fn resolve_part(
                &self,
                part: usize,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
                let mut index = 0;
                $(
                    if part == index {
                        let resolver = <$part>::default();
                        // Boxed: the future is that part's alone, not one sized for every part.
                        return Box::pin(async_graphql::ContainerType::resolve_field(
                            &resolver, ctx,
                        ))
                        .await;
                    }
                    index += 1;
                )+
                let _ = index;
                Ok(None)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::owners;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn each_field_goes_to_the_part_that_declares_it() {
        let owners = owners(&[names(&["node", "nodes"]), names(&["viewer", "users"])]);
        assert_eq!(owners.get("node"), Some(&0));
        assert_eq!(owners.get("users"), Some(&1));
        assert_eq!(owners.get("creators"), None);
    }

    #[test]
    fn a_name_two_parts_declare_goes_to_the_later_as_in_the_derived_chain() {
        let owners = owners(&[names(&["viewer"]), names(&["viewer"])]);
        assert_eq!(owners.get("viewer"), Some(&1));
    }
}
