//! DataLoaders: batch the lookups a list can reach, so that no contract operation issues one
//! query per row. Created per request, so that no cache outlives a request. Keys come from rows
//! the caller was already allowed to read.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    Statement,
};

use super::batches::Batches;
use crate::db::entity::{
    brand, campaign, channel, commission, conversion, creator, enrollment, experiment_region,
    offer, offer_tier,
};
use crate::db::projection::Columns;
use crate::service::enrollments::EnrollmentParent;
use crate::service::{creators, experiments, offers};

/// A loader failure, as the API reports it: an exhausted pool is SERVICE_UNAVAILABLE, like
/// everywhere else; any other database error is INTERNAL.
pub fn failed(err: Arc<DbErr>) -> crate::error::AppError {
    if matches!(
        *err,
        DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)
    ) {
        return crate::error::AppError::from(DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout,
        ));
    }
    crate::error::AppError::internal(err)
}

/// Loads rows of an entity by primary key.
macro_rules! by_id_loader {
    ($name:ident, $entity:ident) => {
        pub struct $name {
            db: DatabaseConnection,
        }

        impl Loader<i64> for $name {
            type Value = $entity::Model;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.db)
                    .await?;
                Ok(rows.into_iter().map(|row| (row.id, row)).collect())
            }
        }
    };
}

by_id_loader!(BrandLoader, brand);
by_id_loader!(CreatorLoader, creator);
by_id_loader!(CampaignLoader, campaign);
by_id_loader!(OfferLoader, offer);
by_id_loader!(EnrollmentLoader, enrollment);
by_id_loader!(ConversionLoader, conversion);

/// The fraud flag of a conversion, by conversion id.
pub struct FraudFlagLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for FraudFlagLoader {
    type Value = crate::db::entity::fraud_flag::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = crate::service::fraud::flags_by_conversion(&self.db, keys).await?;
        Ok(rows.into_iter().map(|f| (f.conversion_id, f)).collect())
    }
}

/// Commission lines by conversion id.
pub struct CommissionLinesLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for CommissionLinesLoader {
    type Value = Vec<commission::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut grouped: HashMap<i64, Vec<commission::Model>> = HashMap::new();
        for row in crate::service::conversion_reads::commission_lines(&self.db, keys).await? {
            if let Some(conversion_id) = row.conversion_id {
                grouped.entry(conversion_id).or_default().push(row);
            }
        }
        Ok(grouped)
    }
}

/// A creator's channels, with the columns a selection of them reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChannelsOf {
    pub creator_id: i64,
    pub columns: Columns<channel::Column>,
}

/// Channels by creator id, largest first: one statement per set of columns asked for in a
/// batch (one, unless the query selects channels in more than one shape).
pub struct ChannelsLoader {
    db: DatabaseConnection,
}

impl Loader<ChannelsOf> for ChannelsLoader {
    type Value = Vec<channel::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ChannelsOf],
    ) -> Result<HashMap<ChannelsOf, Self::Value>, Self::Error> {
        let mut shapes: HashMap<Columns<channel::Column>, Vec<i64>> = HashMap::new();
        for key in keys {
            shapes.entry(key.columns).or_default().push(key.creator_id);
        }
        let mut grouped: HashMap<ChannelsOf, Vec<channel::Model>> = HashMap::new();
        for (columns, creator_ids) in shapes {
            for row in creators::channels_of(&self.db, &creator_ids, columns).await? {
                let key = ChannelsOf {
                    creator_id: row.creator_id,
                    columns,
                };
                grouped.entry(key).or_default().push(row);
            }
        }
        Ok(grouped)
    }
}

/// Volume tiers by offer id.
pub struct TiersLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for TiersLoader {
    type Value = Vec<offer_tier::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut grouped: HashMap<i64, Vec<offer_tier::Model>> = HashMap::new();
        for row in offers::tiers_of(&self.db, keys).await? {
            grouped.entry(row.offer_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// An experiment's regions (both arms) by experiment id.
pub struct ExperimentRegionsLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for ExperimentRegionsLoader {
    type Value = Vec<experiment_region::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut grouped: HashMap<i64, Vec<experiment_region::Model>> = HashMap::new();
        for row in experiments::regions_of(&self.db, keys).await? {
            grouped.entry(row.experiment_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// The first `first` enrollments (by id) of many campaigns or creators, with each one's total:
/// two statements per batch, whatever the number of parents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnrollmentPageKey {
    pub parent: EnrollmentParent,
    pub first: u64,
}

#[derive(Clone)]
pub struct EnrollmentPage {
    pub rows: Vec<enrollment::Model>,
    pub total: u64,
}

pub struct EnrollmentPageLoader {
    db: DatabaseConnection,
}

impl Loader<EnrollmentPageKey> for EnrollmentPageLoader {
    type Value = EnrollmentPage;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[EnrollmentPageKey],
    ) -> Result<HashMap<EnrollmentPageKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<(bool, u64), Vec<i64>> = HashMap::new();
        for key in keys {
            let (by_campaign, id) = match key.parent {
                EnrollmentParent::Campaign(id) => (true, id),
                EnrollmentParent::Creator(id) => (false, id),
            };
            groups.entry((by_campaign, key.first)).or_default().push(id);
        }
        let mut out = HashMap::new();
        for ((by_campaign, first), ids) in groups {
            let (column, col_name) = if by_campaign {
                (enrollment::Column::CampaignId, "campaign_id")
            } else {
                (enrollment::Column::CreatorId, "creator_id")
            };
            let parent = |id| {
                if by_campaign {
                    EnrollmentParent::Campaign(id)
                } else {
                    EnrollmentParent::Creator(id)
                }
            };
            let counts: Vec<(i64, i64)> = enrollment::Entity::find()
                .select_only()
                .column(column)
                .column_as(Expr::col(enrollment::Column::Id).count(), "n")
                .filter(column.is_in(ids.iter().copied()))
                .group_by(column)
                .into_tuple()
                .all(&self.db)
                .await?;
            let id_list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            // Ids are integers from the database, so inlining them is safe.
            let sql = format!(
                "SELECT * FROM (SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.{col_name} ORDER BY e.id) AS pg_rank \
                 FROM enrollments e WHERE e.{col_name} IN ({id_list})) ranked \
                 WHERE pg_rank <= {first} ORDER BY {col_name}, id"
            );
            let backend = self.db.get_database_backend();
            let rows = enrollment::Model::find_by_statement(Statement::from_string(backend, sql))
                .all(&self.db)
                .await?;
            let mut pages: HashMap<i64, EnrollmentPage> = ids
                .iter()
                .map(|id| {
                    (
                        *id,
                        EnrollmentPage {
                            rows: Vec::new(),
                            total: 0,
                        },
                    )
                })
                .collect();
            for (id, n) in counts {
                if let Some(page) = pages.get_mut(&id) {
                    page.total = u64::try_from(n).unwrap_or(0);
                }
            }
            for row in rows {
                let id = if by_campaign {
                    row.campaign_id
                } else {
                    row.creator_id
                };
                if let Some(page) = pages.get_mut(&id) {
                    page.rows.push(row);
                }
            }
            for (id, page) in pages {
                out.insert(
                    EnrollmentPageKey {
                        parent: parent(id),
                        first,
                    },
                    page,
                );
            }
        }
        Ok(out)
    }
}

/// Every loader of one request, each made on first use (most requests use one or none, and a
/// loader is a few allocations and a lock).
pub struct Loaders {
    db: DatabaseConnection,
    /// Where batches run: the request's task, or the runtime (`None`).
    batches: Option<Batches>,
    brands: OnceLock<DataLoader<BrandLoader>>,
    creators: OnceLock<DataLoader<CreatorLoader>>,
    campaigns: OnceLock<DataLoader<CampaignLoader>>,
    offers: OnceLock<DataLoader<OfferLoader>>,
    enrollments: OnceLock<DataLoader<EnrollmentLoader>>,
    conversions: OnceLock<DataLoader<ConversionLoader>>,
    fraud_flags: OnceLock<DataLoader<FraudFlagLoader>>,
    commission_lines: OnceLock<DataLoader<CommissionLinesLoader>>,
    channels: OnceLock<DataLoader<ChannelsLoader>>,
    tiers: OnceLock<DataLoader<TiersLoader>>,
    enrollment_pages: OnceLock<DataLoader<EnrollmentPageLoader>>,
    experiment_regions: OnceLock<DataLoader<ExperimentRegionsLoader>>,
}

/// `pub fn name(&self) -> &DataLoader<Loader>`, made on first call.
///
/// No delay (async-graphql's default waits 1 ms): the first key of a batch spawns the load.
/// With [`Loaders::batched`] the batch waits in the request's queue until its execution yields,
/// that is until the resolution pass has polled every sibling field and each has added its key
/// (`super::batches`); the contract operations' statement counts (one per relation, whatever
/// the page size), on a multi-threaded runtime too, test that batches still form.
macro_rules! loader {
    ($name:ident, $loader:ident) => {
        pub fn $name(&self) -> &DataLoader<$loader> {
            self.$name.get_or_init(|| {
                let loader = $loader {
                    db: self.db.clone(),
                };
                match &self.batches {
                    Some(batches) => {
                        let batches = batches.clone();
                        DataLoader::new(loader, move |batch| batches.spawn(batch))
                    }
                    None => DataLoader::new(loader, tokio::spawn),
                }
                .delay(Duration::ZERO)
            })
        }
    };
}

impl Loaders {
    /// Loaders whose batches run on the runtime (a subscription's events).
    pub fn new(db: &DatabaseConnection) -> Self {
        Self::with(db, None)
    }

    /// Loaders whose batches run in the request's task: the request must be run by
    /// [`super::batches::drive`] with the same `batches`.
    pub fn batched(db: &DatabaseConnection, batches: &Batches) -> Self {
        Self::with(db, Some(batches.clone()))
    }

    fn with(db: &DatabaseConnection, batches: Option<Batches>) -> Self {
        Self {
            db: db.clone(),
            batches,
            brands: OnceLock::new(),
            creators: OnceLock::new(),
            campaigns: OnceLock::new(),
            offers: OnceLock::new(),
            enrollments: OnceLock::new(),
            conversions: OnceLock::new(),
            fraud_flags: OnceLock::new(),
            commission_lines: OnceLock::new(),
            channels: OnceLock::new(),
            tiers: OnceLock::new(),
            enrollment_pages: OnceLock::new(),
            experiment_regions: OnceLock::new(),
        }
    }

    loader!(brands, BrandLoader);
    loader!(creators, CreatorLoader);
    loader!(campaigns, CampaignLoader);
    loader!(offers, OfferLoader);
    loader!(enrollments, EnrollmentLoader);
    loader!(conversions, ConversionLoader);
    loader!(fraud_flags, FraudFlagLoader);
    loader!(commission_lines, CommissionLinesLoader);
    loader!(channels, ChannelsLoader);
    loader!(tiers, TiersLoader);
    loader!(enrollment_pages, EnrollmentPageLoader);
    loader!(experiment_regions, ExperimentRegionsLoader);
}
