//! The raw baseline of row 4: the per-creator numbers of `Performance` (grouped by CREATOR)
//! computed from the raw event tables with plain SQL through sqlx, no rollups. Also the oracle
//! the generator's tests compare the real service with.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, Row};
use sea_orm::{DatabaseConnection, DbBackend};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The additive metrics of one creator's row (money in brand minor units).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Numbers {
    pub clicks: i64,
    pub unique_clicks: i64,
    pub sales: i64,
    pub leads: i64,
    pub new_customers: i64,
    pub revenue_minor: i64,
    pub commissions_minor: i64,
}

impl Numbers {
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// The same numbers as `exact`, unique clicks (an estimate, DOMAIN.md) within 2% or within 2
    /// under 100.
    pub fn agrees_with(&self, exact: &Numbers) -> bool {
        let allowed = if exact.unique_clicks < 100 {
            2
        } else {
            exact.unique_clicks / 50
        };
        (self.unique_clicks - exact.unique_clicks).abs() <= allowed
            && Numbers {
                unique_clicks: exact.unique_clicks,
                ..*self
            } == *exact
    }

    /// The relative error of the unique clicks against `exact`'s.
    pub fn unique_error(&self, exact: &Numbers) -> f64 {
        (self.unique_clicks - exact.unique_clicks).abs() as f64 / exact.unique_clicks.max(1) as f64
    }
}

/// Per creator id; all-zero creators left out.
pub type ByCreator = BTreeMap<i64, Numbers>;

const CLICKS: &str = "SELECT e.creator_id, COUNT(*), COUNT(DISTINCT c.visitor_key) \
     FROM clicks c JOIN enrollments e ON e.id = c.enrollment_id \
     WHERE c.brand_id = ? AND c.is_bot = ? AND c.occurred_at >= ? AND c.occurred_at < ? \
     GROUP BY e.creator_id";

const CONVERSIONS: &str = "SELECT e.creator_id, \
     CAST(SUM(CASE WHEN c.kind = 'SALE' AND c.status <> 'REFUNDED' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN c.kind = 'LEAD' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN c.kind = 'SALE' AND c.status <> 'REFUNDED' AND c.new_customer \
         THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN c.kind = 'SALE' THEN c.brand_amount_minor - c.refunded_brand_minor \
         ELSE 0 END) AS BIGINT) \
     FROM conversions c JOIN enrollments e ON e.id = c.enrollment_id \
     WHERE c.brand_id = ? AND c.occurred_at >= ? AND c.occurred_at < ? \
     GROUP BY e.creator_id";

const COMMISSIONS: &str = "SELECT e.creator_id, CAST(SUM(l.amount_minor) AS BIGINT) \
     FROM commissions l JOIN enrollments e ON e.id = l.enrollment_id \
     WHERE l.brand_id = ? AND l.occurred_at >= ? AND l.occurred_at < ? \
     GROUP BY e.creator_id";

/// `?` placeholders as `$1, $2, ...` for PostgreSQL.
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Runs a query of the form `creator_id, i64...` with the brand, (optionally `false`), from and
/// to bound, on whichever pool the connection has.
macro_rules! rows {
    ($pool:expr, $sql:expr, $brand:expr, $bot:expr, $from:expr, $to:expr) => {{
        let mut query = sqlx::query(sqlx::AssertSqlSafe($sql.to_owned())).bind($brand);
        if let Some(bot) = $bot {
            query = query.bind(bot);
        }
        let mut out = Vec::new();
        for row in query.bind($from).bind($to).fetch_all($pool).await? {
            let creator: i64 = row.try_get(0)?;
            let values = (1..row.len())
                .map(|i| row.try_get::<i64, _>(i))
                .collect::<Result<Vec<i64>, _>>()?;
            out.push((creator, values));
        }
        out
    }};
}

async fn query(
    db: &DatabaseConnection,
    sql: &str,
    brand_id: i64,
    bot: Option<bool>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, Vec<i64>)>, Error> {
    Ok(match db.get_database_backend() {
        DbBackend::Postgres => {
            let sql = numbered(sql);
            rows!(
                db.get_postgres_connection_pool(),
                sql.as_str(),
                brand_id,
                bot,
                from,
                to
            )
        }
        _ => rows!(
            db.get_sqlite_connection_pool(),
            sql,
            brand_id,
            bot,
            from,
            to
        ),
    })
}

/// The per-creator numbers over `[from, to)` by event time, from the raw events.
pub async fn by_creator(
    db: &DatabaseConnection,
    brand_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ByCreator, Error> {
    let mut out = ByCreator::new();
    for (creator, v) in query(db, CLICKS, brand_id, Some(false), from, to).await? {
        let n = out.entry(creator).or_default();
        n.clicks = v[0];
        n.unique_clicks = v[1];
    }
    for (creator, v) in query(db, CONVERSIONS, brand_id, None, from, to).await? {
        let n = out.entry(creator).or_default();
        n.sales = v[0];
        n.leads = v[1];
        n.new_customers = v[2];
        n.revenue_minor = v[3];
    }
    for (creator, v) in query(db, COMMISSIONS, brand_id, None, from, to).await? {
        out.entry(creator).or_default().commissions_minor = v[0];
    }
    out.retain(|_, n| !n.is_zero());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(numbered("a = ? AND b < ?"), "a = $1 AND b < $2");
    }
}
