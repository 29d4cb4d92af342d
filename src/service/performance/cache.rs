//! Computed reports kept for their next pages. A report of more than one page is computed whole
//! for its first page; the pages after it (`after` given) are cut from that computation while it
//! is at most [`TTL`] old, so paging through a report costs one computation and its pages agree
//! with each other (same totals, no row skipped or repeated by events arriving in between). A
//! first page is always computed anew. Per process: a page sent to another instance computes the
//! report there.
//!
//! New events do not drop a report (its pages must agree), but a change to how the brand reports
//! does (its settings: margin, time zone): [`ReportCache::drop_brand`] in this process, and the
//! same in every other process on PostgreSQL ([`crate::events::caches`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Row;
use crate::domain::metrics::Metrics;
use crate::events::{Invalidation, SharedCache};

/// How long a computed report serves its next pages.
pub const TTL: Duration = Duration::from_secs(300);

/// Rows kept over all cached reports (a row is about 250 bytes: about 50 MB at most).
pub const MAX_ROWS: usize = 200_000;

/// A computed report: totals and every row in key order, or (a first page cut in the database,
/// `top.rs`) only that page's rows.
#[derive(Debug)]
pub struct Computed {
    pub currency_code: String,
    pub totals: Metrics,
    pub rows: Vec<Row>,
    /// Rows of the whole report: more than `rows` when only the first page was computed (the
    /// rows left out sort after it).
    pub row_count: usize,
}

impl Computed {
    /// Whether every row is here (a report whose next pages can be cut from it).
    pub fn is_whole(&self) -> bool {
        self.rows.len() == self.row_count
    }
}

#[derive(Debug)]
struct Entry {
    key: String,
    /// The brand the report is of; `None` for a creator's report across its brands.
    brand_id: Option<i64>,
    at: Instant,
    report: Arc<Computed>,
}

#[derive(Debug)]
pub struct ReportCache {
    entries: Mutex<VecDeque<Entry>>,
    ttl: Duration,
    max_rows: usize,
}

impl Default for ReportCache {
    fn default() -> Self {
        Self::new(TTL, MAX_ROWS)
    }
}

impl ReportCache {
    pub fn new(ttl: Duration, max_rows: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            ttl,
            max_rows,
        }
    }

    /// The report computed under `key` at most the TTL ago.
    pub fn get(&self, key: &str) -> Option<Arc<Computed>> {
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|entry| entry.at.elapsed() <= ttl);
        entries
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| entry.report.clone())
    }

    /// Keeps `report` (of `brand_id`, or of several brands) under `key` (replacing an older
    /// one), dropping the oldest reports while the rows kept are more than the maximum. A report
    /// larger than the maximum is not kept.
    pub fn put(&self, key: String, brand_id: Option<i64>, report: Arc<Computed>) {
        if report.rows.len() > self.max_rows {
            return;
        }
        let mut entries = self.lock();
        entries.retain(|entry| entry.key != key);
        entries.push_back(Entry {
            key,
            brand_id,
            at: Instant::now(),
            report,
        });
        let mut rows: usize = entries.iter().map(|entry| entry.report.rows.len()).sum();
        while rows > self.max_rows {
            match entries.pop_front() {
                Some(oldest) => rows -= oldest.report.rows.len(),
                None => break,
            }
        }
    }

    /// Drops the reports of `brand_id` (and those across several brands, which may include it).
    pub fn drop_brand(&self, brand_id: i64) {
        self.lock()
            .retain(|entry| entry.brand_id.is_some_and(|id| id != brand_id));
    }

    /// A poisoned lock (a panic while holding it) only loses cached reports: start afresh.
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        self.entries.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            guard.clear();
            guard
        })
    }
}

impl SharedCache for ReportCache {
    fn invalidate(&self, change: &Invalidation) {
        if let Invalidation::Reports { brand_id } = change {
            self.drop_brand(*brand_id);
        }
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::metrics::{Counters, metrics};
    use crate::service::performance::RowKey;

    fn report(rows: usize) -> Arc<Computed> {
        let zero = metrics(&Counters::default(), 0, Decimal::ONE);
        let row = Row {
            key: RowKey::default(),
            period: None,
            period_start: None,
            metrics: zero,
        };
        Arc::new(Computed {
            currency_code: "USD".into(),
            totals: zero,
            rows: vec![row; rows],
            row_count: rows,
        })
    }

    #[test]
    fn a_report_is_found_under_its_key_until_it_expires() {
        let cache = ReportCache::new(Duration::from_millis(50), 100);
        cache.put("a".into(), Some(1), report(3));
        assert_eq!(cache.get("a").map(|r| r.rows.len()), Some(3));
        assert!(cache.get("b").is_none());
        std::thread::sleep(Duration::from_millis(80));
        assert!(cache.get("a").is_none(), "expired");
    }

    #[test]
    fn the_oldest_reports_go_when_rows_are_over_the_maximum() {
        let cache = ReportCache::new(TTL, 10);
        cache.put("a".into(), Some(1), report(4));
        cache.put("b".into(), Some(1), report(4));
        cache.put("c".into(), Some(1), report(4));
        assert!(cache.get("a").is_none(), "12 rows: the oldest went");
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
        cache.put("big".into(), Some(1), report(11));
        assert!(
            cache.get("big").is_none(),
            "larger than the maximum: not kept"
        );
        cache.put("b".into(), Some(1), report(1));
        assert_eq!(cache.get("b").map(|r| r.rows.len()), Some(1), "replaced");
    }

    #[test]
    fn a_brand_change_drops_its_reports_and_those_across_brands() {
        let cache = ReportCache::new(TTL, 100);
        cache.put("one".into(), Some(1), report(1));
        cache.put("two".into(), Some(2), report(1));
        cache.put("mine".into(), None, report(1));
        cache.invalidate(&Invalidation::Reports { brand_id: 1 });
        assert!(cache.get("one").is_none() && cache.get("mine").is_none());
        assert!(cache.get("two").is_some(), "another brand's report stays");
        cache.invalidate(&Invalidation::link("abc"));
        assert!(
            cache.get("two").is_some(),
            "a link change is not about reports"
        );
        cache.clear();
        assert!(cache.get("two").is_none());
    }
}
