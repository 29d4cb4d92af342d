//! The `performance` oracle: a seeded data set (thousands of clicks, hundreds of conversions in
//! three currencies, refunds, costs, deliverables, every offer model) is ingested through the
//! API for a brand in America/New_York, and every metric of every row, for many groupings,
//! ranges and filters, must equal a brute-force recomputation from the stored raw rows (money to
//! the minor unit, ratios to 1e-9). The recomputation is written here, independently of the
//! server: it reads rows with SeaORM and calls no service or domain function.
//!
//! `data_set` and `traffic` build the data through the API; `raw` reads the rows back as
//! events; `oracle` recomputes; `cases` lists the requests; `compare` reports every difference
//! with its context; `self_checks` test the oracle and the comparison without a server.

use std::time::Instant;

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

use crate::helpers::{TestApp, contract};
use crate::on_both_backends;

mod cases;
mod compare;
mod data_set;
mod oracle;
mod raw;
mod self_checks;
mod top;
mod traffic;

/// The brand's timezone: not UTC, with a daylight-saving change (2026-11-01) in the main period.
const TIMEZONE: Tz = chrono_tz::America::New_York;
const SEED: u64 = 0x0AC1_E5EE_D202_6000;

/// A local wall-clock instant of the brand (never an ambiguous or skipped one).
fn local(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    TIMEZONE
        .with_ymd_and_hms(y, m, d, h, mi, s)
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `[from, to)` ranges the data set is built around.
struct Ranges {
    /// Most events: six and a half weeks across a month end and the DST change.
    main: (DateTime<Utc>, DateTime<Utc>),
    /// A few events around the new year: ISO week 2026-W01 starts on 2025-12-29.
    tail: (DateTime<Utc>, DateTime<Utc>),
    /// Bounds at local midnights, on both sides of the DST change.
    midnight: (DateTime<Utc>, DateTime<Utc>),
    /// Bounds at odd local times.
    odd: (DateTime<Utc>, DateTime<Utc>),
    /// Every event, including the ledger lines dated when the test runs.
    whole: (DateTime<Utc>, DateTime<Utc>),
    /// A week with no event at all.
    gap: (DateTime<Utc>, DateTime<Utc>),
}

fn ranges() -> Ranges {
    Ranges {
        main: (local(2026, 10, 5, 0, 0, 0), local(2026, 11, 19, 0, 0, 0)),
        tail: (local(2025, 12, 26, 0, 0, 0), local(2026, 1, 4, 0, 0, 0)),
        midnight: (local(2026, 10, 19, 0, 0, 0), local(2026, 11, 9, 0, 0, 0)),
        odd: (
            local(2026, 10, 12, 13, 17, 5),
            local(2026, 11, 3, 8, 45, 30),
        ),
        whole: (local(2025, 12, 24, 0, 0, 0), Utc::now() + Duration::days(2)),
        gap: (local(2026, 3, 2, 0, 0, 0), local(2026, 3, 9, 0, 0, 0)),
    }
}

async fn performance_matches_a_brute_force_oracle(app: TestApp) {
    let started = Instant::now();
    let set = data_set::generate(&app).await;
    let generated = started.elapsed();
    let raw = raw::Raw::load(&app.db, set.brand_id).await;
    raw.assert_the_data_set_is_rich();
    eprintln!(
        "performance oracle: data set generated in {generated:.1?} ({} events)\n{:#?}",
        raw.events.len(),
        raw.census
    );

    // The contract's `Performance` operation as written, sent without the file's other
    // operations (a document is validated whole).
    let operation = contract::operation("performance", "Performance");
    let mut failures = Vec::new();
    let cases = cases::all(&set);
    for case in &cases {
        let expected = oracle::compute(&raw, &case.query);
        if std::env::var_os("PERFORMANCE_ORACLE_DUMP").is_some() {
            eprintln!(
                "{}: {} rows, totals {:?}",
                case.label,
                expected.rows.len(),
                expected.totals
            );
        }
        let response = app
            .graphql_as(Some(&set.admin), &operation, case.variables())
            .await;
        failures.extend(compare::report(
            &case.label,
            &case.query,
            &raw,
            &expected,
            &response,
        ));
    }
    failures.extend(top::differences(&app, &set, &raw).await);
    eprintln!(
        "performance oracle: {} cases and the top pages compared in {:.1?}",
        cases.len(),
        started.elapsed() - generated
    );
    assert!(
        failures.is_empty(),
        "{} mismatches; the first:\n  {}\n\nmore:\n  {}",
        failures.len(),
        failures[0],
        failures
            .iter()
            .skip(1)
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

on_both_backends!(performance_matches_a_brute_force_oracle);
