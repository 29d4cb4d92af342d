//! Selection depth, on our own parse (fragments expanded, each computed once), replacing
//! async-graphql's `limit_depth`, which counts introspection like any selection: the standard
//! introspection query (GraphiQL's, graphql-js's) follows type references through nine nested
//! `ofType` and is 14 levels deep, so staff allowed to introspect could not. An introspection
//! root that expands each type once ([`super::introspection`]) counts as one level: its answer is
//! bounded by the schema, whatever its text's nesting. Any other introspection counts in full.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};

use super::introspection;

/// The deepest field nesting of any operation of `document` (a field at the root is 1).
pub(super) fn of(document: &ExecutableDocument) -> usize {
    let mut depth = Depth {
        fragments: &document.fragments,
        memo: HashMap::new(),
        visiting: Vec::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| depth.selection(&operation.node.selection_set.node))
        .max()
        .unwrap_or(0)
}

struct Depth<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    memo: HashMap<&'a str, usize>,
    visiting: Vec<&'a str>,
}

impl<'a> Depth<'a> {
    fn selection(&mut self, set: &'a SelectionSet) -> usize {
        let mut deepest = 0;
        for selection in &set.items {
            let depth = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let set = &field.selection_set.node;
                    if introspection::is_bounded(field, self.fragments) {
                        1
                    } else {
                        1 + self.selection(set)
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.selection(&inline.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            deepest = deepest.max(depth);
        }
        deepest
    }

    fn fragment(&mut self, name: &'a str) -> usize {
        if let Some(depth) = self.memo.get(name) {
            return *depth;
        }
        // An unknown fragment is refused by validation; a cycle by the size check, before this.
        let Some(fragment) = self.fragments.get(name) else {
            return 0;
        };
        if self.visiting.contains(&name) {
            return 0;
        }
        self.visiting.push(name);
        let depth = self.selection(&fragment.node.selection_set.node);
        self.visiting.pop();
        self.memo.insert(name, depth);
        depth
    }
}
