//! The demo's traffic plan holds what docs/demo.md and the serve test rely on, for any load time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::calendar::Calendar;
use super::links::{LINKS, discount_code};
use super::orders::SELF_REFERRER;
use super::traffic::{LINK_TRAFFIC, Plan, link_start, plan};
use super::{tenant, *};
use crate::domain::conversion::Kind;
use crate::service::ingest::clicks::classify_user_agent;

fn plan_at(now: DateTime<Utc>) -> Plan {
    plan(now, tenant::timezone().expect("timezone"))
}

/// Now, and instants next to DST changes (also inside the window, late in the evening) and
/// a year end: the plan must hold for any load time.
fn load_times() -> Vec<DateTime<Utc>> {
    let mut times = vec![Utc::now()];
    for (y, m, d, h, min) in [
        (2026, 3, 8, 7, 30),
        (2026, 11, 1, 6, 30),
        (2026, 11, 24, 4, 50),
        (2027, 1, 1, 4, 59),
        (2027, 4, 20, 3, 30),
    ] {
        times.push(Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap());
    }
    times
}

#[test]
fn every_link_has_traffic_and_campaign_links_get_more() {
    for link in &LINKS {
        assert!(
            LINK_TRAFFIC.iter().any(|t| t.creator == link.creator),
            "{}",
            link.creator
        );
    }
    assert_eq!(LINK_TRAFFIC.len(), LINKS.len());
    let per_link = |campaign: &str| {
        let links: Vec<_> = LINKS.iter().filter(|l| l.campaign == campaign).collect();
        let clicks: usize = LINK_TRAFFIC
            .iter()
            .filter(|t| links.iter().any(|l| l.creator == t.creator))
            .map(|t| t.people)
            .sum();
        clicks / links.len()
    };
    assert!(per_link(campaigns::SPRING) > per_link(campaigns::CLUB));
    assert!(per_link(campaigns::SPF) > per_link(campaigns::CLUB));
    const { assert!(BOT_CLICK_COUNT > 0 && BOT_CLICK_COUNT * 10 < CLICK_COUNT) };
}

#[test]
fn the_plan_is_deterministic_for_a_load_time() {
    let now = Utc::now();
    let (a, b) = (plan_at(now), plan_at(now));
    let clicks = |p: &Plan| {
        p.clicks
            .iter()
            .map(|c| (c.click_id.clone(), c.at, c.link))
            .collect::<Vec<_>>()
    };
    assert_eq!(clicks(&a), clicks(&b));
    let orders = |p: &Plan| {
        p.orders
            .all()
            .map(|o| (o.external_id.clone(), o.occurred_at, o.amount))
            .collect::<Vec<_>>()
    };
    assert_eq!(orders(&a), orders(&b));
}

#[test]
fn the_plan_has_the_documented_counts_and_shape() {
    for now in load_times() {
        check(now, &plan_at(now));
    }
}

fn check(now: DateTime<Utc>, plan: &Plan) {
    let start = now - Duration::days(TRAFFIC_DAYS);
    let tz = tenant::timezone().expect("timezone");
    let cal = Calendar::new(now, tz);
    // Clicks: counted, unique, in the window, a flight's only from its start.
    assert_eq!(plan.clicks.len(), CLICK_COUNT);
    let bots = plan
        .clicks
        .iter()
        .map(|c| c.item())
        .filter(|c| classify_user_agent(c.user_agent.as_deref().unwrap_or("")).0)
        .count();
    assert_eq!(bots, BOT_CLICK_COUNT, "bots by the ingestion's own rules");
    let clicks: HashMap<&str, _> = plan
        .clicks
        .iter()
        .map(|c| (c.click_id.as_str(), c))
        .collect();
    assert_eq!(clicks.len(), CLICK_COUNT, "unique click ids");
    assert!(
        plan.clicks[0].at < now - Duration::days(TRAFFIC_DAYS - 2),
        "60 days"
    );
    for click in &plan.clicks {
        assert!(start <= click.at && click.at <= now, "{}", click.click_id);
        assert!(click.at >= link_start(&cal, &LINKS[click.link]));
    }

    // Orders: counted, unique, in the window, clicks before them and inside 30 days.
    let all: Vec<_> = plan.orders.all().collect();
    assert_eq!(all.len(), CONVERSION_COUNT);
    let ids: HashSet<&str> = all.iter().map(|o| o.external_id.as_str()).collect();
    assert_eq!(ids.len(), CONVERSION_COUNT, "unique external ids");
    let sales: Vec<_> = all.iter().filter(|o| o.kind == Kind::Sale).collect();
    assert_eq!(sales.len(), SALE_COUNT);
    assert_eq!(all.len() - sales.len(), LEAD_COUNT);
    let codes: HashSet<String> = LINKS.iter().filter_map(discount_code).collect();
    let mut by_customer: HashMap<&str, usize> = HashMap::new();
    let (mut with_click, mut with_code, mut with_neither) = (0, 0, 0);
    for order in &all {
        assert!(start <= order.occurred_at && order.occurred_at <= now);
        if let Some(id) = &order.click_id {
            let click = clicks.get(id.as_str()).expect("an earlier click");
            assert!(click.person);
            assert!(click.at <= order.occurred_at);
            assert!(order.occurred_at <= click.at + Duration::days(30));
            with_click += 1;
        }
        if let Some(code) = &order.discount_code {
            assert!(codes.contains(code), "{code}");
            with_code += 1;
        }
        with_neither += usize::from(order.click_id.is_none() && order.discount_code.is_none());
        if order.kind == Kind::Sale {
            let amount = order.amount.expect("a sale has an amount");
            assert!(amount.is_sign_positive() && amount.scale() == 2);
            *by_customer
                .entry(order.customer_key.as_deref().expect("customer"))
                .or_default() += 1;
        }
    }
    assert!(with_click > 0 && with_code > 0 && with_neither > 0);
    assert!(by_customer.values().any(|n| *n >= 2), "repeat customers");
    assert!(by_customer.values().all(|n| *n <= 4));
    let eur: Vec<_> = sales
        .iter()
        .filter(|o| o.currency.is_some_and(|c| c.code() == "EUR"))
        .collect();
    assert_eq!(eur.len(), EUR_SALE_COUNT);
    for order in eur {
        let day = order.occurred_at.with_timezone(&tz).date_naive();
        assert!(plan.eur_days.contains(&day), "EUR rate for {day}");
    }
    let own: Vec<_> = sales
        .iter()
        .filter(|o| o.customer_email.as_deref() == Some(SELF_REFERRAL_EMAIL))
        .collect();
    assert_eq!(own.len(), 1);
    let own_link = LINKS
        .iter()
        .find(|l| l.creator == SELF_REFERRER)
        .expect("link");
    assert_eq!(own[0].discount_code, discount_code(own_link));
    assert_eq!(
        roster::ROSTER
            .iter()
            .find(|p| slug(p.name) == SELF_REFERRER)
            .and_then(|p| p.email),
        Some(SELF_REFERRAL_EMAIL)
    );

    // Refunds: ~8%, full and partial, never more than the order nor before it; the held
    // one's order comes after it.
    let orders = &plan.orders;
    assert_eq!(orders.refunds.len() + 1, REFUND_COUNT);
    assert_eq!(
        orders.held_refund.order_external_id,
        orders.late_order.external_id
    );
    assert!(
        !orders
            .conversions
            .iter()
            .any(|o| o.external_id == orders.late_order.external_id)
    );
    let (mut full, mut partial) = (0, 0);
    for refund in orders.refunds.iter().chain([&orders.held_refund]) {
        let order = all
            .iter()
            .find(|o| o.external_id == refund.order_external_id)
            .expect("its order");
        let amount = order.amount.expect("amount");
        assert!(refund.amount <= amount && refund.amount.is_sign_positive());
        assert!(order.occurred_at <= refund.occurred_at && refund.occurred_at <= now);
        assert_eq!(refund.currency, order.currency);
        if refund.amount == amount {
            full += 1;
        } else {
            partial += 1;
        }
    }
    assert!(full > 0 && partial > 0);
    let refund_ids: HashSet<_> = orders.refunds.iter().map(|r| &r.refund_id).collect();
    assert_eq!(refund_ids.len(), orders.refunds.len());
}
