//! Answers fields in the order the query asks for them (GraphQL spec, "Serialized Map Ordering").
//!
//! async-graphql 7.2 resolves an object's fields concurrently and inserts each as it completes,
//! so a field served from the database can come after one computed in memory.
//! [`in_query_order`] reorders the response's objects by their selection sets (fragments
//! expanded, first occurrence wins), recursively, before the answer is sent
//! (`super::executor`).

use std::cell::OnceCell;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Response, Value};

/// Puts the fields of `response`'s data in the order of the operation `operation_name` (or the
/// only one) of `document`.
pub fn in_query_order(
    response: &mut Response,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    let operation = document
        .operations
        .iter()
        .find(|(name, _)| operation_name.is_none() || name.map(Name::as_str) == operation_name);
    if let Some((_, operation)) = operation {
        reorder(
            &mut response.data,
            &[&operation.node.selection_set.node],
            document,
        );
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
    reorder_with(value, &Shape::of(sets, document), document);
}

/// The response keys of a selection in order, each with the shape of its own selection, worked
/// out once when first needed: every object of a list shares its selection (`keyed` ignores
/// type conditions), and a report's 5,000 rows would otherwise walk the same fragments 5,000
/// times.
struct Shape<'a> {
    fields: Vec<Field<'a>>,
}

struct Field<'a> {
    key: &'a str,
    sets: Vec<&'a SelectionSet>,
    shape: OnceCell<Shape<'a>>,
}

impl<'a> Shape<'a> {
    fn of(sets: &[&'a SelectionSet], document: &'a ExecutableDocument) -> Self {
        let mut keys = Vec::new();
        keyed(sets, document, &mut keys, 0);
        let fields = keys
            .into_iter()
            .map(|(key, sets)| Field {
                key,
                sets,
                shape: OnceCell::new(),
            })
            .collect();
        Self { fields }
    }

    /// Where the response key `name` is among the fields, at or after `from`.
    fn position(&self, from: usize, name: &Name) -> Option<usize> {
        self.fields[from..]
            .iter()
            .position(|field| field.key == name.as_str())
            .map(|at| from + at)
    }

    /// Whether `map`'s entries already come in this order (each one a field, in order).
    fn orders(&self, map: &IndexMap<Name, Value>) -> bool {
        let mut next = 0;
        map.keys().all(|name| match self.position(next, name) {
            Some(at) => {
                next = at + 1;
                true
            }
            None => false,
        })
    }
}

impl<'a> Field<'a> {
    fn shape(&self, document: &'a ExecutableDocument) -> &Shape<'a> {
        self.shape.get_or_init(|| Shape::of(&self.sets, document))
    }
}

fn reorder_with<'a>(value: &mut Value, shape: &Shape<'a>, document: &'a ExecutableDocument) {
    match value {
        Value::Object(map) => {
            if shape.orders(map) {
                // Most objects: their fields resolved in order. Only their children are walked.
                let mut next = 0;
                for (name, child) in map.iter_mut() {
                    if let Some(at) = shape.position(next, name) {
                        next = at + 1;
                        reorder_with(child, shape.fields[at].shape(document), document);
                    }
                }
                return;
            }
            let mut old = std::mem::take(map);
            let mut ordered = IndexMap::with_capacity(old.len());
            for field in &shape.fields {
                if let Some((name, mut child)) = old.shift_remove_entry(field.key) {
                    reorder_with(&mut child, field.shape(document), document);
                    ordered.insert(name, child);
                }
            }
            ordered.extend(old);
            *map = ordered;
        }
        Value::List(items) => {
            for item in items {
                reorder_with(item, shape, document);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn object(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (Name::new(k), v)).collect())
    }

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(ToString::to_string).collect(),
            _ => Vec::new(),
        }
    }

    fn field<'v>(value: &'v Value, name: &str) -> &'v Value {
        match value {
            Value::Object(map) => map.get(name).expect("field"),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn objects_and_list_items_follow_the_query_order() {
        let document =
            parse_query("query { rows { b ...F c { y x } } } fragment F on Row { a }").unwrap();
        let (_, operation) = document.operations.iter().next().unwrap();
        let selection = operation.node.selection_set.node.clone();
        let row = |n: i32| {
            let c = object(vec![("x", Value::from(n)), ("y", Value::from(n))]);
            object(vec![("c", c), ("a", Value::from(n)), ("b", Value::from(n))])
        };
        // The third row's own fields are in order already: its child `c` is not.
        let ordered = object(vec![
            ("b", Value::from(3)),
            ("a", Value::from(3)),
            (
                "c",
                object(vec![("x", Value::from(3)), ("y", Value::from(3))]),
            ),
        ]);
        let mut data = object(vec![("rows", Value::List(vec![row(1), row(2), ordered]))]);
        reorder(&mut data, &[&selection], &document);
        let Value::List(rows) = field(&data, "rows") else {
            panic!("rows is a list");
        };
        for row in rows {
            assert_eq!(
                keys(row),
                ["b", "a", "c"],
                "fragment fields where it is spread"
            );
            assert_eq!(keys(field(row, "c")), ["y", "x"]);
        }
    }
}
