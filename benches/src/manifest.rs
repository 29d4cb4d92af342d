//! The manifest `datagen` writes: how the other tools reach and use the loaded program.

use serde::{Deserialize, Serialize};

use crate::datagen::Counts;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub database_url: String,
    /// GraphQL global ID of the brand.
    pub brand_id: String,
    /// The brand's database id (for raw SQL).
    pub brand_db_id: i64,
    pub admin_email: String,
    pub admin_password: String,
    /// INGEST, READ_LINKS and READ_CHANGES.
    pub api_key: String,
    /// Up to 1,000 codes of links that redirect and attribute.
    pub link_codes: Vec<String>,
    /// Up to 1,000 discount codes that attribute.
    pub discount_codes: Vec<String>,
    /// GraphQL global IDs of some campaigns.
    pub campaign_ids: Vec<String>,
    /// A 90-day window with data, RFC 3339, at local midnights of the brand timezone.
    pub performance_from: String,
    pub performance_to: String,
    pub counts: Counts,
    pub seed: u64,
    pub scale: f64,
    /// Load time, seconds.
    pub seconds: f64,
}

impl Manifest {
    /// A pool of `max_connections` on the loaded database, as PartnerGraph opens one (its
    /// SQLite pragmas included), waiting up to 60 s for a connection or a lock.
    pub async fn connect(
        &self,
        max_connections: u32,
    ) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
        use partnergraph::config::{DatabaseConfig, Secret};
        use std::time::Duration;
        partnergraph::db::connect(&DatabaseConfig {
            url: Secret::new(self.database_url.clone()),
            max_connections,
            acquire_timeout: Duration::from_secs(60),
            sqlite_busy_timeout: Duration::from_secs(60),
        })
        .await
    }

    pub fn read(path: &std::path::Path) -> Result<Self, Box<dyn std::error::Error>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the manifest {}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}
