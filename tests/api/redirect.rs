//! `GET /r/{code}`: the redirect answer, click capture through the queue, the link cache (SQL
//! statements counted) and its invalidation, and draining the queue on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use partnergraph::db::entity::{brand, campaign, click, creator, enrollment, offer, tracking_link};
use partnergraph::tracking::{ClickQueue, NewClick, QueueSettings};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::helpers::{HttpAnswer, TestApp};
use crate::on_both_backends;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

on_both_backends!(
    redirects_with_utm_and_click_id_and_records_the_click,
    unknown_and_invalid_codes_are_404_with_at_most_one_lookup,
    a_cache_hit_costs_no_statement,
    invalidation_picks_up_changed_and_archived_links,
    shutdown_writes_every_queued_click,
    the_writer_writes_full_batches_and_on_its_timer,
    a_refused_row_does_not_lose_its_batch,
);

/// A link of a fresh brand, with the creator, campaign, offer and enrollment its foreign keys
/// need, inserted directly (link creation through GraphQL is another change).
struct Fixture {
    brand_id: i64,
    enrollment_id: i64,
    link_id: i64,
    code: String,
}

async fn fixture(app: &TestApp, code: &str, destination: &str) -> Fixture {
    let now = Utc::now();
    let brand = brand::ActiveModel {
        name: Set(format!("Brand of {code}")),
        currency_code: Set("USD".into()),
        timezone: Set("UTC".into()),
        attribution_window_days: Set(30),
        hold_period_days: Set(30),
        attribution_model: Set("CLICK_ID".into()),
        code_precedence: Set("CODE_WINS".into()),
        gross_margin: Set("1".into()),
        minimum_payout_minor: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("brand");
    let creator = creator::ActiveModel {
        brand_id: Set(brand.id),
        display_name: Set("Maya".into()),
        niches: Set("[]".into()),
        stage: Set("ACTIVE".into()),
        vetting_status: Set("APPROVED".into()),
        followers: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("creator");
    let campaign = campaign::ActiveModel {
        brand_id: Set(brand.id),
        name: Set("Spring".into()),
        objective: Set("SALES".into()),
        schedule: Set("ALWAYS_ON".into()),
        status: Set("ACTIVE".into()),
        currency_code: Set("USD".into()),
        brief_key_messages: Set("[]".into()),
        brief_dos: Set("[]".into()),
        brief_donts: Set("[]".into()),
        disclosure_required: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("campaign");
    let offer = offer::ActiveModel {
        brand_id: Set(brand.id),
        campaign_id: Set(campaign.id),
        name: Set("CPA".into()),
        model: Set("CPA".into()),
        currency_code: Set("USD".into()),
        cpa_amount_minor: Set(Some(2_000)),
        new_customers_only: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("offer");
    let enrollment = enrollment::ActiveModel {
        brand_id: Set(brand.id),
        campaign_id: Set(campaign.id),
        creator_id: Set(creator.id),
        offer_id: Set(offer.id),
        status: Set("ACTIVE".into()),
        activated_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("enrollment");
    let link = tracking_link::ActiveModel {
        brand_id: Set(brand.id),
        enrollment_id: Set(enrollment.id),
        code: Set(code.into()),
        destination_url: Set(destination.into()),
        utm_source: Set(Some("tiktok".into())),
        utm_medium: Set(Some("creator".into())),
        utm_campaign: Set(Some("spring sale".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("tracking link");
    Fixture {
        brand_id: brand.id,
        enrollment_id: enrollment.id,
        link_id: link.id,
        code: code.into(),
    }
}

/// A browser visit from `ip`, as the server sees it (with the connection's address).
fn visit(path: &str, ip: [u8; 4], user_agent: &str) -> Request<Body> {
    let mut request = Request::get(path)
        .header(header::USER_AGENT, user_agent)
        .header(
            header::REFERER,
            "https://www.TikTok.com/@maya/video/123?lang=en",
        )
        .header("cf-ipcountry", "de")
        .body(Body::empty())
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 51000))));
    request
}

fn location(answer: &HttpAnswer) -> String {
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text);
    answer.headers[header::LOCATION]
        .to_str()
        .expect("ASCII location")
        .to_owned()
}

/// The `pg_click` value of a redirect's `Location`.
fn click_id(location: &str) -> String {
    url::Url::parse(location)
        .expect("absolute location")
        .query_pairs()
        .find(|(key, _)| key == "pg_click")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no pg_click in {location}"))
}

async fn clicks_of(app: &TestApp, link_id: i64) -> Vec<click::Model> {
    click::Entity::find()
        .filter(click::Column::LinkId.eq(link_id))
        .order_by_asc(click::Column::Id)
        .all(&app.db)
        .await
        .expect("clicks")
}

async fn redirects_with_utm_and_click_id_and_records_the_click(app: TestApp) {
    let link = fixture(
        &app,
        "maya-spring",
        "https://shop.test/serum?ref=bio&utm_source=old&flag#buy",
    )
    .await;
    // Codes match case-insensitively.
    let answer = app
        .request(visit("/r/Maya-Spring", [203, 0, 113, 7], IPHONE))
        .await;
    let first = location(&answer);
    let id = click_id(&first);
    assert_eq!(
        first,
        format!(
            "https://shop.test/serum?ref=bio&flag&utm_source=tiktok&utm_medium=creator\
             &utm_campaign=spring+sale&pg_click={id}#buy"
        )
    );
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(
        answer.headers[header::REFERRER_POLICY],
        "no-referrer-when-downgrade"
    );

    // Nothing is written until the queue flushes.
    assert!(clicks_of(&app, link.link_id).await.is_empty());
    app.tracking.clicks.flush().await;
    let stored = clicks_of(&app, link.link_id).await;
    assert_eq!(stored.len(), 1);
    let click = &stored[0];
    assert_eq!(click.click_id, id);
    assert_eq!(click.brand_id, link.brand_id);
    assert_eq!(click.enrollment_id, Some(link.enrollment_id));
    assert_eq!(click.source, "REDIRECT");
    assert!(!click.is_bot);
    assert_eq!(click.user_agent_class.as_deref(), Some("mobile"));
    assert_eq!(click.referrer_host.as_deref(), Some("www.tiktok.com"));
    assert_eq!(click.country.as_deref(), Some("DE"));
    assert_eq!(click.visitor_key.len(), 64);
    assert!(!click.visitor_key.contains("203.0.113.7"));
    assert!(!click.visitor_key.contains("203"));
    assert!((Utc::now() - click.occurred_at).num_seconds() < 60);

    // The same visitor again has the same key; another address has another.
    let again = app
        .request(visit("/r/maya-spring", [203, 0, 113, 7], IPHONE))
        .await;
    let elsewhere = app
        .request(visit("/r/maya-spring", [198, 51, 100, 9], IPHONE))
        .await;
    let bot = app
        .request(visit("/r/maya-spring", [66, 249, 66, 1], GOOGLEBOT))
        .await;
    let (again, elsewhere, bot) = (
        click_id(&location(&again)),
        click_id(&location(&elsewhere)),
        click_id(&location(&bot)),
    );
    app.tracking.clicks.flush().await;
    let stored = clicks_of(&app, link.link_id).await;
    let by_id = |id: &str| {
        stored
            .iter()
            .find(|c| c.click_id == id)
            .unwrap_or_else(|| panic!("click {id} not stored"))
            .clone()
    };
    assert_eq!(stored.len(), 4);
    assert_eq!(by_id(&again).visitor_key, click.visitor_key);
    assert_ne!(by_id(&elsewhere).visitor_key, click.visitor_key);
    let bot = by_id(&bot);
    assert!(bot.is_bot);
    assert_eq!(bot.user_agent_class.as_deref(), Some("bot"));
    let stats = app.tracking.clicks.stats();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (4, 4, 0));
}

async fn unknown_and_invalid_codes_are_404_with_at_most_one_lookup(app: TestApp) {
    let before = app.statements();
    for _ in 0..2 {
        let answer = app.get("/r/no-such-code").await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.text, "Link not found.\n");
        assert!(
            answer.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
    }
    // Any case of the same code is the same (remembered) unknown code.
    assert_eq!(
        app.get("/r/NO-SUCH-CODE").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.statements() - before <= 1,
        "{}",
        app.statements() - before
    );

    // A concurrent burst for a code not seen yet shares one lookup.
    let before = app.statements();
    let burst = tokio::join!(
        app.get("/r/burst-code"),
        app.get("/r/burst-code"),
        app.get("/r/Burst-Code"),
        app.get("/r/burst-code"),
        app.get("/r/BURST-CODE"),
    );
    for answer in [burst.0, burst.1, burst.2, burst.3, burst.4] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.statements() - before, 1);

    let before = app.statements();
    for path in [
        "/r/ab",
        "/r/has.dot",
        "/r/%E2%9C%93-check",
        "/r/semi%3Bcolon",
        "/r/%FF%FE%FD",
        &format!("/r/{}", "a".repeat(65)),
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.statements(),
        before,
        "invalid codes must not reach the database"
    );
}

async fn a_cache_hit_costs_no_statement(app: TestApp) {
    let link = fixture(&app, "cached-link", "https://shop.test/").await;
    let first = location(&app.get("/r/cached-link").await);
    app.tracking.clicks.flush().await;
    let before = app.statements();
    let second = location(&app.get("/r/cached-link").await);
    assert_eq!(app.statements(), before, "a cache hit must not query");
    assert_ne!(click_id(&first), click_id(&second));
    app.tracking.clicks.flush().await;
    let stored = clicks_of(&app, link.link_id).await;
    assert_eq!(stored.len(), 2);
    // No user agent at all: flagged as a bot, still redirected.
    assert!(stored.iter().all(|c| c.is_bot));
}

async fn invalidation_picks_up_changed_and_archived_links(app: TestApp) {
    let link = fixture(&app, "moving-link", "https://old.test/").await;
    assert!(location(&app.get("/r/moving-link").await).starts_with("https://old.test/?"));

    let row = tracking_link::Entity::find_by_id(link.link_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut changed: tracking_link::ActiveModel = row.into();
    changed.destination_url = Set("https://new.test/landing".into());
    changed.utm_campaign = Set(None);
    let row = changed.update(&app.db).await.unwrap();
    // Still cached: this process was not told yet.
    assert!(location(&app.get("/r/moving-link").await).starts_with("https://old.test/?"));
    app.tracking.links.invalidate("MOVING-LINK");
    let moved = location(&app.get("/r/moving-link").await);
    assert!(
        moved
            .starts_with("https://new.test/landing?utm_source=tiktok&utm_medium=creator&pg_click="),
        "{moved}"
    );

    let mut archived: tracking_link::ActiveModel = row.into();
    archived.archived_at = Set(Some(Utc::now()));
    archived.update(&app.db).await.unwrap();
    app.tracking.links.invalidate(&link.code);
    assert_eq!(
        app.get("/r/moving-link").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn shutdown_writes_every_queued_click(app: TestApp) {
    let link = fixture(&app, "last-orders", "https://shop.test/").await;
    for i in 0..25u8 {
        location(
            &app.request(visit("/r/last-orders", [10, 0, 0, i], IPHONE))
                .await,
        );
    }
    // The test timer never fires: these are all still queued.
    assert_eq!(app.tracking.clicks.stats().written, 0);
    app.tracking.clicks.shutdown().await;
    assert_eq!(clicks_of(&app, link.link_id).await.len(), 25);
    let stats = app.tracking.clicks.stats();
    assert_eq!((stats.enqueued, stats.written), (25, 25));

    // After shutdown redirects still answer; their clicks are refused and counted.
    location(&app.get("/r/last-orders").await);
    assert_eq!(app.tracking.clicks.stats().dropped, 1);
    app.tracking.clicks.shutdown().await;
}

fn new_click(link: &Fixture, link_id: i64, n: usize) -> NewClick {
    NewClick {
        brand_id: link.brand_id,
        link_id,
        enrollment_id: Some(link.enrollment_id),
        click_id: format!("direct-{link_id}-{n}"),
        occurred_at: Utc::now(),
        visitor_key: "0".repeat(64),
        user_agent_class: "desktop",
        referrer_host: None,
        country: None,
        is_bot: false,
        paid_click_param: None,
    }
}

fn settings(batch_size: usize, flush_interval: Duration) -> QueueSettings {
    QueueSettings {
        capacity: 100,
        batch_size,
        flush_interval,
        max_retries: 2,
        retry_backoff: Duration::from_millis(10),
    }
}

async fn wait_for_clicks(app: &TestApp, link_id: i64, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stored = click::Entity::find()
            .filter(click::Column::LinkId.eq(link_id))
            .count(&app.db)
            .await
            .expect("count clicks");
        if stored as usize >= count || Instant::now() > deadline {
            assert_eq!(stored as usize, count);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn the_writer_writes_full_batches_and_on_its_timer(app: TestApp) {
    let link = fixture(&app, "batched", "https://shop.test/").await;
    // Full batches of 2 are written at once; the fifth click waits for a flush.
    let batches = ClickQueue::start(
        app.db.clone(),
        settings(2, Duration::from_secs(3_600)),
        Arc::new(partnergraph::clock::SystemClock),
    );
    for n in 0..5 {
        assert!(batches.enqueue(new_click(&link, link.link_id, n)));
    }
    wait_for_clicks(&app, link.link_id, 4).await;
    batches.flush().await;
    assert_eq!(clicks_of(&app, link.link_id).await.len(), 5);
    batches.shutdown().await;

    // A partial batch is written once its first click has waited the flush interval.
    let timed = ClickQueue::start(
        app.db.clone(),
        settings(500, Duration::from_millis(20)),
        Arc::new(partnergraph::clock::SystemClock),
    );
    for n in 5..8 {
        assert!(timed.enqueue(new_click(&link, link.link_id, n)));
    }
    wait_for_clicks(&app, link.link_id, 8).await;
    // The rows can be visible a moment before the writer counts them: flush to sync.
    timed.flush().await;
    assert_eq!(timed.stats().written, 3);
    timed.shutdown().await;
}

async fn a_refused_row_does_not_lose_its_batch(app: TestApp) {
    let link = fixture(&app, "one-bad-apple", "https://shop.test/").await;
    let queue = ClickQueue::start(
        app.db.clone(),
        settings(500, Duration::from_secs(3_600)),
        Arc::new(partnergraph::clock::SystemClock),
    );
    queue.enqueue(new_click(&link, link.link_id, 1));
    // A link that does not exist: the foreign key refuses this row.
    queue.enqueue(new_click(&link, link.link_id + 1_000_000, 2));
    queue.enqueue(new_click(&link, link.link_id, 3));
    queue.flush().await;
    assert_eq!(clicks_of(&app, link.link_id).await.len(), 2);
    let stats = queue.stats();
    assert_eq!((stats.written, stats.failed), (2, 1));
    queue.shutdown().await;
}
