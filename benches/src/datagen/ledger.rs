//! What ingestion stores for the orders: the orders replayed in time order through the crate's
//! own rules (attribution, new-customer derivation, commission lines with tiers, caps and
//! new-customers-only, refunds with their reversals), then written in bulk.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::{DatabaseConnection, DbErr};

use super::bulk::Bulk;
use super::plan::Selector;
use super::traffic::Order;
use super::world::{Enrollment, World};
use partnergraph::domain::attribution::{self, ClickCandidate, EnrollmentFacts, Method};
use partnergraph::domain::brand::CodePrecedence;
use partnergraph::domain::calendar::month_bounds;
use partnergraph::domain::commission::{
    ConversionFacts, Kind as LineKind, Line, MonthToDate, Status as LineStatus, flat_fee_line,
    lines_for_conversion, reversal_for_refund,
};
use partnergraph::domain::conversion::{Kind, status_for};

pub struct Brand {
    pub id: i64,
    pub timezone: chrono_tz::Tz,
    pub window_days: i64,
    pub hold_days: i32,
}

/// A conversion as stored.
struct Stored {
    order: Order,
    id: i64,
    kind: Kind,
    amount_minor: i64,
    email_hash: Option<String>,
    new_customer: bool,
    method: Method,
    enrollment: Option<usize>,
    self_referral: bool,
    refunded_minor: i64,
    change_seq: i64,
}

struct StoredLine {
    enrollment: usize,
    conversion: Option<usize>,
    line: Line,
    occurred_at: DateTime<Utc>,
    hold_until: DateTime<Utc>,
    reversed: bool,
}

struct Refund {
    conversion: usize,
    external_id: String,
    amount_minor: i64,
    occurred_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    pub conversions: u64,
    pub refunds: u64,
    pub commission_lines: u64,
    /// Sum of the stored brand amounts, net of refunds, of all SALEs.
    pub net_revenue_minor: i64,
    pub last_change_seq: i64,
}

fn facts(world: &World, e: usize) -> EnrollmentFacts {
    let enrollment: &Enrollment = &world.enrollments[e];
    let campaign = &world.campaigns[enrollment.campaign];
    EnrollmentFacts {
        enrollment_id: enrollment.id,
        enrollment_status: enrollment.status,
        campaign_status: campaign.status,
        schedule: campaign.schedule,
        starts_at: campaign.starts_at,
        ends_at: campaign.ends_at,
        creator_email_hash: world.creators[enrollment.creator].email_hash.clone(),
    }
}

/// Replays and writes the orders; `first_conversion_id` is the id the first one gets.
#[allow(clippy::too_many_arguments)]
pub async fn replay_and_insert(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    brand: &Brand,
    now: DateTime<Utc>,
    world: &World,
    mut orders: Vec<Order>,
    n_refunds: u64,
    first_conversion_id: i64,
) -> Result<Totals, DbErr> {
    orders.sort_by(|a, b| (a.occurred_at, &a.external_id).cmp(&(b.occurred_at, &b.external_id)));
    let by_id: HashMap<i64, usize> = world
        .enrollments
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i))
        .collect();
    // Per enrollment and month start: (sales so far, commission accrued so far).
    let mut months: HashMap<(usize, DateTime<Utc>), (u32, i64)> = HashMap::new();
    let mut lines: Vec<StoredLine> = Vec::new();
    let hold_of = |e: usize| {
        i64::from(
            world.campaigns[world.enrollments[e].campaign]
                .hold_period_days
                .unwrap_or(brand.hold_days),
        )
    };
    // Activations come first: FLAT_FEE (and HYBRID fee) lines.
    let mut by_activation: Vec<usize> = (0..world.enrollments.len()).collect();
    by_activation.sort_by_key(|&e| (world.enrollments[e].activated_at, e));
    for e in by_activation {
        let enrollment = &world.enrollments[e];
        let (start, _) = month_bounds(enrollment.activated_at, brand.timezone);
        let month = months.entry((e, start)).or_default();
        if let Some(line) = flat_fee_line(
            &enrollment.terms,
            &MonthToDate {
                prior_sales: 0,
                accrued_minor: month.1,
            },
        ) {
            month.1 += line.amount_minor;
            lines.push(StoredLine {
                enrollment: e,
                conversion: None,
                occurred_at: enrollment.activated_at,
                hold_until: enrollment.activated_at + Duration::days(hold_of(e)),
                line,
                reversed: false,
            });
        }
    }

    let mut seen_customers: HashSet<String> = HashSet::new();
    let mut stored: Vec<Stored> = Vec::with_capacity(orders.len());
    let mut lines_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, order) in orders.into_iter().enumerate() {
        let email_hash = order
            .customer_email
            .as_deref()
            .and_then(partnergraph::domain::email::hash);
        let outcome = attribution::attribute(&attribution::Input {
            occurred_at: order.occurred_at,
            window_days: brand.window_days,
            precedence: CodePrecedence::CodeWins,
            click: order.click.as_ref().map(|(_, at, e)| ClickCandidate {
                clicked_at: *at,
                enrollment: facts(world, *e),
            }),
            code: order.code.map(|c| facts(world, world.codes[c].enrollment)),
            customer_email_hash: email_hash.clone(),
        });
        let enrollment = outcome.enrollment_id.and_then(|id| by_id.get(&id).copied());
        let leads = enrollment
            .is_some_and(|e| world.campaigns[world.enrollments[e].campaign].wants_leads());
        let (kind, amount_minor) = if leads {
            (Kind::Lead, 0)
        } else {
            (Kind::Sale, order.amount_minor)
        };
        let new_customer = seen_customers.insert(order.customer_key.clone());
        let row = Stored {
            id: first_conversion_id + i as i64,
            kind,
            amount_minor,
            email_hash,
            new_customer,
            method: outcome.method,
            enrollment,
            self_referral: outcome.self_referral,
            refunded_minor: 0,
            change_seq: i as i64 + 1,
            order,
        };
        if let Some(e) = enrollment {
            let terms = &world.enrollments[e].terms;
            let (start, _) = month_bounds(row.order.occurred_at, brand.timezone);
            let month = months.entry((e, start)).or_default();
            let earned = lines_for_conversion(
                terms,
                &ConversionFacts {
                    kind,
                    amount_minor,
                    refunded_minor: 0,
                    new_customer,
                    self_referral: row.self_referral,
                },
                &MonthToDate {
                    prior_sales: month.0,
                    accrued_minor: month.1,
                },
            );
            if kind == Kind::Sale {
                month.0 += 1;
            }
            for line in earned {
                month.1 += line.amount_minor;
                lines_of.entry(i).or_default().push(lines.len());
                lines.push(StoredLine {
                    enrollment: e,
                    conversion: Some(i),
                    occurred_at: row.order.occurred_at,
                    hold_until: row.order.occurred_at + Duration::days(hold_of(e)),
                    line,
                    reversed: false,
                });
            }
        }
        stored.push(row);
    }

    // Refunds, after the orders (a backfill's arrival order), in their own time order.
    let sales = stored
        .iter()
        .filter(|s| s.kind == Kind::Sale && s.amount_minor > 0)
        .count() as u64;
    let mut picker = Selector::new(n_refunds, sales);
    let mut refunds = Vec::new();
    for (i, s) in stored.iter().enumerate() {
        if s.kind == Kind::Sale && s.amount_minor > 0 && picker.pick(rng) {
            let full = rng.random_bool(0.6);
            let amount = if full {
                s.amount_minor
            } else {
                (s.amount_minor * rng.random_range(20..80) / 100).max(1)
            };
            let at = (s.order.occurred_at + Duration::hours(rng.random_range(2..480)))
                .min(now - Duration::seconds(1));
            refunds.push(Refund {
                conversion: i,
                external_id: format!("{}-r1", s.order.external_id),
                amount_minor: amount,
                occurred_at: at,
            });
        }
    }
    refunds.sort_by_key(|r| (r.occurred_at, r.conversion));
    let mut seq = stored.len() as i64;
    for r in &refunds {
        let s = &mut stored[r.conversion];
        s.refunded_minor = (s.refunded_minor + r.amount_minor).min(s.amount_minor);
        seq += 1;
        s.change_seq = seq;
        let Some(ids) = lines_of.get(&r.conversion).cloned() else {
            continue;
        };
        let existing: Vec<Line> = ids.iter().map(|&l| lines[l].line.clone()).collect();
        if let Some(reversal) = reversal_for_refund(&existing, s.amount_minor, s.refunded_minor) {
            let first = &lines[ids[0]];
            let net: i64 =
                existing.iter().map(|l| l.amount_minor).sum::<i64>() + reversal.amount_minor;
            let (enrollment, occurred_at, hold_until) =
                (first.enrollment, s.order.occurred_at, first.hold_until);
            lines_of.entry(r.conversion).or_default().push(lines.len());
            lines.push(StoredLine {
                enrollment,
                conversion: Some(r.conversion),
                line: reversal,
                occurred_at,
                hold_until,
                reversed: false,
            });
            if net == 0 {
                for &l in &lines_of[&r.conversion] {
                    lines[l].reversed = true;
                }
            }
        }
    }

    let mut totals = Totals {
        conversions: stored.len() as u64,
        refunds: refunds.len() as u64,
        commission_lines: lines.len() as u64,
        net_revenue_minor: 0,
        last_change_seq: seq,
    };
    let mut conversions = Bulk::new(
        db,
        "conversions",
        &[
            "id",
            "brand_id",
            "external_id",
            "kind",
            "occurred_at",
            "amount_minor",
            "currency_code",
            "brand_amount_minor",
            "customer_key",
            "customer_email_hash",
            "new_customer",
            "new_customer_derived",
            "click_id",
            "discount_code",
            "region",
            "attribution_method",
            "enrollment_id",
            "campaign_id",
            "creator_id",
            "offer_id",
            "self_referral",
            "status",
            "refunded_minor",
            "refunded_brand_minor",
            "change_seq",
            "created_at",
            "updated_at",
        ],
    );
    for s in &stored {
        let e = s.enrollment.map(|e| &world.enrollments[e]);
        let c = e.map(|e| &world.campaigns[e.campaign]);
        if s.kind == Kind::Sale {
            totals.net_revenue_minor += s.amount_minor - s.refunded_minor;
        }
        conversions
            .push(vec![
                s.id.into(),
                brand.id.into(),
                s.order.external_id.clone().into(),
                s.kind.as_str().into(),
                s.order.occurred_at.into(),
                s.amount_minor.into(),
                "USD".into(),
                s.amount_minor.into(),
                Some(s.order.customer_key.clone()).into(),
                s.email_hash.clone().into(),
                s.new_customer.into(),
                true.into(),
                s.order.click.as_ref().map(|c| c.0.clone()).into(),
                s.order.code.map(|c| world.codes[c].code.clone()).into(),
                Some(s.order.region.clone()).into(),
                s.method.as_str().into(),
                e.map(|e| e.id).into(),
                c.map(|c| c.id).into(),
                e.map(|e| world.creators[e.creator].id).into(),
                c.map(|c| c.offer_id).into(),
                s.self_referral.into(),
                status_for(s.amount_minor, s.refunded_minor).as_str().into(),
                s.refunded_minor.into(),
                s.refunded_minor.into(),
                s.change_seq.into(),
                s.order.occurred_at.into(),
                now.into(),
            ])
            .await?;
    }
    conversions.finish().await?;

    let mut refund_rows = Bulk::new(
        db,
        "refunds",
        &[
            "brand_id",
            "conversion_id",
            "order_external_id",
            "refund_external_id",
            "amount_minor",
            "currency_code",
            "brand_amount_minor",
            "occurred_at",
            "applied_at",
            "created_at",
        ],
    );
    for r in &refunds {
        let s = &stored[r.conversion];
        refund_rows
            .push(vec![
                brand.id.into(),
                Some(s.id).into(),
                s.order.external_id.clone().into(),
                r.external_id.clone().into(),
                r.amount_minor.into(),
                "USD".into(),
                Some(r.amount_minor).into(),
                r.occurred_at.into(),
                Some(r.occurred_at).into(),
                r.occurred_at.into(),
            ])
            .await?;
    }
    refund_rows.finish().await?;

    let mut commissions = Bulk::new(
        db,
        "commissions",
        &[
            "brand_id",
            "enrollment_id",
            "creator_id",
            "campaign_id",
            "conversion_id",
            "kind",
            "amount_minor",
            "currency_code",
            "occurred_at",
            "hold_until",
            "status",
            "rate_percent",
            "reverses",
            "created_at",
            "mail_notified_at",
            "webhook_notified_at",
        ],
    );
    for l in &lines {
        // A program that has been running announced each line (mail, webhook) when its hold
        // ended: without the marks, a server started on the data spends its first minutes
        // announcing 200,000 old lines, on the core the benchmarks measure.
        let announced = (l.hold_until <= now).then_some(l.hold_until);
        let e = &world.enrollments[l.enrollment];
        let status = if l.reversed {
            LineStatus::Reversed
        } else {
            LineStatus::Pending
        };
        commissions
            .push(vec![
                brand.id.into(),
                e.id.into(),
                world.creators[e.creator].id.into(),
                world.campaigns[e.campaign].id.into(),
                l.conversion.map(|c| stored[c].id).into(),
                l.line.kind.as_str().into(),
                l.line.amount_minor.into(),
                "USD".into(),
                l.occurred_at.into(),
                l.hold_until.into(),
                status.as_str().into(),
                l.line
                    .rate_percent
                    .map(|p| p.normalize().to_string())
                    .into(),
                l.line
                    .reverses
                    .map(|k: LineKind| k.as_str().to_owned())
                    .into(),
                now.into(),
                announced.into(),
                announced.into(),
            ])
            .await?;
    }
    commissions.finish().await?;
    Ok(totals)
}
