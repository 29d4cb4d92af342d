//! Row 4: the contract `Performance` query (the manifest's 90-day window, grouped by CREATOR)
//! against the server, next to the raw SQL aggregate over the raw events computing the same
//! per-creator numbers, the same number of times; the numbers must agree. A report of more rows
//! than a page holds (5,000) is read to its end, as a client would: the contract operation with
//! `pageInfo` and an `after` cursor, page after page; the latency measured is the whole
//! report's (the first page's is reported beside it). Prints one JSON line.
//!
//! Then the dashboard figures of issue #18, each checked against the raw aggregate where one
//! exists, one JSON line each: the contract `Performance` with totals only, the top 50 creators
//! by revenue (`first: 50, orderBy: {metric: REVENUE}`), and one campaign by DAY (the campaign
//! with the most revenue in the window).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::Parser;
use partnergraph_bench::graphql::{PERFORMANCE, PERFORMANCE_PAGE, call, db_id, login, minor_units};
use partnergraph_bench::http::{Client, Error};
use partnergraph_bench::manifest::Manifest;
use partnergraph_bench::raw_performance::{self, ByCreator, Numbers};
use partnergraph_bench::stats::percentile_ms;
use serde_json::{Value, json};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    manifest: PathBuf,
    /// `http://127.0.0.1:PORT`
    #[arg(long)]
    server: String,
    #[arg(long, default_value_t = 30)]
    runs: usize,
    #[arg(long, default_value_t = 3)]
    warmup: usize,
}

fn int(v: &Value) -> Result<i64, Error> {
    v.as_i64()
        .ok_or_else(|| format!("not an integer: {v}").into())
}

/// Adds the per-creator numbers of a `Performance` page to `out` (all-zero rows left out).
fn add_numbers(data: &Value, out: &mut ByCreator) -> Result<(), Error> {
    let rows = data["performance"]["rows"]
        .as_array()
        .ok_or("performance.rows is not a list")?;
    for row in rows {
        let m = &row["metrics"];
        let n = Numbers {
            clicks: int(&m["clicks"])?,
            unique_clicks: int(&m["uniqueClicks"])?,
            sales: int(&m["sales"])?,
            leads: int(&m["leads"])?,
            new_customers: int(&m["newCustomers"])?,
            revenue_minor: minor_units(&m["revenue"])?,
            commissions_minor: minor_units(&m["commissions"])?,
        };
        if n.is_zero() {
            continue;
        }
        let id = row["key"]["creator"]["id"]
            .as_str()
            .ok_or_else(|| format!("a row without a creator: {row}"))?;
        if out.insert(db_id(id)?, n).is_some() {
            return Err(format!("creator {id} is on two rows").into());
        }
    }
    Ok(())
}

/// The whole report, page after page: its numbers, how long the first page and the whole took,
/// and the number of pages.
async fn whole_report(
    client: &mut Client,
    token: &str,
    variables: &Value,
) -> Result<(ByCreator, Duration, Duration, usize), Error> {
    let document = format!("{PERFORMANCE}\n{PERFORMANCE_PAGE}");
    let started = Instant::now();
    let mut numbers = ByCreator::new();
    let mut first_page = None;
    let mut pages = 0;
    let mut after = Value::Null;
    loop {
        let mut page = variables.clone();
        page["after"] = after;
        let answer = call(client, Some(token), &document, "PerformancePage", page).await?;
        first_page.get_or_insert(started.elapsed());
        add_numbers(&answer, &mut numbers)?;
        pages += 1;
        let info = &answer["performance"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].clone();
    }
    let first_page = first_page.unwrap_or_default();
    Ok((numbers, first_page, started.elapsed(), pages))
}

const TOP_50: &str = "query Top50($filter: PerformanceFilter!) {
  performance(filter: $filter, groupBy: [CREATOR], first: 50,
              orderBy: { metric: REVENUE, direction: DESC }) {
    rowCount rows { key { creator { id } } metrics { revenue { amount } } } } }";

const TOP_CAMPAIGN: &str = "query TopCampaign($filter: PerformanceFilter!) {
  performance(filter: $filter, groupBy: [CAMPAIGN], first: 1,
              orderBy: { metric: REVENUE, direction: DESC }) { rows { key { campaign { id } } } } }";

/// `warmup` calls, then the latencies of `runs` calls of `name` in `document`, and the last answer.
async fn timed(
    client: &mut Client,
    token: &str,
    (document, name): (&str, &str),
    variables: &Value,
    (warmup, runs): (usize, usize),
) -> Result<(Vec<Duration>, Value), Error> {
    let mut took = Vec::with_capacity(runs);
    let mut answer = Value::Null;
    for run in 0..warmup + runs {
        let started = Instant::now();
        answer = call(client, Some(token), document, name, variables.clone()).await?;
        if run >= warmup {
            took.push(started.elapsed());
        }
    }
    Ok((took, answer))
}

fn latency_line(row: &str, took: &[Duration], extra: Value) -> Value {
    let mut line = json!({
        "row": row,
        "p50_ms": percentile_ms(took, 50.0),
        "p99_ms": percentile_ms(took, 99.0),
        "runs": took.len(),
    });
    if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
        line.extend(extra.clone());
    }
    line
}

/// The dashboard figures (see the module doc), checked against `from_raw` where it applies.
async fn dashboard_rows(
    client: &mut Client,
    token: &str,
    manifest: &Manifest,
    from_raw: &ByCreator,
    times: (usize, usize),
) -> Result<(), Error> {
    let filter = json!({ "from": manifest.performance_from, "to": manifest.performance_to });

    let totals = json!({ "filter": filter, "groupBy": [] });
    let (took, answer) = timed(client, token, (PERFORMANCE, "Performance"), &totals, times).await?;
    let revenue = minor_units(&answer["performance"]["totals"]["revenue"])?;
    let raw_revenue: i64 = from_raw.values().map(|n| n.revenue_minor).sum();
    if revenue != raw_revenue {
        return Err(format!("totals: revenue {revenue} against {raw_revenue} raw").into());
    }
    println!("{}", latency_line("performance_totals", &took, json!({})));

    let variables = json!({ "filter": filter });
    let (took, answer) = timed(client, token, (TOP_50, "Top50"), &variables, times).await?;
    let rows = answer["performance"]["rows"]
        .as_array()
        .ok_or("Top50: rows is not a list")?;
    let top: Vec<i64> = rows
        .iter()
        .map(|row| minor_units(&row["metrics"]["revenue"]))
        .collect::<Result<_, _>>()?;
    let mut raw_top: Vec<i64> = from_raw.values().map(|n| n.revenue_minor).collect();
    raw_top.sort_unstable_by(|a, b| b.cmp(a));
    raw_top.truncate(top.len());
    if top.len() != 50.min(from_raw.len()) || top != raw_top {
        return Err(format!("top 50 by revenue {top:?} against raw {raw_top:?}").into());
    }
    println!("{}", latency_line("performance_top50", &took, json!({})));

    let top_campaign = call(client, Some(token), TOP_CAMPAIGN, "TopCampaign", variables).await?;
    let campaign = top_campaign["performance"]["rows"][0]["key"]["campaign"]["id"].clone();
    let by_day = json!({ "filter": { "from": manifest.performance_from,
                                     "to": manifest.performance_to, "campaignIds": [campaign] },
                         "groupBy": ["DAY"] });
    let (took, answer) = timed(client, token, (PERFORMANCE, "Performance"), &by_day, times).await?;
    let days = answer["performance"]["rows"].as_array().map_or(0, Vec::len);
    println!(
        "{}",
        latency_line("performance_campaign_days", &took, json!({ "rows": days }))
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let manifest = Manifest::read(&args.manifest).map_err(|e| e.to_string())?;
    let from: DateTime<Utc> = manifest.performance_from.parse()?;
    let to: DateTime<Utc> = manifest.performance_to.parse()?;
    let mut client = Client::new(&args.server)?;
    let token = login(&mut client, &manifest.admin_email, &manifest.admin_password).await?;
    let variables = json!({
        "filter": { "from": manifest.performance_from, "to": manifest.performance_to },
        "groupBy": ["CREATOR"],
    });

    let mut from_api = ByCreator::new();
    let mut graphql = Vec::with_capacity(args.runs);
    let mut first_pages = Vec::with_capacity(args.runs);
    let mut pages = 0;
    for run in 0..args.warmup + args.runs {
        let (numbers, first_page, whole, n) = whole_report(&mut client, &token, &variables).await?;
        if run >= args.warmup {
            graphql.push(whole);
            first_pages.push(first_page);
        }
        (from_api, pages) = (numbers, n);
    }

    let db = manifest.connect(2).await?;
    let mut raw = Vec::with_capacity(args.runs);
    let mut from_raw = ByCreator::new();
    for run in 0..args.warmup + args.runs {
        let started = Instant::now();
        from_raw = raw_performance::by_creator(&db, manifest.brand_db_id, from, to).await?;
        if run >= args.warmup {
            raw.push(started.elapsed());
        }
    }
    db.close().await?;

    let agrees = |id: &i64, exact: &raw_performance::Numbers| {
        from_api.get(id).is_some_and(|n| n.agrees_with(exact))
    };
    if from_api.len() != from_raw.len() || !from_raw.iter().all(|(id, n)| agrees(id, n)) {
        let differing: Vec<_> = from_raw
            .iter()
            .filter(|(id, n)| !agrees(id, n))
            .take(5)
            .collect();
        return Err(format!(
            "Performance disagrees with the raw aggregate: {} rows vs {} raw; first raw rows that \
             differ: {differing:?}",
            from_api.len(),
            from_raw.len()
        )
        .into());
    }
    let unique_error = from_raw
        .iter()
        .filter_map(|(id, exact)| from_api.get(id).map(|n| n.unique_error(exact)))
        .fold(0.0_f64, f64::max);
    let (graphql_p50, raw_p50) = (percentile_ms(&graphql, 50.0), percentile_ms(&raw, 50.0));
    println!(
        "{}",
        json!({
            "row": "performance",
            "graphql_p50_ms": graphql_p50,
            "graphql_p99_ms": percentile_ms(&graphql, 99.0),
            "unique_clicks_max_error": unique_error,
            "first_page_p50_ms": percentile_ms(&first_pages, 50.0),
            "pages": pages,
            "raw_p50_ms": raw_p50,
            "raw_p99_ms": percentile_ms(&raw, 99.0),
            "ratio": if raw_p50 > 0.0 { graphql_p50 / raw_p50 } else { f64::NAN },
            "rows": from_api.len(),
            "runs": args.runs,
        })
    );
    let times = (args.warmup, args.runs);
    dashboard_rows(&mut client, &token, &manifest, &from_raw, times).await
}
