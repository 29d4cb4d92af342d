//! The subscription root: live events over `GET /graphql/ws` (graphql-transport-ws).
//!
//! Each subscription follows the process's [`EventBus`], keeps the events of the caller (by brand
//! or creator id, before anything is loaded), then re-reads the object through the same
//! tenant-scoped service a query uses, so a subscription never shows more than a query would.
//! Events lost for a subscriber are read back from the database ([`catch_up`]).

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, ErrorExtensions, ID, Subscription};
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::context;
use super::fraud::types::FraudFlag;
use super::id::{self, NodeKind};
use super::ingest::types::Conversion;
use super::portal::types::Commission;
use crate::auth::{Actor, Permission, Role};
use crate::error::{AppError, ErrorCode};
use crate::events::{Event, EventBus, EventStream, Missed};
use crate::service::catch_up::{self, Feed, Marks};
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
        let wanted = move |event: &Event| match *event {
            Event::ConversionRecorded {
                brand_id: brand,
                conversion_id,
                campaign_id,
                ..
            } if brand == brand_id && (campaign.is_none() || campaign_id == campaign) => {
                Some((brand, conversion_id))
            }
            _ => None,
        };
        let feed = Feed::Conversions {
            campaign_id: campaign,
        };
        follow(ctx, actor, feed, wanted, |db, actor, id| async move {
            conversion_reads::get(&db, &actor, id).await.map(Conversion)
        })
        .await
    }

    /// Staff (ADMIN, MANAGER, ANALYST): each conversion of the caller's brand a fraud rule
    /// flags from now on, once its batch is committed (the review queue's new entries).
    async fn fraud_flagged(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<FraudFlag>> + use<>> {
        let actor = context::actor(ctx)?.clone();
        let brand_id = actor.require(Permission::ReadBrand)?;
        let wanted = move |event: &Event| match *event {
            Event::FraudFlagged {
                brand_id: brand,
                flag_id,
            } if brand == brand_id => Some((brand, flag_id)),
            _ => None,
        };
        follow(
            ctx,
            actor,
            Feed::FraudFlags,
            wanted,
            |db, actor, id| async move { fraud::flag(&db, &actor, id).await.map(FraudFlag) },
        )
        .await
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
        let wanted = move |event: &Event| match *event {
            Event::CommissionCreated {
                brand_id,
                creator_id,
                line_id,
                ..
            } if own.contains(&creator_id) => Some((brand_id, line_id)),
            _ => None,
        };
        follow(ctx, actor, Feed::OwnCommissions, wanted, |db, actor, id| async move {
            portal::commission(&db, &actor, id).await.map(Commission)
        })
        .await
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

/// How long a subscription whose events were lost waits for the listener to be back before it
/// gives up (the listener tries again every second).
const RESUME_WITHIN: Duration = Duration::from_secs(30);

/// The most missed objects a subscription reads back; past it, it ends.
const CATCH_UP_MAX: u64 = 500;

struct Follow<W, L> {
    events: Option<EventStream>,
    db: DatabaseConnection,
    actor: Actor,
    feed: Feed,
    wanted: W,
    load: L,
    /// Per brand, the highest id passed: where a catch-up reads from.
    marks: Marks,
    /// Set by the first catch-up: from then on an event at or below its brand's mark was
    /// read back already and is skipped.
    caught_up: bool,
    /// Ids read back by a catch-up, still to deliver (oldest first).
    backlog: VecDeque<i64>,
    /// Frees the connection's slot when the subscription ends.
    _slot: OwnedSemaphorePermit,
}

/// The objects of the events `wanted` picks (by brand and id), loaded by `load` (an object it
/// does not find, gone or not the caller's, is skipped).
///
/// When events were lost for the subscriber (the server's listener lost PostgreSQL, or the
/// subscriber fell behind the bus), it waits for the listener to be back and reads from the
/// database what `feed` recorded after its [`Marks`] ([`catch_up`]): the subscriber receives
/// every object once, in order, and the gap does not show. It ends with one
/// SERVICE_UNAVAILABLE error only when that cannot be done: the listener is not back within
/// [`RESUME_WITHIN`], more than [`CATCH_UP_MAX`] objects were missed, or the read failed
/// (subscribe again; the queries fill the gap, and READ_CHANGES keys the conversion change
/// feed from their last cursor).
async fn follow<T, W, L, F>(
    ctx: &Context<'_>,
    actor: Actor,
    feed: Feed,
    wanted: W,
    load: L,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<T>> + use<T, W, L, F>>
where
    T: Send + 'static,
    W: Fn(&Event) -> Option<(i64, i64)> + Send + 'static,
    L: Fn(DatabaseConnection, Actor, i64) -> F + Send + 'static,
    F: Future<Output = Result<T, AppError>> + Send,
{
    let (events, slot) = open(ctx)?;
    let db = context::db(ctx)?.clone();
    // After subscribing: an object recorded from now on is above the marks or on the bus.
    let marks = catch_up::marks(&db, &actor, feed).await?;
    let state = Follow {
        events: Some(events),
        db,
        actor,
        feed,
        wanted,
        load,
        marks,
        caught_up: false,
        backlog: VecDeque::new(),
        _slot: slot,
    };
    Ok(futures_util::stream::unfold(
        state,
        |mut state| async move {
            loop {
                let id = match state.backlog.pop_front() {
                    Some(id) => id,
                    None => match next(&mut state).await? {
                        Ok(id) => id,
                        Err(error) => {
                            state.events = None;
                            return Some((Err(error), state));
                        }
                    },
                };
                match (state.load)(state.db.clone(), state.actor.clone(), id).await {
                    Ok(value) => return Some((Ok(value), state)),
                    Err(AppError::NotFound) => continue,
                    Err(err) => return Some((Err(err.into()), state)),
                }
            }
        },
    ))
}

/// The next id to deliver from the bus, after a catch-up if events were lost; `None` when the
/// subscription is over, `Err` when it must end.
async fn next<W, L>(state: &mut Follow<W, L>) -> Option<Result<i64, async_graphql::Error>>
where
    W: Fn(&Event) -> Option<(i64, i64)>,
{
    loop {
        let events = state.events.as_mut()?;
        match events.next().await? {
            Ok(event) => {
                let Some((brand_id, id)) = (state.wanted)(&event) else {
                    continue;
                };
                let mark = state.marks.entry(brand_id).or_insert(0);
                if state.caught_up && id <= *mark {
                    continue;
                }
                *mark = (*mark).max(id);
                return Some(Ok(id));
            }
            Err(missed) => {
                if let Err(error) = catch_up(state, missed).await {
                    return Some(Err(error));
                }
                if let Some(id) = state.backlog.pop_front() {
                    return Some(Ok(id));
                }
            }
        }
    }
}

/// Reads back what the subscriber missed into its backlog, once the listener is back.
async fn catch_up<W, L>(
    state: &mut Follow<W, L>,
    missed: Missed,
) -> Result<(), async_graphql::Error> {
    let unavailable = |message: String| {
        async_graphql::Error::new(message)
            .extend_with(|_, e| e.set("code", ErrorCode::ServiceUnavailable.as_str()))
    };
    let Some(events) = state.events.as_mut() else {
        return Ok(());
    };
    if !events.resumed(RESUME_WITHIN).await {
        return Err(unavailable(ended(missed)));
    }
    let found = catch_up::since(
        &state.db,
        &state.actor,
        state.feed,
        &state.marks,
        CATCH_UP_MAX + 1,
    )
    .await
    .map_err(|_| unavailable(ended(missed)))?;
    if found.len() as u64 > CATCH_UP_MAX {
        return Err(unavailable(format!(
            "more than {CATCH_UP_MAX} events were missed while {}; this subscription was \
             ended: subscribe again and read what happened meanwhile with a query",
            cause(missed)
        )));
    }
    state.caught_up = true;
    for (brand_id, id) in found {
        let mark = state.marks.entry(brand_id).or_insert(0);
        *mark = (*mark).max(id);
        state.backlog.push_back(id);
    }
    Ok(())
}

/// Why a subscription was ended when it could not catch up.
fn ended(missed: Missed) -> String {
    format!(
        "events were missed while {} and could not be read back; this subscription was \
         ended: subscribe again and read what happened meanwhile with a query",
        cause(missed)
    )
}

fn cause(missed: Missed) -> String {
    match missed {
        Missed::Lagged(count) => format!("this subscription fell {count} events behind"),
        Missed::Disconnected => "the server's database connection was lost".to_owned(),
    }
}
