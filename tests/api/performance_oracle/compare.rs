//! Response against oracle: every metric of the totals and of each row (matched by key), rows
//! neither missing nor extra, and the response's rows adding up to its totals.

use std::collections::BTreeMap;

use serde_json::Value;

use super::data_set::decimal;
use super::oracle::{Key, Metrics, Query, Report};
use super::raw::Raw;
use crate::helpers::world::db_id;

#[derive(Debug)]
enum Val {
    Count(i64),
    /// A count that may be estimated (uniqueClicks, DOMAIN.md): within 2%, or within 2 under 100.
    Estimate(i64),
    Money(Option<i64>),
    Ratio(Option<f64>),
}

impl Val {
    fn same(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Count(a), Val::Count(b)) => a == b,
            (Val::Estimate(exact), Val::Estimate(got)) => {
                let allowed = if *exact < 100 { 2 } else { exact / 50 };
                (got - exact).abs() <= allowed
            }
            (Val::Money(a), Val::Money(b)) => a == b,
            (Val::Ratio(None), Val::Ratio(None)) => true,
            (Val::Ratio(Some(a)), Val::Ratio(Some(b))) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            _ => false,
        }
    }
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Count(n) | Val::Estimate(n) => write!(f, "{n}"),
            Val::Money(Some(minor)) => write!(f, "{}", decimal(*minor)),
            Val::Ratio(Some(x)) => write!(f, "{x:.12}"),
            Val::Money(None) | Val::Ratio(None) => write!(f, "null"),
        }
    }
}

/// The metrics by their GraphQL names, in the contract's order.
fn fields(m: &Metrics) -> [(&'static str, Val); 18] {
    [
        ("clicks", Val::Count(m.clicks)),
        ("uniqueClicks", Val::Estimate(m.unique_clicks)),
        ("impressions", Val::Count(m.impressions)),
        ("sales", Val::Count(m.sales)),
        ("leads", Val::Count(m.leads)),
        ("newCustomers", Val::Count(m.new_customers)),
        ("revenue", Val::Money(m.revenue)),
        ("commissions", Val::Money(m.commissions)),
        ("otherCosts", Val::Money(m.other_costs)),
        ("spend", Val::Money(m.spend)),
        ("ctr", Val::Ratio(m.ctr)),
        ("conversionRate", Val::Ratio(m.conversion_rate)),
        ("aov", Val::Money(m.aov)),
        ("cpa", Val::Money(m.cpa)),
        ("cac", Val::Money(m.cac)),
        ("roas", Val::Ratio(m.roas)),
        ("roi", Val::Ratio(m.roi)),
        ("epc", Val::Money(m.epc)),
    ]
}

/// The additive metrics (uniqueClicks is not: a visitor may click in several rows).
const ADDITIVE: &[&str] = &[
    "clicks",
    "impressions",
    "sales",
    "leads",
    "newCustomers",
    "revenue",
    "commissions",
    "otherCosts",
    "spend",
];

/// A Decimal string as minor units of a two-decimal currency ("12.5" -> 1250).
pub fn minor_units(amount: &str) -> Result<i64, String> {
    let bad = || format!("not a two-decimal amount: {amount:?}");
    let (negative, digits) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.bytes().skip(2).any(|b| b != b'0')
    {
        return Err(bad());
    }
    let cents: String = fraction.chars().chain("00".chars()).take(2).collect();
    let minor =
        whole.parse::<i64>().map_err(|_| bad())? * 100 + cents.parse::<i64>().map_err(|_| bad())?;
    Ok(if negative { -minor } else { minor })
}

fn money(v: &Value, name: &str, currency: &str) -> Result<Option<i64>, String> {
    let field = &v[name];
    if field.is_null() {
        return Ok(None);
    }
    if field["currencyCode"] != currency {
        return Err(format!(
            "{name}: currency {} (want {currency})",
            field["currencyCode"]
        ));
    }
    let amount = field["amount"]
        .as_str()
        .ok_or_else(|| format!("{name}: amount {}", field["amount"]))?;
    minor_units(amount)
        .map(Some)
        .map_err(|e| format!("{name}: {e}"))
}

pub fn parse_metrics(v: &Value, currency: &str) -> Result<Metrics, String> {
    let count = |name: &str| {
        v[name]
            .as_i64()
            .ok_or_else(|| format!("{name}: not an integer: {}", v[name]))
    };
    let ratio = |name: &str| -> Result<Option<f64>, String> {
        match &v[name] {
            Value::Null => Ok(None),
            x => x
                .as_f64()
                .map(Some)
                .ok_or_else(|| format!("{name}: not a number: {x}")),
        }
    };
    Ok(Metrics {
        clicks: count("clicks")?,
        unique_clicks: count("uniqueClicks")?,
        impressions: count("impressions")?,
        sales: count("sales")?,
        leads: count("leads")?,
        new_customers: count("newCustomers")?,
        revenue: money(v, "revenue", currency)?,
        commissions: money(v, "commissions", currency)?,
        other_costs: money(v, "otherCosts", currency)?,
        spend: money(v, "spend", currency)?,
        ctr: ratio("ctr")?,
        conversion_rate: ratio("conversionRate")?,
        aov: money(v, "aov", currency)?,
        cpa: money(v, "cpa", currency)?,
        cac: money(v, "cac", currency)?,
        roas: ratio("roas")?,
        roi: ratio("roi")?,
        epc: money(v, "epc", currency)?,
    })
}

/// A row key of the response; its names must be the campaign's and creator's.
pub fn parse_key(v: &Value, raw: &Raw) -> Result<Key, String> {
    let id = |node: &Value, what: &str| -> Result<Option<i64>, String> {
        match node {
            Value::Null => Ok(None),
            node => node["id"]
                .as_str()
                .map(|id| Some(db_id(id)))
                .ok_or_else(|| format!("{what} without an id: {node}")),
        }
    };
    let text = |node: &Value, what: &str| -> Result<Option<String>, String> {
        match node {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            other => Err(format!("{what}: not a string: {other}")),
        }
    };
    let key = Key {
        campaign: id(&v["campaign"], "campaign")?,
        creator: id(&v["creator"], "creator")?,
        platform: text(&v["platform"], "platform")?,
        offer: id(&v["offer"], "offer")?,
        period: text(&v["period"], "period")?,
    };
    if let Some(c) = key.campaign
        && v["campaign"]["name"].as_str() != raw.campaign_names.get(&c).map(String::as_str)
    {
        return Err(format!("campaign {c} named {}", v["campaign"]["name"]));
    }
    if let Some(c) = key.creator
        && v["creator"]["displayName"].as_str() != raw.creator_names.get(&c).map(String::as_str)
    {
        return Err(format!("creator {c} named {}", v["creator"]["displayName"]));
    }
    Ok(key)
}

pub fn describe(key: &Key, raw: &Raw) -> String {
    let named = |id: Option<i64>, names: &std::collections::HashMap<i64, String>| match id {
        Some(id) => format!("{}#{id}", names.get(&id).map_or("?", String::as_str)),
        None => "-".into(),
    };
    format!(
        "{{campaign {}, creator {}, platform {}, offer {}, period {}}}",
        named(key.campaign, &raw.campaign_names),
        named(key.creator, &raw.creator_names),
        key.platform.as_deref().unwrap_or("-"),
        key.offer.map_or("-".into(), |o| format!("#{o}")),
        key.period.as_deref().unwrap_or("-"),
    )
}

pub fn metrics(out: &mut Vec<String>, context: &str, expected: &Metrics, got: &Metrics) {
    for ((name, want), (_, have)) in fields(expected).iter().zip(fields(got).iter()) {
        if !want.same(have) {
            out.push(format!("{context} | {name}: expected {want}, got {have}"));
        }
    }
}

/// Every difference between the response and the oracle, each with its context.
pub fn report(
    label: &str,
    query: &Query,
    raw: &Raw,
    expected: &Report,
    response: &Value,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(errors) = response["errors"].as_array() {
        let messages: Vec<String> = errors
            .iter()
            .take(3)
            .map(|e| format!("{} ({})", e["message"], e["extensions"]["code"]))
            .collect();
        return vec![format!(
            "{label} | the query failed: {}{}",
            messages.join("; "),
            if errors.len() > 3 { "; ..." } else { "" }
        )];
    }
    let performance = &response["data"]["performance"];
    let totals = match parse_metrics(&performance["totals"], &raw.currency) {
        Ok(totals) => totals,
        Err(e) => return vec![format!("{label} | totals: {e}")],
    };
    metrics(
        &mut out,
        &format!("{label} | totals"),
        &expected.totals,
        &totals,
    );

    let mut got: BTreeMap<Key, Metrics> = BTreeMap::new();
    let rows = performance["rows"].as_array().cloned().unwrap_or_default();
    for row in &rows {
        let parsed = parse_key(&row["key"], raw)
            .and_then(|key| parse_metrics(&row["metrics"], &raw.currency).map(|m| (key, m)));
        match parsed {
            Ok((key, m)) => {
                if got.insert(key.clone(), m).is_some() {
                    out.push(format!(
                        "{label} | key {} | the key repeats",
                        describe(&key, raw)
                    ));
                }
            }
            Err(e) => out.push(format!("{label} | row {}: {e}", row["key"])),
        }
    }
    // Without a grouping, one all-null row equal to the totals or no row at all are both
    // accepted (the contract asks for totals only).
    let totals_only = query.grouped().is_empty() && got.is_empty();
    if !totals_only {
        for (key, want) in &expected.rows {
            let context = format!("{label} | key {}", describe(key, raw));
            match got.get(key) {
                Some(have) => metrics(&mut out, &context, want, have),
                None => out.push(format!("{context} | missing row (expected {want:?})")),
            }
        }
        for (key, have) in &got {
            if !expected.rows.contains_key(key) {
                out.push(format!(
                    "{label} | key {} | unexpected row ({have:?})",
                    describe(key, raw)
                ));
            }
        }
    }
    if !got.is_empty() {
        for name in ADDITIVE {
            let total = fields(&totals)
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v);
            let sum = got.values().fold(0i64, |acc, m| {
                acc + match fields(m)
                    .into_iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v)
                {
                    Some(Val::Count(n) | Val::Money(Some(n))) => n,
                    _ => 0,
                }
            });
            let total = match total {
                Some(Val::Count(n) | Val::Money(Some(n))) => n,
                _ => 0,
            };
            if sum != total {
                out.push(format!(
                    "{label} | the rows' {name} add up to {sum}, the totals say {total}"
                ));
            }
        }
    }
    out
}
