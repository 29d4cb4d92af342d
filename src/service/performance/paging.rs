//! Pages of report rows. A report is computed whole (bounded by [`super::MAX_GROUPS`]) and its
//! rows sorted by key; a page is the `first` rows after a row key. The cursor is the key itself,
//! not an offset, so a page boundary stays put when rows appear before it between two calls
//! (new events in the range).

use chrono::NaiveDate;

use super::grouping::RowKey;
use crate::domain::roster::Platform;
use crate::error::AppError;

/// Rows a page may have, and the page size when none is asked.
pub const MAX_PAGE_ROWS: usize = 5_000;

/// Which rows of a report to return.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowPage {
    /// Rows whose key sorts after this one.
    pub after: Option<RowKey>,
    /// At most this many rows (0: totals only).
    pub first: usize,
}

impl RowPage {
    /// No rows: a caller that reads only the totals.
    pub fn totals_only() -> Self {
        Self::default()
    }

    /// A validated page request: `first` 1..=5,000 (default 5,000) and an optional cursor.
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self, AppError> {
        let max = MAX_PAGE_ROWS as u64;
        let first = crate::service::page::page_size(first, max, max)? as usize;
        let after = after
            .map(|cursor| {
                decode(cursor).ok_or_else(|| AppError::bad_input("after", "not a valid cursor"))
            })
            .transpose()?;
        Ok(Self { after, first })
    }

    /// The page of `rows` (sorted by `key_of(row).sort_key()`), and whether more follow.
    pub fn window<'r, R>(&self, rows: &'r [R], key_of: impl Fn(&R) -> &RowKey) -> (&'r [R], bool) {
        let start = match &self.after {
            Some(after) => {
                let after = after.sort_key();
                rows.partition_point(|row| key_of(row).sort_key() <= after)
            }
            None => 0,
        };
        let rest = &rows[start..];
        let has_next = rest.len() > self.first;
        (&rest[..rest.len().min(self.first)], has_next)
    }
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
    use super::*;

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
        let err = RowPage::new(None, Some("nope")).unwrap_err();
        assert_eq!(err.field(), Some("after"));
    }

    #[test]
    fn first_defaults_to_the_maximum_and_is_bounded() {
        assert_eq!(RowPage::new(None, None).unwrap().first, MAX_PAGE_ROWS);
        assert_eq!(RowPage::new(Some(1), None).unwrap().first, 1);
        for bad in [0, -1, 5_001] {
            assert_eq!(
                RowPage::new(Some(bad), None).unwrap_err().field(),
                Some("first")
            );
        }
    }

    #[test]
    fn pages_follow_the_cursor_and_say_whether_more_follow() {
        let rows: Vec<RowKey> = [1, 2, 3, 5, 8].map(key).to_vec();
        let first = RowPage::new(Some(2), None).unwrap();
        let (page, more) = first.window(&rows, |k| k);
        assert_eq!((page, more), (&[key(1), key(2)][..], true));

        let next = RowPage::new(Some(2), Some(&encode(&key(2)))).unwrap();
        assert_eq!(next.window(&rows, |k| k), (&[key(3), key(5)][..], true));

        // A cursor between rows (its row is gone) continues after where it would sort.
        let gap = RowPage::new(Some(5), Some(&encode(&key(4)))).unwrap();
        assert_eq!(gap.window(&rows, |k| k), (&[key(5), key(8)][..], false));

        let past = RowPage::new(Some(5), Some(&encode(&key(8)))).unwrap();
        assert_eq!(past.window(&rows, |k| k), (&[][..], false));
    }
}
