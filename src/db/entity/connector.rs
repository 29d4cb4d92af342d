//! Entity for the `connectors` table.

use sea_orm::entity::prelude::*;

/// A store platform account a brand connected (DOMAIN rule 10). `secret` is the platform
/// signing secret sealed with `PARTNERGRAPH_SECRET_KEY` (`pgs1:...`): never returned after
/// creation or rotation, and redacted from `Debug`.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connectors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    /// SHOPIFY | STRIPE | WOOCOMMERCE
    pub kind: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    pub secret_prefix: String,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_delivery_at: Option<DateTimeUtc>,
    pub delivered_count: i64,
    pub error_count: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("id", &self.id)
            .field("brand_id", &self.brand_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::brand::Entity",
        from = "Column::BrandId",
        to = "super::brand::Column::Id",
        on_delete = "Cascade"
    )]
    Brand,
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
