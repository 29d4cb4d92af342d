//! Bulk exports (issue #22): a caller starts one ([`start`]), the export worker
//! (`crate::exports`) claims and writes it in the background ([`lifecycle`], [`rows`]), and the
//! file is fetched from a signed, expiring link (`GET /exports/{id}/download`).
//!
//! Who may export what:
//! - staff (ADMIN, MANAGER, ANALYST): every kind, of their brand;
//! - an API key with READ_CHANGES: CONVERSIONS of its brand (the change feed reads the same
//!   rows); other keys and kinds are FORBIDDEN;
//! - a CREATOR: COMMISSIONS only, its own lines across every brand it works with (like
//!   `myCommissions`); any other kind is FORBIDDEN.
//!
//! Who sees an export: staff see their brand's (NOT_FOUND for another brand's); a key sees
//! those it started; a creator those it started.

pub mod lifecycle;
pub mod rows;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, Select,
};
use tracing::instrument;

use super::audit;
use super::page::{self, KeysetPage};
use super::performance::{self, Dimension};
use crate::auth::{Actor, Permission, Principal, Role, Scope};
use crate::db::entity::{campaign, creator, enrollment, export};
use crate::domain::export::{Filter, Format, Kind, MAX_ACTIVE, Status, check_filter};
use crate::error::AppError;
use crate::global_id::NodeKind;

/// What a caller asks for.
pub struct NewExport {
    pub kind: Kind,
    pub format: Format,
    pub filter: Filter,
}

/// The tenant an export is scoped to: a brand, or a creator account's own records.
enum Owner {
    Brand(i64),
    Creator(Vec<i64>),
}

/// Whether `actor` may start an export of `kind`, and over what.
fn authorize(actor: &Actor, kind: Kind) -> Result<Owner, AppError> {
    match actor.role {
        Role::Creator if kind == Kind::Commissions => Ok(Owner::Creator(actor.creator_ids.clone())),
        Role::Creator => Err(AppError::Forbidden(
            "a creator may export only its own COMMISSIONS".into(),
        )),
        Role::Integrator if kind == Kind::Conversions => {
            Ok(Owner::Brand(actor.require(Permission::ReadChanges)?))
        }
        Role::Integrator => Err(AppError::Forbidden(
            "an API key may export only CONVERSIONS (with the READ_CHANGES scope)".into(),
        )),
        Role::Admin | Role::Manager | Role::Analyst => {
            Ok(Owner::Brand(actor.require(Permission::ReadBrand)?))
        }
    }
}

/// A performance dimension by its API name (`DAY`, `CAMPAIGN`, ...).
pub fn dimension(name: &str) -> Option<Dimension> {
    Some(match name {
        "CAMPAIGN" => Dimension::Campaign,
        "CREATOR" => Dimension::Creator,
        "PLATFORM" => Dimension::Platform,
        "OFFER" => Dimension::Offer,
        "DAY" => Dimension::Day,
        "WEEK" => Dimension::Week,
        "MONTH" => Dimension::Month,
        _ => return None,
    })
}

/// The API name of a performance dimension.
pub fn dimension_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Campaign => "CAMPAIGN",
        Dimension::Creator => "CREATOR",
        Dimension::Platform => "PLATFORM",
        Dimension::Offer => "OFFER",
        Dimension::Day => "DAY",
        Dimension::Week => "WEEK",
        Dimension::Month => "MONTH",
    }
}

/// The grouping of a PERFORMANCE export's filter (the default when none was given).
pub fn grouping(filter: &Filter) -> Result<Vec<Dimension>, AppError> {
    let names: Vec<String> = match &filter.group_by {
        Some(names) => names.clone(),
        None => crate::domain::export::DEFAULT_PERFORMANCE_GROUPING
            .iter()
            .map(|n| (*n).to_owned())
            .collect(),
    };
    names
        .iter()
        .map(|name| {
            dimension(name).ok_or_else(|| AppError::bad_input("groupBy", "unknown dimension"))
        })
        .collect()
}

/// Checks the ids of `filter` against what the caller may read: another brand's (or another
/// creator's) campaign or creator is NOT_FOUND, like one that does not exist.
async fn check_ids(
    db: &DatabaseConnection,
    owner: &Owner,
    filter: &Filter,
) -> Result<(), AppError> {
    match owner {
        Owner::Brand(brand_id) => {
            if let Some(id) = filter.campaign_id {
                super::scoped::find_in_brand::<campaign::Entity, _>(db, *brand_id, id).await?;
            }
            if let Some(id) = filter.creator_id {
                super::scoped::find_in_brand::<creator::Entity, _>(db, *brand_id, id).await?;
            }
        }
        Owner::Creator(own) => {
            if let Some(id) = filter.creator_id
                && !own.contains(&id)
            {
                return Err(AppError::NotFound);
            }
            if let Some(id) = filter.campaign_id {
                let enrolled = enrollment::Entity::find()
                    .filter(enrollment::Column::CampaignId.eq(id))
                    .filter(enrollment::Column::CreatorId.is_in(own.clone()))
                    .count(db)
                    .await?;
                if enrolled == 0 {
                    return Err(AppError::NotFound);
                }
            }
        }
    }
    Ok(())
}

/// Starts an export: checks the caller's rights and the filter, bounds the exports waiting or
/// running for its brand (or creator account), and queues it for the worker.
#[instrument(skip(db, actor, input), fields(kind = %input.kind, format = %input.format))]
pub async fn start(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewExport,
    now: DateTime<Utc>,
) -> Result<export::Model, AppError> {
    let owner = authorize(actor, input.kind)?;
    check_filter(input.kind, &input.filter)
        .map_err(|err| AppError::bad_input(err.field, err.message))?;
    if input.kind == Kind::Performance {
        let (Some(from), Some(to)) = (input.filter.from, input.filter.to) else {
            return Err(AppError::bad_input("from", "is required"));
        };
        performance::check_range(from, to)?;
        performance::dims_of(&grouping(&input.filter)?)?;
    }
    check_ids(db, &owner, &input.filter).await?;
    let active = active_of(actor, &owner)
        .filter(export::Column::Status.is_in([Status::Queued.as_str(), Status::Running.as_str()]))
        .count(db)
        .await?;
    if active >= MAX_ACTIVE {
        return Err(AppError::Conflict(format!(
            "{MAX_ACTIVE} exports are already queued or running: wait for one to finish"
        )));
    }
    let (brand_id, scope) = match &owner {
        Owner::Brand(id) => (Some(*id), Vec::new()),
        Owner::Creator(ids) => (None, ids.clone()),
    };
    let (user_id, key_id) = match actor.principal {
        Principal::User(id) => (Some(id), None),
        Principal::ApiKey(id) => (None, Some(id)),
        Principal::Connector(_) => {
            return Err(AppError::Forbidden("a connector may not export".into()));
        }
    };
    let filter = serde_json::to_string(&input.filter).map_err(AppError::internal)?;
    let scope = serde_json::to_string(&scope).map_err(AppError::internal)?;
    let row = export::ActiveModel {
        brand_id: Set(brand_id),
        requested_by_user_id: Set(user_id),
        requested_by_api_key_id: Set(key_id),
        requester_role: Set(actor.role.as_str().to_owned()),
        scope_creator_ids: Set(scope),
        kind: Set(input.kind.as_str().to_owned()),
        format: Set(input.format.as_str().to_owned()),
        filter: Set(filter),
        status: Set(Status::Queued.as_str().to_owned()),
        row_count: Set(0),
        attempts: Set(0),
        created_at: Set(now),
        ..Default::default()
    };
    // A creator's own export records nothing (creators are not audited).
    audit::insert(db, NodeKind::Export, row).await
}

/// The exports that count against the caller's bound: its brand's, or its own creator exports.
fn active_of(actor: &Actor, owner: &Owner) -> Select<export::Entity> {
    match owner {
        Owner::Brand(brand_id) => {
            export::Entity::find().filter(export::Column::BrandId.eq(*brand_id))
        }
        Owner::Creator(_) => export::Entity::find()
            .filter(export::Column::BrandId.is_null())
            .filter(export::Column::RequestedByUserId.eq(actor.user_id().unwrap_or(0))),
    }
}

/// The exports `actor` may see (see the module documentation); `None`: none at all.
fn visible(actor: &Actor) -> Option<Select<export::Entity>> {
    let select = export::Entity::find();
    match (actor.role, actor.principal) {
        (Role::Creator, Principal::User(user_id)) => Some(
            select
                .filter(export::Column::BrandId.is_null())
                .filter(export::Column::RequestedByUserId.eq(user_id)),
        ),
        (Role::Integrator, Principal::ApiKey(key_id)) => {
            let brand_id = actor.brand_id?;
            Some(
                select
                    .filter(export::Column::BrandId.eq(brand_id))
                    .filter(export::Column::RequestedByApiKeyId.eq(key_id)),
            )
        }
        (Role::Admin | Role::Manager | Role::Analyst, _) => {
            let brand_id = actor.require(Permission::ReadBrand).ok()?;
            Some(select.filter(export::Column::BrandId.eq(brand_id)))
        }
        _ => None,
    }
}

/// An export the caller may see; NOT_FOUND otherwise (another brand's included).
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<export::Model, AppError> {
    let select = visible(actor).ok_or(AppError::NotFound)?;
    select
        .filter(export::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The exports the caller may see, oldest first. A caller that may export nothing is
/// FORBIDDEN.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<export::Model>, u64), AppError> {
    let select = visible(actor).ok_or_else(|| {
        AppError::Forbidden(format!("the {} role has no exports", actor.role.as_str()))
    })?;
    page::by_id(db, select, export::Column::Id, page).await
}

/// The caller an export runs as: its requester, with the rights it had when it started it.
pub fn requester(row: &export::Model) -> Result<Actor, AppError> {
    let role = match row.requester_role.as_str() {
        "INTEGRATOR" => Role::Integrator,
        other => Role::from_stored(other).ok_or_else(|| AppError::internal("stored role"))?,
    };
    let principal = match (row.requested_by_user_id, row.requested_by_api_key_id) {
        (Some(id), _) => Principal::User(id),
        (None, Some(id)) => Principal::ApiKey(id),
        (None, None) => return Err(AppError::internal("export without a requester")),
    };
    let creator_ids: Vec<i64> =
        serde_json::from_str(&row.scope_creator_ids).map_err(AppError::internal)?;
    let scopes = if role == Role::Integrator {
        vec![Scope::ReadChanges]
    } else {
        Vec::new()
    };
    Ok(Actor {
        principal,
        role,
        brand_id: row.brand_id,
        creator_ids,
        scopes,
        session_id: None,
    })
}

/// `Condition` for the enrollments of a campaign and/or creator (clicks carry only their
/// enrollment).
pub(crate) fn enrollments_of(
    brand_id: i64,
    campaign_id: Option<i64>,
    creator_id: Option<i64>,
) -> sea_orm::sea_query::SelectStatement {
    let mut query = Query::select();
    query
        .column(enrollment::Column::Id)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::BrandId.eq(brand_id));
    let mut condition = Condition::all();
    if let Some(id) = campaign_id {
        condition = condition.add(enrollment::Column::CampaignId.eq(id));
    }
    if let Some(id) = creator_id {
        condition = condition.add(enrollment::Column::CreatorId.eq(id));
    }
    query.cond_where(condition);
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            principal: Principal::User(1),
            role,
            brand_id: (role != Role::Creator).then_some(9),
            creator_ids: vec![3, 4],
            scopes: vec![],
            session_id: None,
        }
    }

    #[test]
    fn staff_export_everything_creators_only_their_commissions() {
        for role in [Role::Admin, Role::Manager, Role::Analyst] {
            for kind in Kind::ALL {
                assert!(matches!(
                    authorize(&actor(role), *kind),
                    Ok(Owner::Brand(9))
                ));
            }
        }
        let creator = actor(Role::Creator);
        assert!(matches!(
            authorize(&creator, Kind::Commissions),
            Ok(Owner::Creator(ids)) if ids == [3, 4]
        ));
        for kind in [
            Kind::Conversions,
            Kind::Clicks,
            Kind::Creators,
            Kind::Performance,
        ] {
            assert!(matches!(
                authorize(&creator, kind),
                Err(AppError::Forbidden(_))
            ));
        }
        let mut key = actor(Role::Integrator);
        key.principal = Principal::ApiKey(5);
        assert!(authorize(&key, Kind::Conversions).is_err(), "no scope");
        key.scopes = vec![Scope::ReadChanges];
        assert!(matches!(
            authorize(&key, Kind::Conversions),
            Ok(Owner::Brand(9))
        ));
        assert!(authorize(&key, Kind::Commissions).is_err());
    }

    #[test]
    fn dimensions_parse_and_default() {
        assert_eq!(
            grouping(&Filter::default()).unwrap(),
            [Dimension::Day, Dimension::Campaign, Dimension::Creator]
        );
        let bad = Filter {
            group_by: Some(vec!["YEAR".into()]),
            ..Filter::default()
        };
        assert_eq!(grouping(&bad).unwrap_err().field(), Some("groupBy"));
    }
}
