//! DataLoaders: batch the lookups a list can reach, so that no contract operation issues one
//! query per row. Created per request (cheap), so that no cache outlives a request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::db::entity::brand;

pub struct BrandLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for BrandLoader {
    type Value = brand::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = brand::Entity::find()
            .filter(brand::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// Every loader of one request.
pub struct Loaders {
    pub brands: DataLoader<BrandLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            brands: DataLoader::new(BrandLoader { db: db.clone() }, tokio::spawn),
        }
    }
}
