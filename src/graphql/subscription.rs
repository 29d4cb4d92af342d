//! The subscription root: live events over `GET /graphql/ws` (graphql-transport-ws).
//!
//! Each subscription follows the process's [`EventBus`], keeps the events of the caller (by brand
//! or creator id, before anything is loaded), then re-reads the object through the same
//! tenant-scoped service a query uses, so a subscription never shows more than a query would.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, Subscription};
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::context;
use super::fraud::types::FraudFlag;
use super::id::{self, NodeKind};
use super::ingest::types::Conversion;
use super::portal::types::Commission;
use crate::auth::{Permission, Role};
use crate::error::{AppError, ErrorCode};
use crate::events::{Event, EventBus, EventStream, Missed};
use crate::service::{conversion_reads, fraud, portal};

/// The subscriptions one WebSocket connection may hold at once (put in its connection data).
pub struct SubscriptionSlots {
    slots: Arc<Semaphore>,
    max: usize,
}

impl SubscriptionSlots {
    pub fn new(max: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max)),
            max,
        }
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Staff (ADMIN, MANAGER, ANALYST): every conversion recorded in the caller's brand from now
    /// on, once its batch is committed; with `campaignId`, only those attributed to that
    /// campaign.
    async fn conversion_recorded(
        &self,
        ctx: &Context<'_>,
        campaign_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Conversion>> + use<>> {
        let actor = context::actor(ctx)?.clone();
        let brand_id = actor.require(Permission::ReadBrand)?;
        let campaign = campaign_id
            .map(|id| id::decode_as(&id, NodeKind::Campaign, "campaignId"))
            .transpose()?;
        let (events, permit) = open(ctx)?;
        let db = context::db(ctx)?.clone();
        let wanted = move |event: &Event| match *event {
            Event::ConversionRecorded {
                brand_id: brand,
                conversion_id,
                campaign_id,
                ..
            } if brand == brand_id && (campaign.is_none() || campaign_id == campaign) => {
                Some(conversion_id)
            }
            _ => None,
        };
        let load = move |id| {
            let (db, actor) = (db.clone(), actor.clone());
            async move { conversion_reads::get(&db, &actor, id).await.map(Conversion) }
        };
        Ok(follow(events, permit, wanted, load))
    }

    /// Staff (ADMIN, MANAGER, ANALYST): each conversion of the caller's brand a fraud rule
    /// flags from now on, once its batch is committed (the review queue's new entries).
    async fn fraud_flagged(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<FraudFlag>> + use<>> {
        let actor = context::actor(ctx)?.clone();
        let brand_id = actor.require(Permission::ReadBrand)?;
        let (events, permit) = open(ctx)?;
        let db = context::db(ctx)?.clone();
        let wanted = move |event: &Event| match *event {
            Event::FraudFlagged {
                brand_id: brand,
                flag_id,
            } if brand == brand_id => Some(flag_id),
            _ => None,
        };
        let load = move |id| {
            let (db, actor) = (db.clone(), actor.clone());
            async move { fraud::flag(&db, &actor, id).await.map(FraudFlag) }
        };
        Ok(follow(events, permit, wanted, load))
    }

    /// CREATOR: each commission line created for the caller's own creator records (in any
    /// brand it works with) from now on: conversions it earns on, reversals, bonuses.
    async fn my_commission_created(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Commission>> + use<>> {
        let actor = context::actor(ctx)?.clone();
        if actor.role != Role::Creator {
            return Err(
                AppError::Forbidden("myCommissionCreated is for creator accounts".into()).into(),
            );
        }
        let own: HashSet<i64> = actor.creator_ids.iter().copied().collect();
        let (events, permit) = open(ctx)?;
        let db = context::db(ctx)?.clone();
        let wanted = move |event: &Event| match *event {
            Event::CommissionCreated {
                creator_id,
                line_id,
                ..
            } if own.contains(&creator_id) => Some(line_id),
            _ => None,
        };
        let load = move |id| {
            let (db, actor) = (db.clone(), actor.clone());
            async move { portal::commission(&db, &actor, id).await.map(Commission) }
        };
        Ok(follow(events, permit, wanted, load))
    }
}

/// A slot of the connection and a stream of the bus, or why not.
fn open(ctx: &Context<'_>) -> async_graphql::Result<(EventStream, OwnedSemaphorePermit)> {
    let slots = ctx.data::<SubscriptionSlots>().map_err(|_| {
        AppError::bad_input(
            "subscription",
            "subscribe over WebSocket at GET /graphql/ws",
        )
    })?;
    let permit = slots.slots.clone().try_acquire_owned().map_err(|_| {
        async_graphql::Error::new(format!(
            "at most {} subscriptions at once on one connection: complete one first",
            slots.max
        ))
        .extend_with(|_, e| e.set("code", ErrorCode::RateLimited.as_str()))
    })?;
    let bus = ctx
        .data::<Arc<EventBus>>()
        .map_err(|_| AppError::internal("event bus missing from schema data"))?;
    Ok((bus.subscribe(), permit))
}

struct Follow<W, L> {
    events: Option<EventStream>,
    wanted: W,
    load: L,
    /// Frees the connection's slot when the subscription ends.
    _slot: OwnedSemaphorePermit,
}

/// The objects of the events `wanted` picks (by id), loaded by `load`. An object `load` does not
/// find (gone, or not the caller's) is skipped. A subscriber that falls behind the bus, or whose
/// events may have been lost (the server's listener lost PostgreSQL), gets one
/// SERVICE_UNAVAILABLE error and its subscription ends (subscribe again to go on; the queries
/// fill the gap, and READ_CHANGES keys the conversion change feed from their last cursor).
fn follow<T, W, L, F>(
    events: EventStream,
    slot: OwnedSemaphorePermit,
    wanted: W,
    load: L,
) -> impl Stream<Item = async_graphql::Result<T>> + use<T, W, L, F>
where
    T: Send + 'static,
    W: Fn(&Event) -> Option<i64> + Send + 'static,
    L: Fn(i64) -> F + Send + 'static,
    F: Future<Output = Result<T, AppError>> + Send,
{
    let state = Follow {
        events: Some(events),
        wanted,
        load,
        _slot: slot,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            let events = state.events.as_mut()?;
            let id = match events.next().await? {
                Ok(event) => match (state.wanted)(&event) {
                    Some(id) => id,
                    None => continue,
                },
                Err(missed) => {
                    state.events = None;
                    let error = async_graphql::Error::new(ended(missed))
                        .extend_with(|_, e| e.set("code", ErrorCode::ServiceUnavailable.as_str()));
                    return Some((Err(error), state));
                }
            };
            match (state.load)(id).await {
                Ok(value) => return Some((Ok(value), state)),
                Err(AppError::NotFound) => continue,
                Err(err) => return Some((Err(err.into()), state)),
            }
        }
    })
}

/// Why a subscription was ended.
fn ended(missed: Missed) -> String {
    match missed {
        Missed::Lagged(count) => {
            format!("this subscription fell {count} events behind and was ended: subscribe again")
        }
        Missed::Disconnected => "the server lost its database connection for a moment and \
            events may have been missed; this subscription was ended: subscribe again and read \
            what happened meanwhile with a query"
            .to_owned(),
    }
}
