//! Pages of report rows. A report is computed whole (bounded by [`super::MAX_GROUPS`]) and its
//! rows sorted by key, or by a metric (`orderBy`, ties by key: [`crate::domain::ranking`]); a
//! page is the `first` rows after a cursor. (The first page by creator of a rollup sum,
//! descending, is cut in the database instead: `top.rs`.) The cursor is the last row's place in that order
//! (its key, and its value of the ordering metric), not an offset, so a page boundary stays put
//! when rows appear before it between two calls (new events in the range).

use std::cmp::Ordering;

use chrono::NaiveDate;

use super::Row;
use super::grouping::RowKey;
use crate::domain::ranking::{self, Direction, Order, ReportMetric, SortValue};
use crate::domain::roster::Platform;
use crate::error::AppError;

/// Rows a page may have, and the page size when none is asked.
pub const MAX_PAGE_ROWS: usize = 5_000;

/// Which rows of a report to return, in which order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowPage {
    /// Rows that sort after this place.
    pub after: Option<Place>,
    /// At most this many rows (0: totals only).
    pub first: usize,
    /// By a metric (ties by key); by key when `None`.
    pub order: Option<Order<ReportMetric>>,
    /// What the caller reads of the metrics.
    pub selected: Selected,
}

/// What the caller reads of the metrics, where computing it costs a pass of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Selected {
    /// `uniqueClicks` (of the totals or of any row): distinct visitors are the costliest part
    /// of a report; left out, the field reads 0.
    pub unique_clicks: bool,
}

impl Selected {
    pub const ALL: Selected = Selected {
        unique_clicks: true,
    };
}

impl Default for Selected {
    fn default() -> Self {
        Self::ALL
    }
}

/// A row's place in a report's order: its key, and with `orderBy` its value of the metric.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Place {
    pub value: Option<SortValue>,
    pub key: RowKey,
}

impl RowPage {
    /// No rows: a caller that reads only the totals.
    pub fn totals_only() -> Self {
        Self::default()
    }

    /// A validated page request: `first` 1..=5,000 (default 5,000), an optional cursor of a
    /// page in the same order, and the order.
    pub fn new(
        first: Option<i32>,
        after: Option<&str>,
        order: Option<Order<ReportMetric>>,
    ) -> Result<Self, AppError> {
        let max = MAX_PAGE_ROWS as u64;
        let first = crate::service::page::page_size(first, max, max)? as usize;
        let after = after
            .map(|cursor| {
                decode_place(cursor, order)
                    .ok_or_else(|| AppError::bad_input("after", "not a cursor of this report"))
            })
            .transpose()?;
        Ok(Self {
            after,
            first,
            order,
            selected: Selected::ALL,
        })
    }

    /// This page for a caller that reads only `selected`.
    pub fn selecting(self, selected: Selected) -> Self {
        Self { selected, ..self }
    }

    /// What the report must compute: what the caller reads, and the metric it is ordered by.
    pub fn selected(&self) -> Selected {
        let by_uniques = self
            .order
            .is_some_and(|order| order.metric == ReportMetric::UniqueClicks);
        Selected {
            unique_clicks: self.selected.unique_clicks || by_uniques,
        }
    }

    /// The cursor of `row` in this page's order.
    pub fn cursor(&self, row: &Row) -> String {
        match self.order {
            None => encode(&row.key),
            Some(order) => {
                let value = ranking::value_of(&row.metrics, order.metric)
                    .map_or_else(|| "n".to_owned(), SortValue::encode);
                format!("{}~{value}~{}", order_tag(order), encode(&row.key))
            }
        }
    }

    /// The page of `rows` (sorted by key) in this page's order, and whether more rows follow.
    pub fn window(&self, rows: &[Row]) -> (Vec<Row>, bool) {
        let Some(order) = self.order else {
            let start = match &self.after {
                Some(after) => {
                    let after = after.key.sort_key();
                    rows.partition_point(|row| row.key.sort_key() <= after)
                }
                None => 0,
            };
            let rest = &rows[start..];
            let has_next = rest.len() > self.first;
            return (rest[..rest.len().min(self.first)].to_vec(), has_next);
        };
        let place = |row: &Row| Place {
            value: ranking::value_of(&row.metrics, order.metric),
            key: row.key.clone(),
        };
        let rest: Vec<&Row> = match &self.after {
            Some(after) => rows
                .iter()
                .filter(|row| compare(order.direction, &place(row), after) == Ordering::Greater)
                .collect(),
            None => rows.iter().collect(),
        };
        let has_next = rest.len() > self.first;
        let mut placed: Vec<(Place, &Row)> =
            rest.into_iter().map(|row| (place(row), row)).collect();
        // Only the page is put in order: the rows after it need no sorting among themselves.
        let by_place = |a: &(Place, &Row), b: &(Place, &Row)| compare(order.direction, &a.0, &b.0);
        if placed.len() > self.first {
            placed.select_nth_unstable_by(self.first, by_place);
            placed.truncate(self.first);
        }
        placed.sort_unstable_by(by_place);
        (
            placed.into_iter().map(|(_, row)| row.clone()).collect(),
            has_next,
        )
    }
}

/// Rows by their value of the metric (see [`ranking::compare`]), then by key.
fn compare(direction: Direction, a: &Place, b: &Place) -> Ordering {
    ranking::compare(a.value, b.value, direction)
        .then_with(|| a.key.sort_key().cmp(&b.key.sort_key()))
}

fn order_tag(order: Order<ReportMetric>) -> String {
    let direction = match order.direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    format!("{}.{direction}", order.metric)
}

/// The place a cursor names, if it is a cursor of a report in `order`.
fn decode_place(cursor: &str, order: Option<Order<ReportMetric>>) -> Option<Place> {
    let Some(order) = order else {
        return decode(cursor).map(|key| Place { value: None, key });
    };
    let mut parts = cursor.splitn(3, '~');
    if parts.next()? != order_tag(order) {
        return None;
    }
    let value = match parts.next()? {
        "n" => None,
        text => Some(SortValue::decode(text)?),
    };
    let key = decode(parts.next()?)?;
    Some(Place { value, key })
}

/// The cursor of a row: its key as text, e.g. `p2026-11-30.c12.r5.lINSTAGRAM.o3` (absent
/// dimensions left out).
pub fn encode(key: &RowKey) -> String {
    let mut parts = Vec::with_capacity(5);
    if let Some(period) = key.period {
        parts.push(format!("p{period}"));
    }
    let ids = [
        ('c', key.campaign_id),
        ('r', key.creator_id),
        ('o', key.offer_id),
    ];
    for (tag, id) in ids {
        if let Some(id) = id {
            parts.push(format!("{tag}{id}"));
        }
    }
    if let Some(platform) = key.platform {
        parts.push(format!("l{}", platform.as_str()));
    }
    parts.join(".")
}

/// The key a cursor names; `None` when it is not one [`encode`] makes.
pub fn decode(cursor: &str) -> Option<RowKey> {
    let mut key = RowKey::default();
    if cursor.is_empty() {
        return Some(key);
    }
    for part in cursor.split('.') {
        let mut chars = part.chars();
        let tag = chars.next()?;
        let value = chars.as_str();
        let id = || value.parse::<i64>().ok();
        let slot_was_empty = match tag {
            'p' => key
                .period
                .replace(NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?)
                .is_none(),
            'c' => key.campaign_id.replace(id()?).is_none(),
            'r' => key.creator_id.replace(id()?).is_none(),
            'o' => key.offer_id.replace(id()?).is_none(),
            'l' => key.platform.replace(Platform::parse(value)?).is_none(),
            _ => return None,
        };
        if !slot_was_empty {
            return None;
        }
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::metrics::{Counters, metrics};

    fn key(creator_id: i64) -> RowKey {
        RowKey {
            creator_id: Some(creator_id),
            ..RowKey::default()
        }
    }

    #[test]
    fn cursors_round_trip_every_dimension() {
        let full = RowKey {
            period: NaiveDate::from_ymd_opt(2026, 11, 30),
            campaign_id: Some(12),
            creator_id: Some(5),
            platform: Some(Platform::Instagram),
            offer_id: Some(3),
        };
        for key in [full, RowKey::default(), key(-1)] {
            assert_eq!(decode(&encode(&key)), Some(key));
        }
    }

    #[test]
    fn garbage_cursors_are_refused() {
        for bad in [
            "x1",
            "c",
            "cx",
            "c1.c2",
            "p2026-13-01",
            "lMYSPACE",
            "c1..r2",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        let err = RowPage::new(None, Some("nope"), None).unwrap_err();
        assert_eq!(err.field(), Some("after"));
    }

    #[test]
    fn first_defaults_to_the_maximum_and_is_bounded() {
        assert_eq!(RowPage::new(None, None, None).unwrap().first, MAX_PAGE_ROWS);
        assert_eq!(RowPage::new(Some(1), None, None).unwrap().first, 1);
        for bad in [0, -1, 5_001] {
            assert_eq!(
                RowPage::new(Some(bad), None, None).unwrap_err().field(),
                Some("first")
            );
        }
    }

    fn row(creator_id: i64, revenue_minor: i64) -> Row {
        let counters = Counters {
            revenue_minor,
            sales: i64::from(revenue_minor > 0),
            ..Counters::default()
        };
        Row {
            key: key(creator_id),
            period: None,
            period_start: None,
            metrics: metrics(&counters, 0, Decimal::ONE),
        }
    }

    fn creators(rows: &[Row]) -> Vec<i64> {
        rows.iter().filter_map(|r| r.key.creator_id).collect()
    }

    #[test]
    fn pages_follow_the_cursor_and_say_whether_more_follow() {
        let rows: Vec<Row> = [1, 2, 3, 5, 8].map(|id| row(id, 0)).to_vec();
        let first = RowPage::new(Some(2), None, None).unwrap();
        let (page, more) = first.window(&rows);
        assert_eq!((creators(&page), more), (vec![1, 2], true));

        let next = RowPage::new(Some(2), Some(&first.cursor(&page[1])), None).unwrap();
        let (page, more) = next.window(&rows);
        assert_eq!((creators(&page), more), (vec![3, 5], true));

        // A cursor between rows (its row is gone) continues after where it would sort.
        let gap = RowPage::new(Some(5), Some(&encode(&key(4))), None).unwrap();
        let (page, more) = gap.window(&rows);
        assert_eq!((creators(&page), more), (vec![5, 8], false));

        let past = RowPage::new(Some(5), Some(&encode(&key(8))), None).unwrap();
        assert_eq!(past.window(&rows).0.len(), 0);
    }

    #[test]
    fn ordered_pages_go_by_value_then_key_with_missing_values_last() {
        // Revenue 0 has no AOV (no sales): those rows come last, by key, in both directions.
        let rows: Vec<Row> = [(1, 500), (2, 0), (3, 900), (4, 500), (5, 0), (6, 100)]
            .map(|(id, revenue)| row(id, revenue))
            .to_vec();
        let desc = Order {
            metric: ReportMetric::Aov,
            direction: Direction::Desc,
        };
        let asc = Order {
            direction: Direction::Asc,
            ..desc
        };
        let all = |order| {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = RowPage::new(Some(2), after.as_deref(), Some(order)).unwrap();
                let (rows, more) = page.window(&rows);
                seen.extend(creators(&rows));
                if !more {
                    return seen;
                }
                after = Some(page.cursor(rows.last().unwrap()));
            }
        };
        assert_eq!(all(desc), vec![3, 1, 4, 6, 2, 5]);
        assert_eq!(all(asc), vec![6, 1, 4, 3, 2, 5]);
        // The top 1 is the row with the highest value.
        let top = RowPage::new(Some(1), None, Some(desc)).unwrap();
        assert_eq!(creators(&top.window(&rows).0), vec![3]);
    }

    #[test]
    fn a_cursor_belongs_to_its_order() {
        let rows = [row(1, 100)];
        let revenue = Order {
            metric: ReportMetric::Revenue,
            direction: Direction::Desc,
        };
        let by_revenue = RowPage::new(Some(1), None, Some(revenue)).unwrap();
        let cursor = by_revenue.cursor(&rows[0]);
        assert!(RowPage::new(Some(1), Some(&cursor), Some(revenue)).is_ok());
        for other in [
            None,
            Some(Order {
                metric: ReportMetric::Sales,
                ..revenue
            }),
            Some(Order {
                direction: Direction::Asc,
                ..revenue
            }),
        ] {
            let err = RowPage::new(Some(1), Some(&cursor), other).unwrap_err();
            assert_eq!(err.field(), Some("after"));
        }
    }
}
