//! Parsed documents of the query texts clients send again and again. Front ends and integrators
//! send a handful of operations, each the same text every time (generated clients, persisted
//! queries), and parsing is the costliest step of a small request: for `{ __typename }`, pest's
//! parse took a quarter of the GraphQL handler's time (BENCHMARKS.md, row 1 profile). A text
//! seen before is served from here, with the size and depth checks it passed then (they depend
//! on the text only); its cost depends on the variables and is computed on every request.
//!
//! Bounded: [`CAPACITY`] texts, least recently used first out; only texts that passed the
//! checks are kept, each at most the configured query size, so the memory is bounded by
//! `CAPACITY` times that size (and the parsed tree of such a text).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents kept.
pub(super) const CAPACITY: usize = 1_000;

pub(super) struct ParsedDocuments {
    entries: Mutex<LruCache<String, Arc<ExecutableDocument>>>,
}

impl ParsedDocuments {
    pub(super) fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The document of `query`, when it was kept.
    pub(super) fn get(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(query).cloned()
    }

    /// Keeps the document of `query` (which passed the checks).
    pub(super) fn put(&self, query: &str, document: &Arc<ExecutableDocument>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.put(query.to_owned(), document.clone());
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn document(query: &str) -> Arc<ExecutableDocument> {
        Arc::new(parse_query(query).expect("parses"))
    }

    fn names(document: &ExecutableDocument) -> Vec<String> {
        document
            .operations
            .iter()
            .map(|(name, _)| name.map(|n| n.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_kept_text_gives_back_its_own_document() {
        let cache = ParsedDocuments::new(4);
        cache.put("query A { a }", &document("query A { a }"));
        cache.put("query B { b }", &document("query B { b }"));
        assert_eq!(names(&cache.get("query A { a }").expect("kept")), ["A"]);
        assert_eq!(names(&cache.get("query B { b }").expect("kept")), ["B"]);
        assert!(
            cache.get("query A { a } ").is_none(),
            "another text, even by a space"
        );
    }

    #[test]
    fn the_least_recently_used_text_goes_first() {
        let cache = ParsedDocuments::new(2);
        cache.put("query A { a }", &document("query A { a }"));
        cache.put("query B { b }", &document("query B { b }"));
        assert!(cache.get("query A { a }").is_some());
        cache.put("query C { c }", &document("query C { c }"));
        assert!(
            cache.get("query B { b }").is_none(),
            "B was the least recently used"
        );
        assert!(cache.get("query A { a }").is_some());
        assert!(cache.get("query C { c }").is_some());
    }
}
