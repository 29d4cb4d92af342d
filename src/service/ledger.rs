//! The commission ledger: append-only lines written when conversions are ingested and refunded
//! (DOMAIN.md rule 4). Amounts are computed by the pure engine in `domain::commission`; this
//! module reads what it needs and writes lines. A line's amount is never updated; refunds add
//! REVERSAL lines; a conversion whose lines net to zero before any is paid is marked REVERSED.

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{
    Alias, Condition, Expr, Func, Query, QueryStatementBuilder, SelectStatement,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};

use super::audit::{self, Target};
use super::ingest::{BrandContext, Lookups, lock_brand};
use super::offers;
use crate::db::entity::{commission, conversion, enrollment, offer, offer_tier};
use crate::domain::calendar::month_bounds;
use crate::domain::commission::{
    ConversionFacts, Kind, Line, MonthToDate, Status, clawback_limit, effective_terms,
    lines_for_conversion, month_matters, refund_is_locked, reversal_for_refund, within_net,
};
use crate::domain::conversion::Kind as ConversionKind;
use crate::domain::offer::{Rates, VolumeTier};
use crate::error::AppError;
use crate::global_id::NodeKind;

/// `SUM(amount_minor)` of commission lines, cast so that both backends decode an i64
/// (`SUM(bigint)` is NUMERIC on PostgreSQL).
pub(crate) fn sum_of_amounts() -> Expr {
    Expr::expr(Func::cast_as(
        Func::sum(Expr::col(commission::Column::AmountMinor)),
        Alias::new("BIGINT"),
    ))
}

fn decimal(value: Option<&str>) -> Result<Option<Decimal>, AppError> {
    value
        .map(Decimal::from_str)
        .transpose()
        .map_err(AppError::internal)
}

fn overrides_of(row: &enrollment::Model) -> Result<Rates, AppError> {
    Ok(Rates {
        cpa_minor: row.cpa_amount_minor,
        cpl_minor: row.cpl_amount_minor,
        cpc_minor: row.cpc_amount_minor,
        revenue_share_percent: decimal(row.revenue_share_percent.as_deref())?,
        flat_fee_minor: row.flat_fee_minor,
    })
}

fn tiers_of(rows: &[offer_tier::Model]) -> Result<Vec<VolumeTier>, AppError> {
    rows.iter()
        .map(|t| {
            Ok(VolumeTier {
                from_sale: t.from_sale,
                cpa_minor: t.cpa_amount_minor,
                revenue_share_percent: decimal(t.revenue_share_percent.as_deref())?,
            })
        })
        .collect()
}

async fn terms_of(
    txn: &DatabaseTransaction,
    lookups: &mut Lookups,
    enrollment: &enrollment::Model,
) -> Result<Option<(offer::Model, crate::domain::commission::Terms)>, AppError> {
    let Some((offer, tiers)) = lookups.offer(txn, enrollment.offer_id).await? else {
        return Ok(None);
    };
    let terms = effective_terms(
        offers::model_of(offer)?,
        &offers::rates_of(offer)?,
        &overrides_of(enrollment)?,
        &tiers_of(tiers)?,
        offer.new_customers_only,
        offer.monthly_cap_minor,
    );
    Ok(Some((offer.clone(), terms)))
}

/// Commission accrued by an enrollment in `[start, end)` (for the monthly cap).
async fn accrued_in(
    txn: &DatabaseTransaction,
    enrollment_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<i64, AppError> {
    let accrued: Option<i64> = commission::Entity::find()
        .select_only()
        .column_as(sum_of_amounts(), "total")
        .filter(commission::Column::EnrollmentId.eq(enrollment_id))
        .filter(commission::Column::OccurredAt.gte(start))
        .filter(commission::Column::OccurredAt.lt(end))
        .into_tuple::<Option<i64>>()
        .one(txn)
        .await?
        .flatten();
    Ok(accrued.unwrap_or(0))
}

/// The FLAT_FEE line (FLAT_FEE and HYBRID offers) when an enrollment first becomes ACTIVE, dated
/// with the activation (DOMAIN.md rule 4), which is the time of the change (the caller's `now`,
/// also the row's `created_at`). Returns the events to publish when `txn` commits.
pub(crate) async fn accrue_flat_fee(
    txn: &DatabaseTransaction,
    enrollment: &enrollment::Model,
    activated_at: DateTime<Utc>,
) -> Result<crate::events::Pending, AppError> {
    // Under the brand's ingestion lock, like every commission line: a brand's line ids grow in
    // commit order (subscriptions read back what they missed by id, `service::catch_up`).
    let brand = lock_brand(txn, enrollment.brand_id).await?;
    let mut brand = BrandContext::new(brand)?;
    let Some((offer, terms)) = terms_of(txn, &mut brand.lookups, enrollment).await? else {
        return Ok(brand.events);
    };
    let (start, end) = month_bounds(activated_at, brand.timezone);
    let month = MonthToDate {
        prior_sales: 0,
        accrued_minor: accrued_in(txn, enrollment.id, start, end).await?,
    };
    if let Some(line) = crate::domain::commission::flat_fee_line(&terms, &month) {
        let hold_days = offer
            .hold_period_days
            .unwrap_or(brand.brand.hold_period_days);
        let hold_until = activated_at + Duration::days(i64::from(hold_days));
        insert_line(
            txn,
            &mut brand,
            enrollment,
            Source::Event(activated_at),
            &line,
            hold_until,
            activated_at,
        )
        .await?;
        brand.save_rollups(txn).await?;
    }
    Ok(brand.events)
}

/// Writes the lines a newly ingested, attributed conversion earns (none for self-referrals,
/// returning customers under new-customers-only, or models that do not pay per conversion),
/// written at `now`.
pub(crate) async fn accrue_for_conversion(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: &conversion::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(enrollment_id) = row.enrollment_id else {
        return Ok(());
    };
    let Some(enrollment) = brand.lookups.enrollment(txn, enrollment_id).await? else {
        return Ok(());
    };
    let Some((offer, terms)) = terms_of(txn, &mut brand.lookups, &enrollment).await? else {
        return Ok(());
    };
    let kind = ConversionKind::parse(&row.kind).ok_or_else(|| AppError::internal("stored kind"))?;
    let facts = ConversionFacts {
        kind,
        amount_minor: row.brand_amount_minor,
        refunded_minor: row.refunded_brand_minor,
        new_customer: row.new_customer,
        self_referral: row.self_referral,
    };
    // Read only where tiers or a cap make the lines depend on it (a statement per conversion).
    let month = if month_matters(&terms, &facts) {
        let (start, end) = month_bounds(row.occurred_at, brand.timezone);
        month_to_date(txn, row, start, end).await?
    } else {
        MonthToDate::default()
    };
    let lines = lines_for_conversion(&terms, &facts, &month);
    let hold_days = offer
        .hold_period_days
        .unwrap_or(brand.brand.hold_period_days);
    let hold_until = row.occurred_at + Duration::days(i64::from(hold_days));
    for line in lines {
        insert_line(
            txn,
            brand,
            &enrollment,
            Source::Conversion(row),
            &line,
            hold_until,
            now,
        )
        .await?;
    }
    Ok(())
}

/// The enrollment's month so far for a conversion `row` of it (month `[start, end)` in the brand
/// timezone): its SALE conversions before `row` (by time, ties by id) and the commission accrued
/// in the month, in one statement of two subqueries.
async fn month_to_date(
    txn: &DatabaseTransaction,
    row: &conversion::Model,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<MonthToDate, AppError> {
    let enrollment_id = row.enrollment_id;
    let prior_sales = conversion::Entity::find()
        .select_only()
        .column_as(
            Expr::expr(Func::count(Expr::col(conversion::Column::Id))),
            "n",
        )
        .filter(conversion::Column::EnrollmentId.eq(enrollment_id))
        .filter(conversion::Column::Kind.eq(ConversionKind::Sale.as_str()))
        .filter(conversion::Column::Id.ne(row.id))
        .filter(conversion::Column::OccurredAt.gte(start))
        .filter(
            Condition::any()
                .add(conversion::Column::OccurredAt.lt(row.occurred_at))
                .add(
                    Condition::all()
                        .add(conversion::Column::OccurredAt.eq(row.occurred_at))
                        .add(conversion::Column::Id.lt(row.id)),
                ),
        )
        .into_query();
    let accrued = commission::Entity::find()
        .select_only()
        .column_as(sum_of_amounts(), "total")
        .filter(commission::Column::EnrollmentId.eq(enrollment_id))
        .filter(commission::Column::OccurredAt.gte(start))
        .filter(commission::Column::OccurredAt.lt(end))
        .into_query();
    let subquery =
        |select: SelectStatement| Expr::SubQuery(None, Box::new(select.into_sub_query_statement()));
    let statement = Query::select()
        .expr_as(subquery(prior_sales), Alias::new("prior_sales"))
        .expr_as(subquery(accrued), Alias::new("accrued"))
        .to_owned();
    let Some(found) = txn.query_one(&statement).await? else {
        return Err(AppError::internal("month to date: no row"));
    };
    let prior_sales: i64 = found.try_get("", "prior_sales")?;
    let accrued: Option<i64> = found.try_get("", "accrued")?;
    Ok(MonthToDate {
        prior_sales: u32::try_from(prior_sales).unwrap_or(u32::MAX),
        accrued_minor: accrued.unwrap_or(0),
    })
}

/// Where a line comes from: a conversion (dated with it) or an enrollment event at a time.
enum Source<'a> {
    Conversion(&'a conversion::Model),
    Event(DateTime<Utc>),
}

/// Inserts a line, written at `now`; its rollup change joins `brand.rollup`, which the caller
/// saves ([`BrandContext::save_rollups`]) before committing.
async fn insert_line(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    enrollment: &enrollment::Model,
    source: Source<'_>,
    line: &Line,
    hold_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<commission::Model, AppError> {
    let (conversion_id, occurred_at) = match source {
        Source::Conversion(row) => (Some(row.id), row.occurred_at),
        Source::Event(at) => (None, at),
    };
    let line = commission::ActiveModel {
        brand_id: Set(brand.brand.id),
        enrollment_id: Set(enrollment.id),
        creator_id: Set(enrollment.creator_id),
        campaign_id: Set(enrollment.campaign_id),
        conversion_id: Set(conversion_id),
        kind: Set(line.kind.as_str().to_owned()),
        amount_minor: Set(line.amount_minor),
        currency_code: Set(brand.currency.code().to_owned()),
        occurred_at: Set(occurred_at),
        hold_until: Set(hold_until),
        status: Set(Status::Pending.as_str().to_owned()),
        rate_percent: Set(line.rate_percent.map(|p| p.normalize().to_string())),
        reverses: Set(line.reverses.map(|k| k.as_str().to_owned())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let timezone = brand.timezone;
    brand.rollup.commission(timezone, &line);
    brand
        .events
        .push(crate::events::Event::commission_created(&line));
    Ok(line)
}

fn line_of(row: &commission::Model) -> Result<Line, AppError> {
    Ok(Line {
        kind: Kind::parse(&row.kind).ok_or_else(|| AppError::internal("stored commission kind"))?,
        amount_minor: row.amount_minor,
        rate_percent: decimal(row.rate_percent.as_deref())?,
        reverses: row.reverses.as_deref().and_then(Kind::parse),
    })
}

/// A conversion's commission lines, as stored.
async fn conversion_lines(
    txn: &DatabaseTransaction,
    conversion_id: i64,
) -> Result<Vec<commission::Model>, AppError> {
    Ok(commission::Entity::find()
        .filter(commission::Column::ConversionId.eq(conversion_id))
        .all(txn)
        .await?)
}

/// The enrollment a line belongs to (a conversion's lines all belong to its enrollment).
async fn enrollment_of(
    txn: &DatabaseTransaction,
    line: &commission::Model,
) -> Result<enrollment::Model, AppError> {
    enrollment::Entity::find_by_id(line.enrollment_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("commission without enrollment"))
}

/// Whether any of the lines has been paid or gathered into a payout.
fn any_paid(lines: &[commission::Model]) -> bool {
    lines
        .iter()
        .any(|l| l.payout_id.is_some() || l.status == Status::Paid.as_str())
}

/// Whether the lines' conversion is under fraud review.
fn any_on_hold(lines: &[commission::Model]) -> bool {
    lines.iter().any(|l| l.status == Status::OnHold.as_str())
}

/// Marks every line of a conversion REVERSED (its lines net to zero and none was paid).
async fn mark_reversed(txn: &DatabaseTransaction, conversion_id: i64) -> Result<(), AppError> {
    commission::Entity::update_many()
        .col_expr(
            commission::Column::Status,
            Expr::value(Status::Reversed.as_str()),
        )
        .filter(commission::Column::ConversionId.eq(conversion_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// After a refund changed a conversion's refunded total: adds the REVERSAL line the engine owes
/// (dated with the conversion, held like it), and marks the conversion's lines REVERSED when they
/// net to zero and none has been paid. A paid line's reversal stays a separate line that the
/// creator's next payout nets. The line is written at `now`, which is also when the refund
/// counts as recorded for the brand's lock period: a refund recorded once the conversion's
/// commission locked adds nothing (DOMAIN rule 4). A reversal never takes the conversion's lines
/// below zero (a clawback may have taken part back already).
pub(crate) async fn reverse_for_refund(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: &conversion::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if refund_is_locked(row.occurred_at, brand.brand.lock_period_days, now) {
        return Ok(());
    }
    let existing = conversion_lines(txn, row.id).await?;
    let Some(first) = existing.first() else {
        return Ok(());
    };
    let lines = existing
        .iter()
        .map(line_of)
        .collect::<Result<Vec<_>, _>>()?;
    let Some(reversal) =
        reversal_for_refund(&lines, row.brand_amount_minor, row.refunded_brand_minor)
            .and_then(|reversal| within_net(&lines, reversal))
    else {
        return Ok(());
    };
    let enrollment = enrollment_of(txn, first).await?;
    insert_line(
        txn,
        brand,
        &enrollment,
        Source::Conversion(row),
        &reversal,
        first.hold_until,
        now,
    )
    .await?;
    if any_on_hold(&existing) {
        // The conversion is under review: its reversal waits with its lines.
        hold_for_review(txn, row.id).await?;
    }
    let net: i64 = lines.iter().map(|l| l.amount_minor).sum::<i64>() + reversal.amount_minor;
    if net == 0 && !any_paid(&existing) {
        mark_reversed(txn, row.id).await?;
    }
    Ok(())
}

/// Writes the CPC lines of every finished day (brand timezone) before `up_to` that has none yet:
/// one line per CPC enrollment and day for its non-bot unique visitors (distinct visitor keys).
/// Run before each payout run, so that payouts include clicks up to their period end. Saves the
/// lines' rollup changes. The lines are written at `now`.
pub(crate) async fn accrue_cpc_days(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    up_to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use std::collections::{BTreeMap, HashSet};

    use crate::db::entity::click;
    use crate::domain::offer::OfferModel;

    let cpc_offers: Vec<i64> = offer::Entity::find()
        .select_only()
        .column(offer::Column::Id)
        .filter(offer::Column::BrandId.eq(brand.brand.id))
        .filter(offer::Column::Model.eq(OfferModel::Cpc.as_str()))
        .into_tuple()
        .all(txn)
        .await?;
    if cpc_offers.is_empty() {
        return Ok(());
    }
    let mut lookups = Lookups::default();
    let today = up_to.with_timezone(&brand.timezone).date_naive();
    let timezone = brand.timezone;
    let day_start = |day: NaiveDate| {
        timezone
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(up_to)
    };
    let end = day_start(today);
    let enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::OfferId.is_in(cpc_offers))
        .all(txn)
        .await?;
    for enrollment in enrollments {
        let last = commission::Entity::find()
            .filter(commission::Column::EnrollmentId.eq(enrollment.id))
            .filter(commission::Column::Kind.eq(Kind::Cpc.as_str()))
            .all(txn)
            .await?
            .into_iter()
            .map(|line| line.occurred_at)
            .max();
        let from = match last {
            Some(at) => at + Duration::days(1),
            None => enrollment.created_at - Duration::days(366),
        };
        if from >= end {
            continue;
        }
        let clicks = click::Entity::find()
            .filter(click::Column::EnrollmentId.eq(enrollment.id))
            .filter(click::Column::IsBot.eq(false))
            .filter(click::Column::OccurredAt.gte(from))
            .filter(click::Column::OccurredAt.lt(end))
            .all(txn)
            .await?;
        let mut days: BTreeMap<NaiveDate, HashSet<String>> = BTreeMap::new();
        for c in clicks {
            let day = c.occurred_at.with_timezone(&brand.timezone).date_naive();
            days.entry(day).or_default().insert(c.visitor_key);
        }
        let Some((offer, terms)) = terms_of(txn, &mut lookups, &enrollment).await? else {
            continue;
        };
        for (day, visitors) in days {
            let at = day_start(day);
            let (start, month_end) = month_bounds(at, brand.timezone);
            let month = MonthToDate {
                prior_sales: 0,
                accrued_minor: accrued_in(txn, enrollment.id, start, month_end).await?,
            };
            if let Some(line) =
                crate::domain::commission::cpc_line(&terms, visitors.len() as u64, &month)
            {
                let hold_days = offer
                    .hold_period_days
                    .unwrap_or(brand.brand.hold_period_days);
                let hold_until = at + Duration::days(i64::from(hold_days));
                insert_line(
                    txn,
                    brand,
                    &enrollment,
                    Source::Event(at),
                    &line,
                    hold_until,
                    now,
                )
                .await?;
            }
        }
    }
    brand.save_rollups(txn).await
}

/// The brand an ADMIN's manual line (bonus, adjustment, clawback) is written in; `amount` must be
/// in its currency.
async fn manual_line_brand(
    txn: &DatabaseTransaction,
    brand_id: i64,
    amount: &crate::domain::money::Money,
) -> Result<BrandContext, AppError> {
    // Under the brand's ingestion lock, like every commission line (see `accrue_flat_fee`).
    let brand = BrandContext::new(lock_brand(txn, brand_id).await?)?;
    if amount.currency != brand.currency {
        return Err(AppError::bad_input(
            "amount",
            format!("must be in the brand currency {}", brand.currency),
        ));
    }
    Ok(brand)
}

/// ADMIN: a manual BONUS (positive) or ADJUSTMENT (either sign) line for an enrollment, with a
/// reason. It needs no hold: it is APPROVED at once and goes into the next payout.
pub async fn add_manual(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::auth::Actor,
    enrollment_id: i64,
    kind: Kind,
    amount: crate::domain::money::Money,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<commission::Model, AppError> {
    use sea_orm::TransactionTrait;
    let brand_id = actor.require(crate::auth::Permission::ApprovePayouts)?;
    let reason = crate::domain::text::required("reason", reason, 500).map_err(AppError::invalid)?;
    match kind {
        Kind::Bonus if amount.minor <= 0 => {
            return Err(AppError::bad_input("amount", "a BONUS is more than 0"));
        }
        Kind::Adjustment if amount.minor == 0 => {
            return Err(AppError::bad_input("amount", "an ADJUSTMENT is not 0"));
        }
        Kind::Bonus | Kind::Adjustment => {}
        _ => return Err(AppError::bad_input("kind", "must be BONUS or ADJUSTMENT")),
    }
    let enrollment = enrollment::Entity::find_by_id(enrollment_id)
        .filter(enrollment::Column::BrandId.eq(brand_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("enrollmentId", "no such enrollment"))?;
    let txn = db.begin().await?;
    let mut brand = manual_line_brand(&txn, brand_id, &amount).await?;
    let line = Line {
        kind,
        amount_minor: amount.minor,
        rate_percent: None,
        reverses: None,
    };
    let inserted = insert_line(
        &txn,
        &mut brand,
        &enrollment,
        Source::Event(now),
        &line,
        now,
        now,
    )
    .await?;
    brand.save_rollups(&txn).await?;
    let mut active: commission::ActiveModel = inserted.into();
    active.reason = Set(Some(reason));
    active.created_by_user_id = Set(actor.user_id());
    let saved = active.update(&txn).await?;
    record_manual_line(&txn, &saved).await?;
    brand.events.commit(db, txn).await?;
    Ok(saved)
}

/// ADMIN: takes back `amount` (positive, in the brand currency) of a conversion's commission
/// with a reason, as a negative CLAWBACK line dated with the conversion (DOMAIN rule 4). It is
/// held like the conversion's lines while they are (else approved at once; ON_HOLD while the
/// conversion is under fraud review) and netted in the creator's next payout like a reversal. At most what the conversion's lines net to; a
/// conversion with no commission has nothing to claw back. When the lines then net to zero and
/// none has been paid, they are all REVERSED.
pub async fn claw_back(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::auth::Actor,
    conversion_id: i64,
    amount: crate::domain::money::Money,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<commission::Model, AppError> {
    use sea_orm::TransactionTrait;
    let brand_id = actor.require(crate::auth::Permission::ApprovePayouts)?;
    let reason = crate::domain::text::required("reason", reason, 500).map_err(AppError::invalid)?;
    if amount.minor <= 0 {
        return Err(AppError::bad_input(
            "amount",
            "the amount taken back is more than 0",
        ));
    }
    let txn = db.begin().await?;
    // The lock first: on SQLite a transaction that reads before it writes fails ("database is
    // locked") when another connection wrote in between.
    let mut brand = manual_line_brand(&txn, brand_id, &amount).await?;
    let row = conversion::Entity::find_by_id(conversion_id)
        .filter(conversion::Column::BrandId.eq(brand_id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let existing = conversion_lines(&txn, row.id).await?;
    let lines = existing
        .iter()
        .map(line_of)
        .collect::<Result<Vec<_>, _>>()?;
    let limit = clawback_limit(&lines);
    let Some(first) = existing.first().filter(|_| limit > 0) else {
        return Err(AppError::bad_input(
            "conversionId",
            "the conversion has no commission left to claw back",
        ));
    };
    if amount.minor > limit {
        let left = crate::domain::money::Money::new(limit, brand.currency).to_decimal();
        return Err(AppError::bad_input(
            "amount",
            format!(
                "at most the conversion's net commission, {left} {}",
                brand.currency
            ),
        ));
    }
    let enrollment = enrollment_of(&txn, first).await?;
    let line = Line {
        kind: Kind::Clawback,
        amount_minor: -amount.minor,
        rate_percent: None,
        reverses: None,
    };
    let hold_until = existing
        .iter()
        .map(|l| l.hold_until)
        .max()
        .unwrap_or(now)
        .max(now);
    let inserted = insert_line(
        &txn,
        &mut brand,
        &enrollment,
        Source::Conversion(&row),
        &line,
        hold_until,
        now,
    )
    .await?;
    brand.save_rollups(&txn).await?;
    let mut active: commission::ActiveModel = inserted.into();
    active.reason = Set(Some(reason));
    active.created_by_user_id = Set(actor.user_id());
    // A conversion under fraud review: the clawback waits with its lines (never paid alone).
    if any_on_hold(&existing) {
        active.status = Set(Status::OnHold.as_str().to_owned());
    }
    if amount.minor == limit && !any_paid(&existing) {
        mark_reversed(&txn, row.id).await?;
        active.status = Set(Status::Reversed.as_str().to_owned());
    }
    let saved = active.update(&txn).await?;
    record_manual_line(&txn, &saved).await?;
    brand.events.commit(db, txn).await?;
    Ok(saved)
}

/// The audit entry of an ADMIN's manual line (bonus, adjustment, clawback): its creation.
async fn record_manual_line(
    txn: &DatabaseTransaction,
    line: &commission::Model,
) -> Result<(), AppError> {
    let target = Target::new(NodeKind::Commission, line.id);
    audit::record(txn, target, audit::diff(None, Some(line))).await
}

/// A fraud flag holds a conversion: its PENDING lines become ON_HOLD (never paid until staff
/// decide; DOMAIN rule 8).
pub(crate) async fn hold_for_review(
    txn: &DatabaseTransaction,
    conversion_id: i64,
) -> Result<(), AppError> {
    move_lines(txn, conversion_id, Status::Pending, Status::OnHold).await
}

/// APPROVE: the conversion's ON_HOLD lines are PENDING again; their `hold_until` applies (a line
/// whose hold has ended reads APPROVED at once).
pub(crate) async fn release_hold(
    txn: &DatabaseTransaction,
    conversion_id: i64,
) -> Result<(), AppError> {
    move_lines(txn, conversion_id, Status::OnHold, Status::Pending).await
}

/// Moves a conversion's lines stored as `from` to `to`.
async fn move_lines(
    txn: &DatabaseTransaction,
    conversion_id: i64,
    from: Status,
    to: Status,
) -> Result<(), AppError> {
    commission::Entity::update_many()
        .col_expr(commission::Column::Status, Expr::value(to.as_str()))
        .filter(commission::Column::ConversionId.eq(conversion_id))
        .filter(commission::Column::Status.eq(from.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

/// REJECT: one REVERSAL line per kind that still nets to something, dated with the conversion,
/// so that its lines net to zero; they are all REVERSED then (ON_HOLD lines were never paid). A
/// line already paid (none should be: held lines are never gathered) keeps its status and its
/// reversal is netted in the next payout.
pub(crate) async fn reverse_rejected(
    txn: &DatabaseTransaction,
    brand: &mut BrandContext,
    row: &conversion::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use std::collections::BTreeMap;

    let existing = conversion_lines(txn, row.id).await?;
    let Some(first) = existing.first() else {
        return Ok(());
    };
    let mut net_by_kind: BTreeMap<&'static str, (Kind, i64)> = BTreeMap::new();
    for line in existing.iter().map(line_of) {
        let line = line?;
        let kind = match line.kind {
            Kind::Reversal | Kind::Clawback => line.reverses.unwrap_or(line.kind),
            other => other,
        };
        net_by_kind.entry(kind.as_str()).or_insert((kind, 0)).1 += line.amount_minor;
    }
    let enrollment = enrollment_of(txn, first).await?;
    for (kind, net) in net_by_kind.into_values() {
        if net == 0 {
            continue;
        }
        let reversal = Line {
            kind: Kind::Reversal,
            amount_minor: -net,
            rate_percent: None,
            reverses: Some(kind),
        };
        insert_line(
            txn,
            brand,
            &enrollment,
            Source::Conversion(row),
            &reversal,
            first.hold_until,
            now,
        )
        .await?;
    }
    if !any_paid(&existing) {
        mark_reversed(txn, row.id).await?;
    }
    Ok(())
}
