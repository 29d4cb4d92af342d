//! Walks the live schema (by introspection) to reach every argument of every root field: the
//! input-sweep attacks use it to put a hostile value in each String, ID, number and money leaf
//! while the rest of the arguments hold plausible values.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{TestApp, data};

const INTROSPECTION: &str = r#"{ __schema { types {
  kind name
  fields { name args { name type { ...Ref } } type { ...Ref } }
  inputFields { name type { ...Ref } }
  enumValues { name }
} } }
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// The schema as introspected by a staff caller.
pub struct Schema {
    types: HashMap<String, Value>,
}

/// One argument of a root field or one field of an input object.
#[derive(Clone)]
pub struct Input {
    pub name: String,
    pub ty: Value,
}

/// A root field with its arguments and the kind of its result.
pub struct RootField {
    pub operation: &'static str,
    pub name: String,
    pub args: Vec<Input>,
    pub returns_object: bool,
}

/// A step from an argument to a leaf: an object key, or the first element of a list.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    First,
}

/// A scalar leaf reachable from a root field's arguments: where it is and its scalar type.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub path: Vec<Step>,
    pub scalar: String,
}

impl Schema {
    pub async fn introspect(app: &TestApp, staff_token: &str) -> Self {
        let response = app
            .graphql_as(Some(staff_token), INTROSPECTION, json!({}))
            .await;
        let types = data(&response)["__schema"]["types"]
            .as_array()
            .expect("types")
            .iter()
            .map(|t| (t["name"].as_str().expect("name").to_owned(), t.clone()))
            .collect();
        Self { types }
    }

    /// Every field of Query and Mutation that takes arguments.
    pub fn root_fields(&self) -> Vec<RootField> {
        let mut fields = Vec::new();
        for (operation, type_name) in [("query", "Query"), ("mutation", "Mutation")] {
            for field in self.types[type_name]["fields"].as_array().expect("fields") {
                let args = inputs(&field["args"]);
                if args.is_empty() {
                    continue;
                }
                let returns = named(&field["type"]);
                let kind = self.types[returns]["kind"].as_str().unwrap_or_default();
                fields.push(RootField {
                    operation,
                    name: field["name"].as_str().expect("name").to_owned(),
                    args,
                    returns_object: matches!(kind, "OBJECT" | "INTERFACE" | "UNION"),
                });
            }
        }
        fields
    }

    /// Every scalar leaf under `inputs`, through input objects (down to `depth`) and lists.
    pub fn leaves(&self, inputs: &[Input], depth: usize) -> Vec<Leaf> {
        let mut leaves = Vec::new();
        for input in inputs {
            self.collect(
                &input.ty,
                vec![Step::Key(input.name.clone())],
                depth,
                &mut leaves,
            );
        }
        leaves
    }

    fn collect(&self, ty: &Value, path: Vec<Step>, depth: usize, out: &mut Vec<Leaf>) {
        match ty["kind"].as_str() {
            Some("NON_NULL") => self.collect(&ty["ofType"], path, depth, out),
            Some("LIST") => {
                let mut path = path;
                path.push(Step::First);
                self.collect(&ty["ofType"], path, depth, out);
            }
            Some("INPUT_OBJECT") if depth > 0 => {
                let object = &self.types[ty["name"].as_str().expect("name")];
                for input in inputs(&object["inputFields"]) {
                    let mut path = path.clone();
                    path.push(Step::Key(input.name.clone()));
                    self.collect(&input.ty, path, depth - 1, out);
                }
            }
            Some("SCALAR") => out.push(Leaf {
                path,
                scalar: ty["name"].as_str().expect("name").to_owned(),
            }),
            _ => {}
        }
    }

    /// A value for `ty` holding only what is required (plus, along `keep`, the fields that
    /// lead to the leaf under attack), each leaf from `plausible`.
    pub fn build(
        &self,
        ty: &Value,
        field: &str,
        keep: &[Step],
        plausible: &mut dyn FnMut(&str, &str) -> Value,
    ) -> Value {
        match ty["kind"].as_str() {
            Some("NON_NULL") => self.build(&ty["ofType"], field, keep, plausible),
            Some("LIST") => {
                let rest = match keep.first() {
                    Some(Step::First) => &keep[1..],
                    _ => &[],
                };
                json!([self.build(&ty["ofType"], field, rest, plausible)])
            }
            Some("INPUT_OBJECT") => {
                let object = &self.types[ty["name"].as_str().expect("name")];
                let mut map = Map::new();
                for input in inputs(&object["inputFields"]) {
                    let on_path = matches!(keep.first(), Some(Step::Key(k)) if *k == input.name);
                    if !on_path && !is_required(&input.ty) {
                        continue;
                    }
                    let rest = if on_path { &keep[1..] } else { &[] };
                    map.insert(
                        input.name.clone(),
                        self.build(&input.ty, &input.name, rest, plausible),
                    );
                }
                Value::Object(map)
            }
            Some("ENUM") => {
                let object = &self.types[ty["name"].as_str().expect("name")];
                object["enumValues"][0]["name"].clone()
            }
            _ => plausible(ty["name"].as_str().unwrap_or_default(), field),
        }
    }
}

fn inputs(list: &Value) -> Vec<Input> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| Input {
                    name: i["name"].as_str().expect("name").to_owned(),
                    ty: i["type"].clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The named type under any NON_NULL and LIST wrappers.
pub fn named(ty: &Value) -> &str {
    match ty["kind"].as_str() {
        Some("NON_NULL" | "LIST") => named(&ty["ofType"]),
        _ => ty["name"].as_str().unwrap_or_default(),
    }
}

pub fn is_required(ty: &Value) -> bool {
    ty["kind"] == "NON_NULL"
}

/// The type as written in a variable definition: `[ConversionInput!]!`.
pub fn type_text(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_text(&ty["ofType"])),
        Some("LIST") => format!("[{}]", type_text(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Replaces the leaf at `path` inside `value` with `with` (the path must exist).
pub fn replace(value: &mut Value, path: &[Step], with: Value) {
    let Some((step, rest)) = path.split_first() else {
        *value = with;
        return;
    };
    let next = match step {
        Step::Key(key) => &mut value[key.as_str()],
        Step::First => &mut value[0],
    };
    replace(next, rest, with);
}
