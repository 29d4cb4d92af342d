//! Document limits checked right after parsing, before validation, resolvers or SQL: query text
//! size, fields selected, aliases, directives, depth ([`depth`]), cost, and who may introspect.
//!
//! **Cost** (limit `PARTNERGRAPH_GRAPHQL_MAX_COMPLEXITY`, 1000) estimates the objects a query can
//! return, then counts **one point per 10 objects** ([`OBJECTS_PER_POINT`]):
//!
//! - scalars, enums and `__typename` are free;
//! - an object field (a to-one relation, a connection, `pageInfo`) is 1 object plus its selection;
//! - a connection's items (`edges { node }` or `nodes`) are its page size times one item: `first`
//!   as given (literal or variable), else 20, at most 100; the edge wrapper is free;
//! - any other list of objects counts [`LIST_MULTIPLIER`] (10) items;
//! - nested lists multiply, so a page of 100 holding pages of 100 is 10,000 objects and refused;
//! - introspection that expands each type once (GraphiQL's and code generators' query) is free:
//!   its answer is bounded by the schema ([`introspection`]).
//!
//! Points are per 10 objects, not per object as on Shopify, because related objects are loaded
//! in batches (a fixed number of statements per query, whatever the page sizes): the contract's
//! `Campaigns` query (20 campaigns x 50 enrollments, each with its creator and offer, about 3,000
//! objects) costs 305 points. A document with several operations is costed by its heaviest.
//!
//! The cost is reported to the caller through a [`CostReport`] in the request's data
//! (`extensions.cost` of `POST /graphql`), refused or not.
//!
//! Every rejection has `extensions.code` GRAPHQL_VALIDATION_FAILED, like depth and unknown fields,
//! except introspection refused to the caller: FORBIDDEN.

mod depth;
mod introspection;
mod parsed;
mod report;

pub use report::CostReport;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::parser::types::{
    ExecutableDocument, Field, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{
    Name, Positioned, Request, SchemaEnv, ServerError, ServerResult, Value, Variables,
};

use self::parsed::ParsedDocuments;
use super::connection::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use super::errors;
use crate::auth::Actor;
use crate::config::GraphqlConfig;
use crate::config::Introspection;
use crate::error::ErrorCode;

/// Objects per cost point.
pub const OBJECTS_PER_POINT: u64 = 10;
/// Items assumed for a list of objects that is not a connection (e.g. `performance.rows`,
/// `myLinks`): such lists are bounded by the data, not by an argument.
pub const LIST_MULTIPLIER: u64 = 10;

/// Whether `actor` may run `__schema` / `__type` under `policy`.
pub fn introspection_allowed(policy: Introspection, actor: Option<&Actor>) -> bool {
    match policy {
        Introspection::On => true,
        Introspection::Off => false,
        Introspection::Staff => actor.is_some_and(|actor| actor.role.is_staff()),
    }
}

/// The document limits and the introspection policy of one schema, checked on every operation
/// before it runs (by [`super::executor::Api`]).
pub struct Limits {
    config: GraphqlConfig,
    parsed: ParsedDocuments,
    /// The schema's types, by which a document is costed.
    env: SchemaEnv,
}

impl Limits {
    pub fn new(config: &GraphqlConfig, env: SchemaEnv) -> Self {
        Self {
            config: config.clone(),
            parsed: ParsedDocuments::new(parsed::CAPACITY),
            env,
        }
    }

    /// Whether `actor` may run `__schema` / `__type` under this schema's policy.
    pub fn may_introspect(&self, actor: Option<&Actor>) -> bool {
        introspection_allowed(self.config.introspection, actor)
    }

    /// Checks `request` and gives it its parsed document, which async-graphql then uses instead
    /// of parsing the text again; the document is returned too (the answer is ordered by it),
    /// with the request's cost in points. The cost goes to the request's [`CostReport`], refused
    /// or not; `known_cost` is that of the same request before (not costed again, see
    /// [`super::validated`]). `may_introspect`: the caller may run `__schema` / `__type`
    /// ([`introspection_allowed`]).
    ///
    /// This runs before async-graphql's recursion-depth check, which walks fragments wherever
    /// they are spread: a few fragments spreading each other twice over would keep it busy for
    /// hours.
    pub fn check(
        &self,
        request: &mut Request,
        may_introspect: bool,
        known_cost: Option<u64>,
    ) -> ServerResult<(Arc<ExecutableDocument>, u64)> {
        let limits = &self.config;
        if request.query.len() > limits.max_query_bytes {
            return Err(refused(format!(
                "the query text is {} bytes; at most {} are accepted",
                request.query.len(),
                limits.max_query_bytes
            )));
        }
        let document = self.checked_document(&request.query)?;
        let points = known_cost
            .unwrap_or_else(|| cost_points(&self.env.registry, &document, &request.variables));
        CostReport::record(request, points);
        if points > limits.max_complexity as u64 {
            return Err(refused(format!(
                "the query costs {points} points; at most {} are accepted \
                 (one point per {OBJECTS_PER_POINT} objects, list fields by their page size)",
                limits.max_complexity
            )));
        }
        if !may_introspect && introspects(&document) {
            let mut err = ServerError::new("introspection is not available to this caller", None);
            set_code(&mut err, ErrorCode::Forbidden);
            return Err(err);
        }
        request.set_parsed_query(ExecutableDocument::clone(&document));
        Ok((document, points))
    }

    /// The document of `query`, checked for size and depth: from [`ParsedDocuments`] when the
    /// text was seen before.
    fn checked_document(&self, query: &str) -> ServerResult<Arc<ExecutableDocument>> {
        if let Some(document) = self.parsed.get(query) {
            return Ok(document);
        }
        let document = async_graphql::parser::parse_query(query).map_err(errors::parse_failed)?;
        let limits = &self.config;
        check_size(limits, &document)?;
        let depth = depth::of(&document);
        if depth > limits.max_depth {
            return Err(refused(format!(
                "the query is nested {depth} levels deep; at most {} are accepted",
                limits.max_depth
            )));
        }
        let document = Arc::new(document);
        self.parsed.put(query, &document);
        Ok(document)
    }
}

/// Fragment cycles, fields selected (fragments expanded), aliases and directives.
fn check_size(limits: &GraphqlConfig, document: &ExecutableDocument) -> ServerResult<()> {
    let counts = Counts::of(document);
    if counts.fragment_cycle {
        return Err(refused("a fragment spreads itself".to_owned()));
    }
    if counts.fields > limits.max_fields {
        return Err(refused(format!(
            "the document selects {} fields (fragments expanded); at most {} are accepted",
            counts.fields, limits.max_fields
        )));
    }
    if counts.aliases > limits.max_aliases {
        return Err(refused(format!(
            "the document has {} aliases; at most {} are accepted",
            counts.aliases, limits.max_aliases
        )));
    }
    if counts.directives > limits.max_directives {
        return Err(refused(format!(
            "the document has {} directives; at most {} are accepted",
            counts.directives, limits.max_directives
        )));
    }
    Ok(())
}

fn refused(message: String) -> ServerError {
    let mut err = ServerError::new(message, None);
    set_code(&mut err, ErrorCode::GraphqlValidationFailed);
    err
}

fn set_code(err: &mut ServerError, code: ErrorCode) {
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
}

/// What a document writes: aliases and directives as written (each fragment definition once);
/// fields as selected, a fragment counted wherever it is spread, so that a few fragments
/// spreading each other twice over cannot expand into millions of fields later.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    fields: usize,
    aliases: usize,
    directives: usize,
    /// A fragment spreads itself (directly or not): refused at once, as validation would, so
    /// that no walk of the document has to expand it.
    fragment_cycle: bool,
}

impl Counts {
    fn of(document: &ExecutableDocument) -> Self {
        let mut counts = Self::default();
        for (_, operation) in document.operations.iter() {
            let operation = &operation.node;
            counts.directives += operation.directives.len();
            for variable in &operation.variable_definitions {
                counts.directives += variable.node.directives.len();
            }
            counts.add(&operation.selection_set.node);
        }
        for fragment in document.fragments.values() {
            counts.directives += fragment.node.directives.len();
            counts.add(&fragment.node.selection_set.node);
        }
        let mut expansion = FieldExpansion {
            fragments: &document.fragments,
            memo: HashMap::new(),
            visiting: Vec::new(),
            cycle: false,
        };
        counts.fields = document
            .operations
            .iter()
            .map(|(_, operation)| &operation.node.selection_set.node)
            .chain(
                document
                    .fragments
                    .values()
                    .map(|f| &f.node.selection_set.node),
            )
            .fold(0usize, |total, set| {
                total.saturating_add(expansion.fields(set))
            });
        counts.fragment_cycle = expansion.cycle;
        counts
    }

    fn add(&mut self, set: &SelectionSet) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.aliases += usize::from(field.alias.is_some());
                    self.directives += field.directives.len();
                    self.add(&field.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives += spread.node.directives.len();
                }
                Selection::InlineFragment(inline) => {
                    self.directives += inline.node.directives.len();
                    self.add(&inline.node.selection_set.node);
                }
            }
        }
    }
}

/// Fields selected with fragments expanded, each fragment's count computed once.
struct FieldExpansion<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    memo: HashMap<&'a str, usize>,
    visiting: Vec<&'a str>,
    cycle: bool,
}

impl<'a> FieldExpansion<'a> {
    fn fields(&mut self, set: &'a SelectionSet) -> usize {
        let mut total = 0usize;
        for selection in &set.items {
            let count = match &selection.node {
                Selection::Field(field) => {
                    1usize.saturating_add(self.fields(&field.node.selection_set.node))
                }
                Selection::InlineFragment(inline) => self.fields(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            total = total.saturating_add(count);
        }
        total
    }

    fn fragment(&mut self, name: &'a str) -> usize {
        if let Some(count) = self.memo.get(name) {
            return *count;
        }
        // A cycle (refused by validation) or an unknown fragment adds nothing.
        let Some(fragment) = self.fragments.get(name) else {
            return 0;
        };
        if self.visiting.contains(&name) {
            self.cycle = true;
            return 0;
        }
        self.visiting.push(name);
        let count = self.fields(&fragment.node.selection_set.node);
        self.visiting.pop();
        self.memo.insert(name, count);
        count
    }
}

/// Whether a query operation selects `__schema` or `__type` (only valid at the root).
pub fn introspects(document: &ExecutableDocument) -> bool {
    document.operations.iter().any(|(_, operation)| {
        operation.node.ty == OperationType::Query
            && root_introspects(
                &operation.node.selection_set.node,
                &document.fragments,
                &mut Vec::new(),
            )
    })
}

fn root_introspects<'a>(
    set: &'a SelectionSet,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    visiting: &mut Vec<&'a str>,
) -> bool {
    set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => matches!(field.node.name.node.as_str(), "__schema" | "__type"),
        Selection::InlineFragment(inline) => {
            root_introspects(&inline.node.selection_set.node, fragments, visiting)
        }
        Selection::FragmentSpread(spread) => {
            let name = spread.node.fragment_name.node.as_str();
            if visiting.contains(&name) {
                return false;
            }
            let Some(fragment) = fragments.get(name) else {
                return false;
            };
            visiting.push(name);
            let found = root_introspects(&fragment.node.selection_set.node, fragments, visiting);
            visiting.pop();
            found
        }
    })
}

/// The cost in points of the heaviest operation of the document.
pub fn cost_points(
    registry: &Registry,
    document: &ExecutableDocument,
    variables: &Variables,
) -> u64 {
    let objects = document
        .operations
        .iter()
        .map(|(_, operation)| {
            let operation = &operation.node;
            let root = match operation.ty {
                OperationType::Query => Some(registry.query_type.as_str()),
                OperationType::Mutation => registry.mutation_type.as_deref(),
                OperationType::Subscription => registry.subscription_type.as_deref(),
            };
            let Some(root) = root else { return 0 };
            let costing = Costing {
                registry,
                fragments: &document.fragments,
                variables,
                defaults: operation
                    .variable_definitions
                    .iter()
                    .filter_map(|v| {
                        let default = v.node.default_value.as_ref()?;
                        Some((v.node.name.node.as_str(), default.node.clone()))
                    })
                    .collect(),
            };
            costing.selection(&operation.selection_set.node, root, None, &mut Vec::new())
        })
        .max()
        .unwrap_or(0);
    objects.div_ceil(OBJECTS_PER_POINT)
}

struct Costing<'a> {
    registry: &'a Registry,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
    defaults: HashMap<&'a str, Value>,
}

impl<'a> Costing<'a> {
    /// Objects a selection on `type_name` can return; `page` is the page size when `type_name`
    /// is a connection.
    fn selection(
        &self,
        set: &'a SelectionSet,
        type_name: &str,
        page: Option<u64>,
        visiting: &mut Vec<&'a str>,
    ) -> u64 {
        let mut total: u64 = 0;
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => self.field(&field.node, type_name, page, visiting),
                Selection::InlineFragment(inline) => {
                    let inner = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(type_name, |c| c.node.on.node.as_str());
                    self.selection(&inline.node.selection_set.node, inner, page, visiting)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.fragments.get(name) {
                        Some(fragment) if !visiting.contains(&name) => {
                            visiting.push(name);
                            let on = fragment.node.type_condition.node.on.node.as_str();
                            let cost = self.selection(
                                &fragment.node.selection_set.node,
                                on,
                                page,
                                visiting,
                            );
                            visiting.pop();
                            cost
                        }
                        _ => 0,
                    }
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(
        &self,
        field: &'a Field,
        parent: &str,
        page: Option<u64>,
        visiting: &mut Vec<&'a str>,
    ) -> u64 {
        if introspection::is_bounded(field, self.fragments) {
            return 0;
        }
        let Some(meta) = self
            .registry
            .types
            .get(parent)
            .and_then(|ty| ty.field_by_name(field.name.node.as_str()))
        else {
            // `__typename`, introspection (gated separately) and unknown fields (refused by
            // validation) cost nothing here.
            return 0;
        };
        let type_name = MetaTypeName::concrete_typename(&meta.ty);
        let Some(ty) = self.registry.types.get(type_name) else {
            return 0;
        };
        if matches!(ty, MetaType::Scalar { .. } | MetaType::Enum { .. }) {
            return 0;
        }
        let is_connection = type_name.ends_with("Connection") && meta.args.contains_key("first");
        let child_page = is_connection.then(|| self.page_size(field));
        let children = self.selection(&field.selection_set.node, type_name, child_page, visiting);
        if !MetaTypeName::create(&meta.ty).is_list() {
            return children.saturating_add(1);
        }
        let in_connection = parent.ends_with("Connection");
        match (in_connection, field.name.node.as_str(), page) {
            // Edges only wrap the node: the node is the object.
            (true, "edges", Some(items)) => items.saturating_mul(children),
            (true, "nodes", Some(items)) => items.saturating_mul(children.saturating_add(1)),
            _ => LIST_MULTIPLIER.saturating_mul(children.saturating_add(1)),
        }
    }

    /// `first` as the query gives it (literal or variable), else the default; clamped to the
    /// range the resolvers accept.
    fn page_size(&self, field: &Field) -> u64 {
        let given = field
            .arguments
            .iter()
            .find(|(name, _)| name.node.as_str() == "first")
            .and_then(|(_, value)| {
                value
                    .node
                    .clone()
                    .into_const_with(|name| {
                        self.variables
                            .get(&name)
                            .cloned()
                            .or_else(|| self.defaults.get(name.as_str()).cloned())
                            .ok_or(())
                    })
                    .ok()
            })
            .and_then(|value| match value {
                Value::Number(n) => n.as_u64(),
                _ => None,
            });
        given.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::Executor;

    use super::*;
    use crate::graphql::executor::Api;
    use crate::graphql::schema_builder;

    /// The cost the schema reports when every cost is over the limit (0 when it runs).
    async fn points(query: &str, variables: serde_json::Value) -> u64 {
        let config = GraphqlConfig {
            max_complexity: 0,
            ..GraphqlConfig::unlimited()
        };
        let api = Api::new(|| schema_builder(&config), &config);
        let request = async_graphql::Request::new(query).variables(Variables::from_json(variables));
        let response = api.execute(request).await;
        let Some(err) = response.errors.first() else {
            return 0;
        };
        err.message
            .strip_prefix("the query costs ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}", err.message))
    }

    #[tokio::test]
    async fn scalars_are_free_and_objects_count() {
        assert_eq!(points("{ __typename }", serde_json::json!({})).await, 0);
        // viewer (1) + brand (1) = 2 objects: 1 point.
        assert_eq!(
            points("{ viewer { id brand { id } } }", serde_json::json!({})).await,
            1
        );
    }

    async fn nested(outer: u64, inner: u64) -> u64 {
        points(
            &format!(
                "{{ campaigns(first: {outer}) {{ edges {{ node {{ id \
                 enrollments(first: {inner}) {{ edges {{ node {{ id }} }} }} }} }} }} }}"
            ),
            serde_json::json!({}),
        )
        .await
    }

    #[tokio::test]
    async fn connections_cost_their_page_size_and_nested_pages_multiply() {
        // 1 + 10 x (1 + 1 + 10) = 121 objects.
        assert_eq!(nested(10, 10).await, 13);
        let heavy = nested(100, 100).await;
        assert!(heavy > 1000, "{heavy}");
        let by_variable = points(
            "query ($n: Int) { campaigns(first: $n) { nodes { id } } }",
            serde_json::json!({ "n": 100 }),
        )
        .await;
        assert_eq!(by_variable, 11);
        let defaulted = points(
            "query ($n: Int = 50) { campaigns(first: $n) { nodes { id } } }",
            serde_json::json!({}),
        )
        .await;
        assert_eq!(defaulted, 6);
        let clamped = points(
            "{ campaigns(first: 100000) { nodes { id } } }",
            serde_json::json!({}),
        )
        .await;
        assert_eq!(clamped, 11);
    }

    /// Every contract operation passes with room to spare; `Campaigns` (20 campaigns x 50
    /// enrollments) is the heaviest. The contract is vendored in `tests/contract/`.
    #[tokio::test]
    async fn every_contract_operation_is_under_the_default_cost_limit() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract");
        let mut costs = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("contract dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|ext| ext == "graphql") {
                let document = std::fs::read_to_string(&path).expect("read");
                let cost = points(&document, serde_json::json!({})).await;
                costs.push((
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    cost,
                ));
            }
        }
        assert_eq!(costs.len(), 8, "{costs:?}");
        assert!(costs.iter().all(|(_, cost)| *cost <= 400), "{costs:?}");
        let campaigns = costs
            .iter()
            .find(|(f, _)| f == "campaigns.graphql")
            .unwrap();
        assert_eq!(campaigns.1, 305, "{costs:?}");
    }

    #[test]
    fn counts_aliases_directives_and_fields_once_per_definition() {
        let document = async_graphql::parser::parse_query(
            "query Q($a: Boolean = true) @skip(if: false) { a: __typename @include(if: $a) ...F }
             fragment F on Query { b: __typename @skip(if: false) }",
        )
        .expect("parses");
        assert_eq!(
            Counts::of(&document),
            Counts {
                fields: 3,
                aliases: 2,
                directives: 3,
                fragment_cycle: false,
            }
        );
    }

    #[tokio::test]
    async fn fragment_explosions_are_refused_quickly() {
        let mut text = String::from("{ ...F0 }");
        for i in 0..30 {
            text.push_str(&format!(
                " fragment F{i} on Query {{ ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        text.push_str(" fragment F30 on Query { __typename }");
        let config = GraphqlConfig {
            max_fields: 500,
            ..GraphqlConfig::unlimited()
        };
        let api = Api::new(|| schema_builder(&config), &config);
        let started = std::time::Instant::now();
        let response = api.execute(async_graphql::Request::new(text)).await;
        assert!(
            response.errors[0].message.contains("fields"),
            "{:?}",
            response.errors
        );
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn fragments_count_wherever_they_are_spread_and_cycles_are_found() {
        let mut text = String::from("{ ...F0 }");
        for i in 0..40 {
            text.push_str(&format!(
                " fragment F{i} on Query {{ ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        text.push_str(" fragment F40 on Query { __typename }");
        let counts = Counts::of(&async_graphql::parser::parse_query(&text).expect("parses"));
        assert!(counts.fields > 1 << 40, "{counts:?}");
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        let counts = Counts::of(&async_graphql::parser::parse_query(cycle).expect("parses"));
        assert!(counts.fragment_cycle);
    }

    /// The standard introspection query (GraphiQL's) is free and one level deep; expanding a
    /// type again below an expansion is costed and counted in full.
    #[tokio::test]
    async fn introspection_that_expands_each_type_once_is_free_and_shallow() {
        let standard = include_str!("../../tests/api/fixtures/graphiql-introspection.graphql");
        let depth = |q: &str| depth::of(&async_graphql::parser::parse_query(q).expect("parses"));
        assert_eq!(points(standard, serde_json::json!({})).await, 0);
        assert_eq!(depth(standard), 1);
        let twice = "{ __schema { types { fields { type { fields { type { name } } } } } } }";
        assert!(points(twice, serde_json::json!({})).await > 100);
        assert_eq!(depth(twice), 7);
        let hidden = "{ ...F } fragment F on Query { __type(name: \"Query\") { ...T } } \
                      fragment T on __Type { fields { type { possibleTypes { name } } } }";
        assert_eq!(depth(hidden), 5);
        // Fields around introspection count as usual.
        assert_eq!(depth("{ __typename viewer { brand { id } } }"), 3);
    }

    #[test]
    fn introspection_is_found_through_fragments() {
        let found = |q: &str| introspects(&async_graphql::parser::parse_query(q).expect("parses"));
        assert!(found("{ __schema { queryType { name } } }"));
        assert!(found(
            "{ ... on Query { __type(name: \"Query\") { name } } }"
        ));
        assert!(found(
            "{ ...F } fragment F on Query { __schema { types { name } } }"
        ));
        assert!(!found("{ __typename }"));
    }
}
