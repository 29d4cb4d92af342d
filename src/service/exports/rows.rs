//! The rows of an export, a chunk at a time: each chunk is one keyset-paged statement (rows
//! after the last one's id, in id order) plus the few lookups its rows need, so an export of
//! any size holds one chunk in memory. PERFORMANCE rows come from the performance report, page
//! by page, through a report cache kept for the run (the report is computed once).
//!
//! Every reader is tenant-scoped here: staff and key exports by the brand of the export's
//! requester, creator exports by the requester's own creator records.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use super::{enrollments_of, grouping, requester};
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{
    brand, click, commission, conversion, creator, enrollment, export, tracking_link,
};
use crate::domain::commission::{Status as LineStatus, effective_status};
use crate::domain::export::{Cell, Filter, Format, Kind, columns};
use crate::domain::money::{Currency, Money};
use crate::domain::roster::tier_for;
use crate::error::AppError;
use crate::global_id::{NodeKind, encode};
use crate::service::performance::{self, ReportCache, RowPage};

/// A click with its link's code and its enrollment's campaign and creator.
#[derive(FromQueryResult)]
struct ClickRow {
    id: i64,
    click_id: String,
    occurred_at: DateTime<Utc>,
    link_id: i64,
    enrollment_id: Option<i64>,
    is_bot: bool,
    country: Option<String>,
    referrer_host: Option<String>,
    user_agent_class: Option<String>,
    source: String,
    code: Option<String>,
    campaign_id: Option<i64>,
    creator_id: Option<i64>,
}

/// What a run needs to know about its export, read once.
pub struct Job {
    pub id: i64,
    pub kind: Kind,
    pub format: Format,
    pub filter: Filter,
    /// The requester, with the rights it had when it started the export.
    pub actor: Actor,
    /// The brand's reporting currency (brand exports).
    brand_currency: Option<String>,
    /// Computed performance reports, for the pages after the first.
    report_cache: ReportCache,
}

/// Where the next chunk starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    Start,
    /// After this row id.
    Id(i64),
    /// After this report row.
    Report(String),
}

/// A chunk of rows and where the next one starts (`None`: this was the last).
pub struct Chunk {
    pub rows: Vec<Vec<Cell>>,
    pub next: Option<Cursor>,
}

impl Job {
    pub async fn load(db: &DatabaseConnection, row: &export::Model) -> Result<Self, AppError> {
        let kind = Kind::parse(&row.kind).ok_or_else(|| AppError::internal("stored kind"))?;
        let format =
            Format::parse(&row.format).ok_or_else(|| AppError::internal("stored format"))?;
        let filter: Filter = serde_json::from_str(&row.filter).map_err(AppError::internal)?;
        let brand_currency = match row.brand_id {
            Some(id) => Some(
                brand::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or(AppError::NotFound)?
                    .currency_code,
            ),
            None => None,
        };
        Ok(Self {
            id: row.id,
            kind,
            format,
            filter,
            actor: requester(row)?,
            brand_currency,
            report_cache: ReportCache::default(),
        })
    }

    pub fn columns(&self) -> &'static [&'static str] {
        columns(self.kind)
    }

    /// The brand of a brand export, as its requester's rights allow.
    fn brand_id(&self) -> Result<i64, AppError> {
        let permission = if self.actor.role == Role::Integrator {
            Permission::ReadChanges
        } else {
            Permission::ReadBrand
        };
        self.actor.require(permission)
    }

    /// The next `limit` rows after `cursor`; `now` dates effective statuses.
    pub async fn chunk(
        &self,
        db: &DatabaseConnection,
        cursor: &Cursor,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Chunk, AppError> {
        let after = match cursor {
            Cursor::Id(id) => Some(*id),
            _ => None,
        };
        let (rows, last) = match self.kind {
            Kind::Conversions => self.conversions(db, after, limit).await?,
            Kind::Clicks => self.clicks(db, after, limit).await?,
            Kind::Commissions => self.commissions(db, after, limit, now).await?,
            Kind::Creators => self.creators(db, after, limit).await?,
            Kind::Performance => return self.performance(db, cursor).await,
        };
        let next = match last {
            Some(id) if rows.len() as u64 == limit => Some(Cursor::Id(id)),
            _ => None,
        };
        Ok(Chunk { rows, next })
    }

    async fn conversions(
        &self,
        db: &DatabaseConnection,
        after: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<Vec<Cell>>, Option<i64>), AppError> {
        let brand_id = self.brand_id()?;
        let brand_currency = self
            .brand_currency
            .as_deref()
            .ok_or_else(|| AppError::internal("brand currency"))?;
        let select = conversion::Entity::find().filter(conversion::Column::BrandId.eq(brand_id));
        use conversion::Column as C;
        let columns = Narrowing {
            campaign: C::CampaignId,
            creator: C::CreatorId,
            time: C::OccurredAt,
            id: C::Id,
        };
        let rows = columns
            .page(select, &self.filter, after, limit)
            .all(db)
            .await?;
        let last = rows.last().map(|r| r.id);
        let cells = rows
            .into_iter()
            .map(|r| {
                let exchange_rate = match &r.exchange_rate {
                    Some(rate) => {
                        Cell::Decimal(crate::service::creators::stored_decimal(rate)?.to_string())
                    }
                    None => Cell::Null,
                };
                Ok(vec![
                    node(NodeKind::Conversion, r.id),
                    Cell::Text(r.external_id),
                    Cell::Text(r.kind),
                    Cell::Text(r.status),
                    Cell::Time(r.occurred_at),
                    money(r.amount_minor, &r.currency_code)?,
                    Cell::text(&r.currency_code),
                    money(r.brand_amount_minor, brand_currency)?,
                    Cell::text(brand_currency),
                    exchange_rate,
                    money(r.refunded_minor, &r.currency_code)?,
                    money(r.refunded_brand_minor, brand_currency)?,
                    Cell::Bool(r.new_customer),
                    Cell::opt_text(r.customer_key),
                    Cell::opt_text(r.region),
                    Cell::opt_text(r.click_id),
                    Cell::opt_text(r.discount_code),
                    Cell::Text(r.attribution_method),
                    Cell::Bool(r.self_referral),
                    opt_node(NodeKind::Enrollment, r.enrollment_id),
                    opt_node(NodeKind::Campaign, r.campaign_id),
                    opt_node(NodeKind::Creator, r.creator_id),
                    opt_node(NodeKind::Offer, r.offer_id),
                    Cell::Time(r.created_at),
                ])
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok((cells, last))
    }

    async fn clicks(
        &self,
        db: &DatabaseConnection,
        after: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<Vec<Cell>>, Option<i64>), AppError> {
        let brand_id = self.brand_id()?;
        let mut select = click::Entity::find().filter(click::Column::BrandId.eq(brand_id));
        let f = &self.filter;
        if f.campaign_id.is_some() || f.creator_id.is_some() {
            select = select.filter(click::Column::EnrollmentId.in_subquery(enrollments_of(
                brand_id,
                f.campaign_id,
                f.creator_id,
            )));
        }
        if let Some(from) = f.from {
            select = select.filter(click::Column::OccurredAt.gte(from));
        }
        if let Some(to) = f.to {
            select = select.filter(click::Column::OccurredAt.lt(to));
        }
        if let Some(after) = after {
            select = select.filter(click::Column::Id.gt(after));
        }
        // The link's code and the enrollment's campaign and creator come joined, in the page's
        // own statement: its text is the same for every page, where per-page `IN` look-ups had
        // one text per list length, each kept prepared in the connection's statement cache
        // (on SQLite, megabytes: BENCHMARKS.md row 10).
        let rows = select
            .select_only()
            .columns([
                click::Column::Id,
                click::Column::ClickId,
                click::Column::OccurredAt,
                click::Column::LinkId,
                click::Column::EnrollmentId,
                click::Column::IsBot,
                click::Column::Country,
                click::Column::ReferrerHost,
                click::Column::UserAgentClass,
                click::Column::Source,
            ])
            .column_as(tracking_link::Column::Code, "code")
            .column_as(enrollment::Column::CampaignId, "campaign_id")
            .column_as(enrollment::Column::CreatorId, "creator_id")
            .join(JoinType::LeftJoin, click::Relation::TrackingLink.def())
            .join(JoinType::LeftJoin, click::Relation::Enrollment.def())
            .order_by_asc(click::Column::Id)
            .limit(limit)
            .into_model::<ClickRow>()
            .all(db)
            .await?;
        let last = rows.last().map(|r| r.id);
        let cells = rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(r.click_id),
                    Cell::Time(r.occurred_at),
                    node(NodeKind::TrackingLink, r.link_id),
                    Cell::opt_text(r.code),
                    opt_node(NodeKind::Enrollment, r.enrollment_id),
                    opt_node(NodeKind::Campaign, r.campaign_id),
                    opt_node(NodeKind::Creator, r.creator_id),
                    Cell::Bool(r.is_bot),
                    Cell::opt_text(r.country),
                    Cell::opt_text(r.referrer_host),
                    Cell::opt_text(r.user_agent_class),
                    Cell::Text(r.source),
                ]
            })
            .collect();
        Ok((cells, last))
    }

    async fn commissions(
        &self,
        db: &DatabaseConnection,
        after: Option<i64>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Vec<Cell>>, Option<i64>), AppError> {
        let select = commission::Entity::find();
        let select = if self.actor.role == Role::Creator {
            select.filter(commission::Column::CreatorId.is_in(self.actor.creator_ids.clone()))
        } else {
            select.filter(commission::Column::BrandId.eq(self.brand_id()?))
        };
        use commission::Column as C;
        let columns = Narrowing {
            campaign: C::CampaignId,
            creator: C::CreatorId,
            time: C::OccurredAt,
            id: C::Id,
        };
        let rows = columns
            .page(select, &self.filter, after, limit)
            .all(db)
            .await?;
        let last = rows.last().map(|r| r.id);
        let cells = rows
            .into_iter()
            .map(|r| {
                let stored = LineStatus::parse(&r.status)
                    .ok_or_else(|| AppError::internal("stored commission status"))?;
                let status = effective_status(stored, r.hold_until, now);
                Ok(vec![
                    node(NodeKind::Commission, r.id),
                    Cell::Text(r.kind),
                    Cell::text(status.as_str()),
                    money(r.amount_minor, &r.currency_code)?,
                    Cell::text(&r.currency_code),
                    Cell::Time(r.occurred_at),
                    Cell::Time(r.hold_until),
                    opt_node(NodeKind::Conversion, r.conversion_id),
                    node(NodeKind::Enrollment, r.enrollment_id),
                    node(NodeKind::Campaign, r.campaign_id),
                    node(NodeKind::Creator, r.creator_id),
                    node(NodeKind::Brand, r.brand_id),
                    opt_node(NodeKind::Payout, r.payout_id),
                    Cell::opt_text(r.reason),
                    Cell::Time(r.created_at),
                ])
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok((cells, last))
    }

    async fn creators(
        &self,
        db: &DatabaseConnection,
        after: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<Vec<Cell>>, Option<i64>), AppError> {
        let brand_id = self.brand_id()?;
        let mut select = creator::Entity::find().filter(creator::Column::BrandId.eq(brand_id));
        if let Some(id) = self.filter.campaign_id {
            let enrolled = sea_orm::sea_query::Query::select()
                .column(enrollment::Column::CreatorId)
                .from(enrollment::Entity)
                .and_where(enrollment::Column::BrandId.eq(brand_id))
                .and_where(enrollment::Column::CampaignId.eq(id))
                .to_owned();
            select = select.filter(creator::Column::Id.in_subquery(enrolled));
        }
        if let Some(after) = after {
            select = select.filter(creator::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(creator::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
        let last = rows.last().map(|r| r.id);
        let cells = rows
            .into_iter()
            .map(|r| {
                let niches: Vec<String> = serde_json::from_str(&r.niches).unwrap_or_default();
                vec![
                    node(NodeKind::Creator, r.id),
                    Cell::Text(r.display_name),
                    Cell::opt_text(r.email),
                    Cell::opt_text(r.country),
                    Cell::List(niches),
                    Cell::Text(r.stage),
                    Cell::Text(r.vetting_status),
                    r.brand_safety_score
                        .map_or(Cell::Null, |s| Cell::Int(i64::from(s))),
                    Cell::Int(r.followers),
                    Cell::text(tier_for(r.followers).as_str()),
                    Cell::opt_text(r.primary_platform),
                    Cell::opt_time(r.erased_at),
                    Cell::Time(r.created_at),
                    Cell::Time(r.updated_at),
                ]
            })
            .collect();
        Ok((cells, last))
    }

    async fn performance(
        &self,
        db: &DatabaseConnection,
        cursor: &Cursor,
    ) -> Result<Chunk, AppError> {
        let f = &self.filter;
        let (Some(from), Some(to)) = (f.from, f.to) else {
            return Err(AppError::internal("performance export without a range"));
        };
        let filter = performance::Filter {
            from,
            to,
            campaign_ids: f.campaign_id.map(|id| vec![id]),
            creator_ids: f.creator_id.map(|id| vec![id]),
            platforms: None,
        };
        let after = match cursor {
            Cursor::Report(after) => Some(after.as_str()),
            _ => None,
        };
        let page = RowPage::new(None, after, None)?;
        let report = performance::report(
            db,
            Some(&self.report_cache),
            &self.actor,
            &filter,
            &grouping(f)?,
            &page,
        )
        .await?;
        let currency = report.currency_code.clone();
        let next = match (report.has_next_page, report.rows.last()) {
            (true, Some(row)) => Some(Cursor::Report(page.cursor(row))),
            _ => None,
        };
        let rows = report
            .rows
            .iter()
            .map(|row| performance_row(row, &currency))
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(Chunk { rows, next })
    }
}

fn performance_row(row: &performance::Row, currency: &str) -> Result<Vec<Cell>, AppError> {
    let m = &row.metrics;
    let c = &m.counters;
    let opt_money = |minor: Option<i64>| minor.map_or(Ok(Cell::Null), |v| money(v, currency));
    let ratio = |value: Option<f64>| value.map_or(Cell::Null, Cell::Ratio);
    let key = &row.key;
    Ok(vec![
        Cell::opt_text(row.period.clone()),
        Cell::opt_time(row.period_start),
        opt_node(NodeKind::Campaign, key.campaign_id),
        opt_node(NodeKind::Creator, key.creator_id),
        key.platform.map_or(Cell::Null, |p| Cell::text(p.as_str())),
        opt_node(NodeKind::Offer, key.offer_id),
        Cell::text(currency),
        Cell::Int(c.clicks),
        Cell::Int(m.unique_clicks),
        Cell::Int(c.impressions),
        Cell::Int(c.sales),
        Cell::Int(c.leads),
        Cell::Int(c.new_customers),
        money(c.revenue_minor, currency)?,
        money(c.commissions_minor, currency)?,
        money(c.other_costs_minor, currency)?,
        money(m.spend_minor, currency)?,
        ratio(m.ctr),
        ratio(m.conversion_rate),
        opt_money(m.aov_minor)?,
        opt_money(m.cpa_minor)?,
        opt_money(m.cac_minor)?,
        ratio(m.roas),
        ratio(m.roi),
        opt_money(m.epc_minor)?,
    ])
}

/// `minor` units of `currency_code` as a decimal string (`"12.50"`).
fn money(minor: i64, currency_code: &str) -> Result<Cell, AppError> {
    let currency = Currency::parse(currency_code).map_err(AppError::internal)?;
    Ok(Cell::Decimal(
        Money::new(minor, currency).to_decimal().to_string(),
    ))
}

/// The columns a kind's filter narrows and its keyset pages by.
struct Narrowing<C> {
    campaign: C,
    creator: C,
    time: C,
    id: C,
}

impl<C: ColumnTrait> Narrowing<C> {
    /// `select` narrowed to the filter's campaign, creator and `[from, to)`, the page of `limit`
    /// rows after id `after`, in id order.
    fn page<E>(
        &self,
        mut select: sea_orm::Select<E>,
        f: &Filter,
        after: Option<i64>,
        limit: u64,
    ) -> sea_orm::Select<E>
    where
        E: EntityTrait<Column = C>,
    {
        if let Some(id) = f.campaign_id {
            select = select.filter(self.campaign.eq(id));
        }
        if let Some(id) = f.creator_id {
            select = select.filter(self.creator.eq(id));
        }
        if let Some(from) = f.from {
            select = select.filter(self.time.gte(from));
        }
        if let Some(to) = f.to {
            select = select.filter(self.time.lt(to));
        }
        if let Some(after) = after {
            select = select.filter(self.id.gt(after));
        }
        select.order_by_asc(self.id).limit(limit)
    }
}

/// A row's global ID.
fn node(kind: NodeKind, id: i64) -> Cell {
    Cell::Text(encode(kind, id))
}

/// An optional reference's global ID.
fn opt_node(kind: NodeKind, id: Option<i64>) -> Cell {
    Cell::opt_text(id.map(|id| encode(kind, id)))
}
