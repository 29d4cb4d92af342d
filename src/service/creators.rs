//! Creator records (a brand's partners) and their channels. Staff read their brand's; MANAGER and
//! ADMIN change them; a creator account reads only its own records.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionTrait,
};
use tracing::instrument;

use super::audit::{self, Changes, Target};
use super::creator_page::{self, ListColumns, Listed};
use super::page::{self, SortValue, SortedPage, Total, contains_pattern};
use super::scoped;
use crate::auth::cache::Revocation;
use crate::auth::{Actor, Permission, Role};
use crate::db::entity::{
    channel, click, commission, conversion, creator, enrollment, payout, tracking_link,
};
use crate::db::projection::{self, Columns};
use crate::domain::lifecycle;
use crate::domain::roster::{
    MAX_BRAND_SAFETY_SCORE, Platform, Stage, Tier, VettingStatus, follower_range, primary_channel,
    stage_transition_allowed,
};
use crate::domain::{email, text};
use crate::error::AppError;
use crate::events::Revocations;
use crate::events::caches::{self, Invalidation};
use crate::global_id::NodeKind;

pub const MAX_CHANNELS: usize = 20;
const MAX_FOLLOWERS: i64 = 10_000_000_000;

pub struct NewChannel {
    pub platform: Platform,
    pub handle: String,
    pub url: Option<String>,
    pub followers: i64,
    pub avg_views: Option<i64>,
    /// Engaged share of viewers, 0..1 (e.g. 0.045).
    pub engagement_rate: Option<Decimal>,
    pub audience_countries: Vec<String>,
}

pub struct CreatorInput {
    pub display_name: String,
    pub email: Option<String>,
    pub country: Option<String>,
    pub niches: Vec<String>,
    pub channels: Vec<NewChannel>,
}

/// A partial change: `None` keeps a field; `channels: Some(..)` replaces every channel.
#[derive(Default)]
pub struct CreatorChange {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    pub niches: Option<Vec<String>>,
    pub channels: Option<Vec<NewChannel>>,
}

#[derive(Default)]
pub struct CreatorFilter {
    pub stage: Option<Stage>,
    pub tier: Option<Tier>,
    pub platform: Option<Platform>,
    pub vetting_status: Option<VettingStatus>,
    pub niche: Option<String>,
    pub country: Option<String>,
    /// Case-insensitive text in the name or any channel handle.
    pub search: Option<String>,
}

impl CreatorFilter {
    /// Whether the filter keeps every creator (a blank text keeps every creator, as in `list`).
    fn keeps_all(&self) -> bool {
        let Self {
            stage,
            tier,
            platform,
            vetting_status,
            niche,
            country,
            search,
        } = self;
        let blank = |text: &Option<String>| text.as_deref().is_none_or(|t| t.trim().is_empty());
        stage.is_none()
            && tier.is_none()
            && platform.is_none()
            && vetting_status.is_none()
            && blank(niche)
            && blank(country)
            && blank(search)
    }
}

/// The number of `brand_id`'s creators, as the database keeps it (`creator_counts`).
fn stored_count(brand_id: i64) -> Total {
    let mut count = Query::select();
    count
        .column(Alias::new("creators"))
        .from(Alias::new("creator_counts"))
        .and_where(Expr::col(Alias::new("brand_id")).eq(brand_id));
    Total::Stored(Box::new(count.to_owned()))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CreatorSort {
    #[default]
    CreatedAt,
    Followers,
    Name,
}

struct ValidChannel {
    platform: Platform,
    handle: String,
    url: Option<String>,
    followers: i64,
    avg_views: Option<i64>,
    engagement_rate: Option<String>,
    audience_countries: String,
}

fn validate_channels(channels: Vec<NewChannel>) -> Result<Vec<ValidChannel>, AppError> {
    if channels.len() > MAX_CHANNELS {
        return Err(AppError::bad_input(
            "channels",
            format!("at most {MAX_CHANNELS}"),
        ));
    }
    channels
        .into_iter()
        .map(|c| {
            let handle =
                text::required("channels.handle", &c.handle, 100).map_err(AppError::invalid)?;
            let url = c
                .url
                .filter(|u| !u.trim().is_empty())
                .map(|u| text::http_url("channels.url", &u))
                .transpose()
                .map_err(AppError::invalid)?;
            if !(0..=MAX_FOLLOWERS).contains(&c.followers) {
                return Err(AppError::bad_input(
                    "channels.followers",
                    "must be 0 or more",
                ));
            }
            if c.avg_views
                .is_some_and(|v| !(0..=MAX_FOLLOWERS).contains(&v))
            {
                return Err(AppError::bad_input(
                    "channels.avgViews",
                    "must be 0 or more",
                ));
            }
            if c.engagement_rate
                .is_some_and(|r| r < Decimal::ZERO || r > Decimal::ONE)
            {
                return Err(AppError::bad_input(
                    "channels.engagementRate",
                    "must be a share between 0 and 1 (e.g. \"0.045\")",
                ));
            }
            let countries = c
                .audience_countries
                .iter()
                .map(|code| text::country("channels.audienceCountries", code))
                .collect::<Result<Vec<_>, _>>()
                .map_err(AppError::invalid)?;
            Ok(ValidChannel {
                platform: c.platform,
                handle,
                url,
                followers: c.followers,
                avg_views: c.avg_views,
                engagement_rate: c.engagement_rate.map(|r| r.normalize().to_string()),
                audience_countries: serde_json::to_string(&countries)
                    .map_err(AppError::internal)?,
            })
        })
        .collect()
}

pub(crate) fn normalized_email(raw: Option<String>) -> Result<Option<String>, AppError> {
    raw.filter(|e| !e.trim().is_empty())
        .map(|e| email::normalize(&e).map_err(|msg| AppError::bad_input("email", msg)))
        .transpose()
}

fn niches_json(niches: &[String]) -> Result<String, AppError> {
    let niches = text::labels("niches", niches, 20, 40).map_err(AppError::invalid)?;
    serde_json::to_string(&niches).map_err(AppError::internal)
}

fn conflict_on_email(err: sea_orm::DbErr) -> AppError {
    match AppError::from(err) {
        AppError::Conflict(_) => AppError::Conflict("a creator with this email exists".into()),
        other => other,
    }
}

async fn replace_channels<C: ConnectionTrait>(
    db: &C,
    record: &creator::Model,
    channels: Vec<ValidChannel>,
    now: DateTime<Utc>,
) -> Result<(i64, Option<Platform>), AppError> {
    channel::Entity::delete_many()
        .filter(channel::Column::CreatorId.eq(record.id))
        .exec(db)
        .await?;
    let summary: Vec<(Platform, i64)> =
        channels.iter().map(|c| (c.platform, c.followers)).collect();
    for c in channels {
        channel::ActiveModel {
            brand_id: Set(record.brand_id),
            creator_id: Set(record.id),
            platform: Set(c.platform.as_str().to_owned()),
            handle: Set(c.handle),
            url: Set(c.url),
            followers: Set(c.followers),
            avg_views: Set(c.avg_views),
            engagement_rate: Set(c.engagement_rate),
            audience_countries: Set(c.audience_countries),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(match primary_channel(&summary) {
        Some((platform, followers)) => (followers, Some(platform)),
        None => (0, None),
    })
}

#[instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreatorInput,
    now: DateTime<Utc>,
) -> Result<creator::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let txn = db.begin().await?;
    let record = insert(&txn, brand_id, input, now).await?;
    let channels = channels_of(&txn, &[record.id], Columns::all()).await?;
    let mut entries = vec![creator_entry(record.id, None, Some(&record))];
    entries.extend(channel_entries(&[], &channels));
    audit::record_all(&txn, entries).await?;
    txn.commit().await?;
    Ok(record)
}

/// The entry of creator record `id`: its changes, personal values withheld.
fn creator_entry(
    id: i64,
    before: Option<&creator::Model>,
    after: Option<&creator::Model>,
) -> (Target, Changes) {
    (
        Target::new(NodeKind::Creator, id),
        audit::diff(before, after),
    )
}

/// One entry per channel removed (`before` only) or added (`after` only): a channel is replaced,
/// never edited in place.
fn channel_entries(before: &[channel::Model], after: &[channel::Model]) -> Vec<(Target, Changes)> {
    let removed = before.iter().map(|row| (row, audit::diff(Some(row), None)));
    let added = after.iter().map(|row| (row, audit::diff(None, Some(row))));
    removed
        .chain(added)
        .map(|(row, changes)| (Target::new(NodeKind::Channel, row.id), changes))
        .collect()
}

/// Validates `input` and stores it with its channels as a creator of `brand_id`, in the
/// caller's transaction (`createCreator`, and each row of a creators import).
pub(crate) async fn insert<C: ConnectionTrait>(
    db: &C,
    brand_id: i64,
    input: CreatorInput,
    now: DateTime<Utc>,
) -> Result<creator::Model, AppError> {
    let display_name =
        text::required("displayName", &input.display_name, 120).map_err(AppError::invalid)?;
    let email = normalized_email(input.email)?;
    let country = input
        .country
        .filter(|c| !c.trim().is_empty())
        .map(|c| text::country("country", &c))
        .transpose()
        .map_err(AppError::invalid)?;
    let niches = niches_json(&input.niches)?;
    let channels = validate_channels(input.channels)?;
    let record = creator::ActiveModel {
        brand_id: Set(brand_id),
        display_name: Set(display_name),
        email_hash: Set(email.as_deref().and_then(email::hash)),
        email: Set(email),
        country: Set(country),
        niches: Set(niches),
        stage: Set(Stage::Prospect.as_str().to_owned()),
        vetting_status: Set(VettingStatus::Pending.as_str().to_owned()),
        followers: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on_email)?;
    let (followers, platform) = replace_channels(db, &record, channels, now).await?;
    let mut active = record.into_active_model();
    active.followers = Set(followers);
    active.primary_platform = Set(platform.map(|p| p.as_str().to_owned()));
    Ok(active.update(db).await?)
}

async fn find_for_change(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<creator::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let record = scoped::find_in_brand::<creator::Entity, _>(db, brand_id, id).await?;
    if record.erased_at.is_some() {
        // An erased record stays erased: no edit may bring personal data back into it.
        return Err(AppError::Conflict(
            "this creator record was erased and cannot be changed".into(),
        ));
    }
    Ok(record)
}

#[instrument(skip(db, actor, change))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    change: CreatorChange,
    now: DateTime<Utc>,
) -> Result<creator::Model, AppError> {
    let record = find_for_change(db, actor, id).await?;
    let channels = change.channels.map(validate_channels).transpose()?;
    let mut active = record.clone().into_active_model();
    if let Some(name) = change.display_name {
        active.display_name =
            Set(text::required("displayName", &name, 120).map_err(AppError::invalid)?);
    }
    if let Some(raw) = change.email {
        let email = normalized_email(Some(raw))?;
        active.email_hash = Set(email.as_deref().and_then(email::hash));
        active.email = Set(email);
    }
    if let Some(country) = change.country {
        let country = Some(country)
            .filter(|c| !c.trim().is_empty())
            .map(|c| text::country("country", &c))
            .transpose()
            .map_err(AppError::invalid)?;
        active.country = Set(country);
    }
    if let Some(niches) = change.niches {
        active.niches = Set(niches_json(&niches)?);
    }
    let txn = db.begin().await?;
    let mut entries = Vec::new();
    if let Some(channels) = channels {
        let old = channels_of(&txn, &[record.id], Columns::all()).await?;
        let (followers, platform) = replace_channels(&txn, &record, channels, now).await?;
        active.followers = Set(followers);
        active.primary_platform = Set(platform.map(|p| p.as_str().to_owned()));
        let new = channels_of(&txn, &[record.id], Columns::all()).await?;
        entries = channel_entries(&old, &new);
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await.map_err(conflict_on_email)?;
    entries.insert(0, creator_entry(record.id, Some(&record), Some(&updated)));
    audit::record_all(&txn, entries).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Moves a creator along the pipeline; leaving ENDED needs `reactivate`.
#[instrument(skip(db, actor))]
pub async fn set_stage(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    stage: Stage,
    reactivate: bool,
    now: DateTime<Utc>,
) -> Result<creator::Model, AppError> {
    let record = find_for_change(db, actor, id).await?;
    let from = Stage::parse(&record.stage).ok_or_else(|| AppError::internal("stored stage"))?;
    if !stage_transition_allowed(from, stage, reactivate) {
        let hint = if from == Stage::Ended {
            " (pass reactivate: true to bring an ENDED creator back)"
        } else {
            ""
        };
        return Err(AppError::bad_input(
            "stage",
            format!("cannot move from {from} to {stage}{hint}"),
        ));
    }
    let before = record.clone();
    let mut active = record.into_active_model();
    active.stage = Set(stage.as_str().to_owned());
    active.updated_at = Set(now);
    audit::update(db, NodeKind::Creator, &before, active).await
}

/// Records the vetting decision, the brand-safety score (0..100) and notes.
#[instrument(skip(db, actor, notes))]
pub async fn vet(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    status: VettingStatus,
    brand_safety_score: Option<i32>,
    notes: Option<String>,
    now: DateTime<Utc>,
) -> Result<creator::Model, AppError> {
    if brand_safety_score.is_some_and(|s| !(0..=MAX_BRAND_SAFETY_SCORE).contains(&s)) {
        return Err(AppError::bad_input(
            "brandSafetyScore",
            format!("must be between 0 and {MAX_BRAND_SAFETY_SCORE}"),
        ));
    }
    let notes = text::optional("notes", notes.as_deref(), 4000).map_err(AppError::invalid)?;
    let record = find_for_change(db, actor, id).await?;
    let before = record.clone();
    let mut active = record.into_active_model();
    active.vetting_status = Set(status.as_str().to_owned());
    if brand_safety_score.is_some() {
        active.brand_safety_score = Set(brand_safety_score);
    }
    if notes.is_some() {
        active.vetting_notes = Set(notes);
    }
    active.updated_at = Set(now);
    audit::update(db, NodeKind::Creator, &before, active).await
}

/// A creator record the caller may read: staff of its brand, or the creator account it belongs to.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<creator::Model, AppError> {
    if actor.role != Role::Creator {
        return scoped::get::<creator::Entity, _>(db, actor, Permission::ReadBrand, id).await;
    }
    if !actor.creator_ids.contains(&id) {
        return Err(AppError::NotFound);
    }
    creator::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Staff: a channel of the brand's creators; NOT_FOUND otherwise.
pub async fn get_channel(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<channel::Model, AppError> {
    scoped::get::<channel::Entity, _>(db, actor, Permission::ReadBrand, id).await
}

/// The brand's roster, filtered and sorted, with the `columns` asked for (and those of the
/// cursor; [`projection`]), and the creators' channels in the same statement when asked
/// ([`creator_page`]). A creator account sees only its own records.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: CreatorFilter,
    sort: CreatorSort,
    page: SortedPage,
    columns: ListColumns,
) -> Result<(Vec<Listed>, u64), AppError> {
    let mut select = creator::Entity::find();
    let brand_id = if actor.role == Role::Creator {
        select = select.filter(creator::Column::Id.is_in(actor.creator_ids.clone()));
        None
    } else {
        let brand_id = actor.require(Permission::ReadBrand)?;
        select = select.filter(creator::Column::BrandId.eq(brand_id));
        Some(brand_id)
    };
    // Unfiltered, a brand's count is kept by the database: no count of its creators per page.
    let total = match brand_id {
        Some(brand_id) if filter.keeps_all() => stored_count(brand_id),
        _ => Total::Counted,
    };
    if let Some(stage) = filter.stage {
        select = select.filter(creator::Column::Stage.eq(stage.as_str()));
    }
    if let Some(status) = filter.vetting_status {
        select = select.filter(creator::Column::VettingStatus.eq(status.as_str()));
    }
    if let Some(tier) = filter.tier {
        let (min, max) = follower_range(tier);
        select = select.filter(creator::Column::Followers.gte(min));
        if let Some(max) = max {
            select = select.filter(creator::Column::Followers.lt(max));
        }
    }
    if let Some(country) = filter.country.filter(|c| !c.trim().is_empty()) {
        let country = text::country("country", &country).map_err(AppError::invalid)?;
        select = select.filter(creator::Column::Country.eq(country));
    }
    if let Some(niche) = filter.niche.filter(|n| !n.trim().is_empty()) {
        let label = text::labels("niche", &[niche], 1, 40).map_err(AppError::invalid)?;
        // Niches are a JSON array of plain labels: match one element exactly.
        let element = format!("%\"{}\"%", label[0].replace('%', "\\%").replace('_', "\\_"));
        select = select
            .filter(Expr::col(creator::Column::Niches).like(LikeExpr::new(element).escape('\\')));
    }
    if let Some(platform) = filter.platform {
        let mut sub = Query::select();
        sub.column(channel::Column::CreatorId)
            .from(channel::Entity)
            .and_where(channel::Column::Platform.eq(platform.as_str()));
        if let Some(brand_id) = brand_id {
            sub.and_where(channel::Column::BrandId.eq(brand_id));
        }
        select = select.filter(creator::Column::Id.in_subquery(sub.to_owned()));
    }
    if let Some(search) = filter.search.filter(|s| !s.trim().is_empty()) {
        text::optional("search", Some(&search), 100).map_err(AppError::invalid)?;
        let pattern = contains_pattern(&search);
        let mut handles = Query::select();
        handles
            .column(channel::Column::CreatorId)
            .from(channel::Entity)
            .and_where(
                Expr::expr(Func::lower(Expr::col(channel::Column::Handle)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            );
        if let Some(brand_id) = brand_id {
            handles.and_where(channel::Column::BrandId.eq(brand_id));
        }
        select = select.filter(
            sea_orm::Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(creator::Column::DisplayName)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                )
                .add(creator::Column::Id.in_subquery(handles.to_owned())),
        );
    }
    let column = match sort {
        // Ids grow with creation time: the id is the sort key.
        CreatorSort::CreatedAt => creator::Column::Id,
        CreatorSort::Followers => creator::Column::Followers,
        CreatorSort::Name => creator::Column::DisplayName,
    };
    let page = page::sorted_query(
        db.get_database_backend(),
        select,
        columns.creators,
        (column, creator::Column::Id),
        page,
        total,
    );
    creator_page::read(db, &page, columns.channels).await
}

/// The sort value of a row, for its cursor.
pub fn sort_value(record: &creator::Model, sort: CreatorSort) -> SortValue {
    match sort {
        CreatorSort::CreatedAt => SortValue::Int(record.id),
        CreatorSort::Followers => SortValue::Int(record.followers),
        CreatorSort::Name => SortValue::Text(record.display_name.clone()),
    }
}

/// Channels of many creators at once (for the loader), largest first, with `columns` and the
/// creator's id read ([`projection`]).
pub async fn channels_of<C: ConnectionTrait>(
    db: &C,
    creator_ids: &[i64],
    columns: Columns<channel::Column>,
) -> Result<Vec<channel::Model>, sea_orm::DbErr> {
    let columns = columns.with(channel::Column::CreatorId);
    let statement = channel::Entity::find()
        .select_only()
        .columns(columns.iter())
        .filter(channel::Column::CreatorId.is_in(creator_ids.iter().copied()))
        .order_by_desc(channel::Column::Followers)
        .order_by_asc(channel::Column::Id)
        .build(db.get_database_backend());
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| projection::read(row, &columns))
        .collect()
}

/// Parses a stored decimal string column.
pub fn stored_decimal(value: &str) -> Result<Decimal, AppError> {
    Decimal::from_str(value).map_err(AppError::internal)
}

/// Removes one channel of a creator of the brand and returns the creator, whose tier and
/// primary platform follow from the channels left.
#[instrument(skip(db, actor))]
pub async fn remove_channel(
    db: &DatabaseConnection,
    actor: &Actor,
    channel_id: i64,
    now: DateTime<Utc>,
) -> Result<creator::Model, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let txn = db.begin().await?;
    let row = scoped::find_in_brand::<channel::Entity, _>(&txn, brand_id, channel_id).await?;
    let record =
        scoped::find_in_brand::<creator::Entity, _>(&txn, brand_id, row.creator_id).await?;
    channel::Entity::delete_by_id(row.id).exec(&txn).await?;
    let left: Vec<(Platform, i64)> = channel::Entity::find()
        .filter(channel::Column::CreatorId.eq(record.id))
        .all(&txn)
        .await?
        .iter()
        .filter_map(|c| Platform::parse(&c.platform).map(|p| (p, c.followers)))
        .collect();
    let (followers, platform) = match primary_channel(&left) {
        Some((platform, followers)) => (followers, Some(platform)),
        None => (0, None),
    };
    let before = record.clone();
    let mut active = record.into_active_model();
    active.followers = Set(followers);
    active.primary_platform = Set(platform.map(|p| p.as_str().to_owned()));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    let mut entries = channel_entries(std::slice::from_ref(&row), &[]);
    entries.push(creator_entry(before.id, Some(&before), Some(&updated)));
    audit::record_all(&txn, entries).await?;
    txn.commit().await?;
    Ok(updated)
}

/// What deleting a creator removed that other layers cache: the codes of its links (the
/// redirect cache drops them).
pub struct DeletedCreator {
    pub link_codes: Vec<String>,
}

/// Deletes a creator record of the brand with its channels, enrollments, links, codes and
/// content, while nothing of the ledger or of tracked activity points at it; otherwise CONFLICT
/// saying to erase the creator instead.
#[instrument(skip(db, actor))]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<DeletedCreator, AppError> {
    let brand_id = actor.require(Permission::ManagePartnerships)?;
    let txn = db.begin().await?;
    let record = scoped::find_in_brand::<creator::Entity, _>(&txn, brand_id, id).await?;
    let enrollments = || {
        Query::select()
            .column(enrollment::Column::Id)
            .from(enrollment::Entity)
            .and_where(enrollment::Column::CreatorId.eq(record.id))
            .to_owned()
    };
    let has_ledger_lines = commission::Entity::find()
        .filter(commission::Column::CreatorId.eq(record.id))
        .one(&txn)
        .await?
        .is_some()
        || payout::Entity::find()
            .filter(payout::Column::CreatorId.eq(record.id))
            .one(&txn)
            .await?
            .is_some();
    let has_activity = click::Entity::find()
        .filter(click::Column::BrandId.eq(brand_id))
        .filter(click::Column::EnrollmentId.in_subquery(enrollments()))
        .one(&txn)
        .await?
        .is_some()
        || conversion::Entity::find()
            .filter(conversion::Column::BrandId.eq(brand_id))
            .filter(conversion::Column::EnrollmentId.in_subquery(enrollments()))
            .one(&txn)
            .await?
            .is_some();
    lifecycle::ensure_deletable_creator(has_ledger_lines, has_activity)
        .map_err(AppError::Conflict)?;
    let link_codes = tracking_link::Entity::find()
        .select_only()
        .column(tracking_link::Column::Code)
        .filter(tracking_link::Column::EnrollmentId.in_subquery(enrollments()))
        .into_tuple::<String>()
        .all(&txn)
        .await?;
    // A linked account's callers carry this creator record: they are read again.
    let revocations = Revocations::new();
    if let Some(user_id) = record.user_id {
        revocations.push(Revocation::User { user_id });
    }
    creator::Entity::delete_by_id(record.id).exec(&txn).await?;
    let (target, changes) = creator_entry(record.id, Some(&record), None);
    audit::record(&txn, target, changes).await?;
    let gone: Vec<Invalidation> = link_codes.iter().map(|c| Invalidation::link(c)).collect();
    caches::notify(&txn, &gone).await?;
    revocations.commit(db, txn).await?;
    tracing::info!(creator_id = id, "creator deleted");
    Ok(DeletedCreator { link_codes })
}
