//! The cost of introspection (`__schema`, `__type`). Its answer is bounded by the schema, the
//! same for every caller, as long as each type is expanded (its `fields`, `inputFields`,
//! `enumValues`, `interfaces` or `possibleTypes` listed) only once: the standard query of
//! GraphiQL, graphql-js and code generators lists every type with its fields and follows type
//! references only through `ofType`. Such a query costs nothing; one that expands a type again
//! below an expansion (`fields { type { fields { ... } } }`) multiplies like any list and is
//! costed as one.

use std::collections::HashMap;

use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::{Name, Positioned};

/// The fields of `__Type` that list other definitions.
const EXPANDING: [&str; 5] = [
    "fields",
    "inputFields",
    "enumValues",
    "interfaces",
    "possibleTypes",
];

/// Whether `field` is an introspection root (`__schema`, `__type`) that expands each type
/// once: its answer is bounded by the schema, so it costs nothing and counts as one level.
pub(super) fn is_bounded(
    field: &Field,
    fragments: &HashMap<Name, Positioned<FragmentDefinition>>,
) -> bool {
    matches!(field.name.node.as_str(), "__schema" | "__type")
        && !expands_twice(&field.selection_set.node, fragments, false, &mut Vec::new())
}

/// Whether the selection under `__schema` or `__type` expands a type below an expansion.
/// Fields of `__Type` are told apart by name: no other introspection type has a field so named.
fn expands_twice<'a>(
    set: &'a SelectionSet,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    inside_expansion: bool,
    visiting: &mut Vec<&'a str>,
) -> bool {
    set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => {
            let expanding = EXPANDING.contains(&field.node.name.node.as_str());
            if expanding && inside_expansion {
                return true;
            }
            let inside = inside_expansion || expanding;
            expands_twice(&field.node.selection_set.node, fragments, inside, visiting)
        }
        Selection::InlineFragment(inline) => expands_twice(
            &inline.node.selection_set.node,
            fragments,
            inside_expansion,
            visiting,
        ),
        Selection::FragmentSpread(spread) => {
            let name = spread.node.fragment_name.node.as_str();
            let Some(fragment) = fragments.get(name) else {
                return false;
            };
            // A cycle is refused by the size check before costing.
            if visiting.contains(&name) {
                return false;
            }
            visiting.push(name);
            let found = expands_twice(
                &fragment.node.selection_set.node,
                fragments,
                inside_expansion,
                visiting,
            );
            visiting.pop();
            found
        }
    })
}
