use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::creator::types::Creator;
use crate::graphql::id::{self, NodeKind};
use crate::service::data_rights;

/// Exactly one of `customerKey` and `email`.
#[derive(InputObject)]
pub struct EraseCustomerInput {
    /// The brand's customer id, as sent with the conversions.
    pub customer_key: Option<String>,
    /// The customer's email address (conversions store only its hash; this finds them).
    pub email: Option<String>,
}

#[derive(SimpleObject)]
pub struct EraseCustomerPayload {
    /// Conversions whose customer key or email hash was replaced by a token; 0 when nothing
    /// of the customer was left (erasing again is harmless).
    pub conversions_changed: i64,
}

#[derive(Default)]
pub struct DataRightsMutation;

#[Object]
impl DataRightsMutation {
    /// ADMIN: erases a creator's personal data (name, email, channels, notes, its account);
    /// commissions, payouts and reports stay as they were. Erasing again changes nothing.
    async fn erase_creator(&self, ctx: &Context<'_>, id: ID) -> Result<Creator, AppError> {
        let creator_id = id::decode_as(&id, NodeKind::Creator, "id")?;
        let erased = data_rights::erase_creator(
            context::db(ctx)?,
            context::actor(ctx)?,
            creator_id,
            context::now(ctx),
        )
        .await?;
        Ok(Creator::from(erased))
    }

    /// ADMIN: replaces a customer's key and email hash, in every conversion of the brand, by a
    /// one-way token; reports keep counting the customer once, as before.
    async fn erase_customer(
        &self,
        ctx: &Context<'_>,
        input: EraseCustomerInput,
    ) -> Result<EraseCustomerPayload, AppError> {
        let changed = data_rights::erase_customer(
            context::db(ctx)?,
            context::actor(ctx)?,
            input.customer_key.as_deref(),
            input.email.as_deref(),
            context::now(ctx),
        )
        .await?;
        Ok(EraseCustomerPayload {
            conversions_changed: i64::try_from(changed).map_err(AppError::internal)?,
        })
    }
}
