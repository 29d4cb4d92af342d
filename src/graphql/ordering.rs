//! Answers fields in the order the query asks for them (GraphQL spec, "Serialized Map Ordering").
//!
//! async-graphql 7.2 resolves an object's fields concurrently and inserts each as it completes,
//! so a field served from the database can come after one computed in memory. This extension
//! keeps the parsed document and reorders the response's objects by their selection sets
//! (fragments expanded, first occurrence wins), recursively, before the answer is sent.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Response, ServerResult, Value, Variables};

pub struct FieldOrder;

impl ExtensionFactory for FieldOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldOrderExtension::default())
    }
}

#[derive(Default)]
struct FieldOrderExtension {
    document: Mutex<Option<ExecutableDocument>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for FieldOrderExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        *self.document.lock().unwrap_or_else(|e| e.into_inner()) = Some(document.clone());
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let document = self
            .document
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(document) = document {
            let operation = document
                .operations
                .iter()
                .find(|(name, _)| {
                    operation_name.is_none() || name.map(Name::as_str) == operation_name
                })
                .map(|(_, op)| op.node.selection_set.node.clone());
            if let Some(selection) = operation {
                reorder(&mut response.data, &[&selection], &document);
            }
        }
        response
    }
}

/// Response keys of `sets` in order, each with the sub-selections that apply to it.
fn keyed<'a>(
    sets: &[&'a SelectionSet],
    document: &'a ExecutableDocument,
    out: &mut Vec<(&'a str, Vec<&'a SelectionSet>)>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    for set in sets {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.as_str();
                    let sub = &field.node.selection_set.node;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, subs)) => subs.push(sub),
                        None => out.push((key, vec![sub])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        keyed(
                            &[&fragment.node.selection_set.node],
                            document,
                            out,
                            depth + 1,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    keyed(&[&inline.node.selection_set.node], document, out, depth + 1);
                }
            }
        }
    }
}

fn reorder(value: &mut Value, sets: &[&SelectionSet], document: &ExecutableDocument) {
    match value {
        Value::Object(map) => {
            let mut keys = Vec::new();
            keyed(sets, document, &mut keys, 0);
            let mut old = std::mem::take(map);
            let mut ordered = IndexMap::with_capacity(old.len());
            for (key, subs) in keys {
                if let Some((name, mut child)) = old.shift_remove_entry(key) {
                    reorder(&mut child, &subs, document);
                    ordered.insert(name, child);
                }
            }
            ordered.extend(old);
            *map = ordered;
        }
        Value::List(items) => {
            for item in items {
                reorder(item, sets, document);
            }
        }
        _ => {}
    }
}
