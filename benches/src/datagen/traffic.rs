//! Clicks, generated a day at a time in time order and written as they are made, and the orders
//! they lead to (kept in memory: a conversion needs its click's id and time).

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::{DatabaseConnection, DbErr};

use super::bulk::Bulk;
use super::plan::{Selector, Weighted, click_id, split_exact, visitor_key};
use super::world::World;

/// Days of traffic, ending now.
pub const DAYS: i64 = 120;
const REFERRERS: [&str; 6] = [
    "www.instagram.com",
    "www.tiktok.com",
    "www.youtube.com",
    "t.co",
    "open.spotify.com",
    "l.facebook.com",
];
const COUNTRIES: [&str; 6] = ["US", "US", "US", "GB", "CA", "DE"];

/// An order before attribution: what an integrator would send.
#[derive(Clone, Debug)]
pub struct Order {
    pub external_id: String,
    pub occurred_at: DateTime<Utc>,
    /// The click id and the click (time, enrollment index) it names.
    pub click: Option<(String, DateTime<Utc>, usize)>,
    /// A discount code index.
    pub code: Option<usize>,
    pub amount_minor: i64,
    pub customer_key: String,
    pub customer_email: Option<String>,
    pub region: String,
}

/// Customers: new ones and returning ones, 2 to 4 orders each on average.
pub struct Customers {
    seed: u64,
    next: u64,
}

impl Customers {
    fn pick(&mut self, rng: &mut StdRng) -> (String, Option<String>) {
        let id = if self.next > 0 && rng.random_bool(0.45) {
            rng.random_range(0..self.next)
        } else {
            self.next += 1;
            self.next - 1
        };
        let email = (id % 3 == 0).then(|| format!("buyer{id}.s{}@mail.example", self.seed));
        (format!("cust-{}-{id}", self.seed), email)
    }
}

pub struct OrderMaker {
    seed: u64,
    next: u64,
    customers: Customers,
}

impl OrderMaker {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            next: 0,
            customers: Customers { seed, next: 0 },
        }
    }

    pub fn make(
        &mut self,
        rng: &mut StdRng,
        world: &World,
        occurred_at: DateTime<Utc>,
        click: Option<(String, DateTime<Utc>, usize)>,
        code: Option<usize>,
    ) -> Order {
        let (customer_key, mut customer_email) = self.customers.pick(rng);
        // Now and then a creator buys through its own link or code (a self-referral).
        let own = click
            .as_ref()
            .map(|c| c.2)
            .or(code.map(|c| world.codes[c].enrollment));
        if let Some(e) = own
            && rng.random_bool(0.003)
        {
            customer_email = Some(world.creators[world.enrollments[e].creator].email.clone());
        }
        let cents = (rng.random::<f64>().powi(2) * 28_000.0) as i64 + 1_500;
        self.next += 1;
        Order {
            external_id: format!("o{}-{:08}", self.seed, self.next),
            occurred_at,
            click,
            code,
            amount_minor: cents,
            customer_key,
            customer_email,
            region: ["US-CA", "US-NY", "US-TX", "US-WA", "US-FL", "US-GA"][rng.random_range(0..6)]
                .to_owned(),
        }
    }
}

/// Clicks of a day are spread by this weight: busier weekends, a growing program.
fn day_weight(day: i64, start: DateTime<Utc>) -> f64 {
    let date = (start + Duration::days(day)).weekday();
    let weekend = matches!(date, Weekday::Sat | Weekday::Sun);
    (1.0 + day as f64 / DAYS as f64 * 0.5) * if weekend { 1.25 } else { 1.0 }
}

pub struct Generated {
    pub clicks: u64,
    pub orders: Vec<Order>,
}

/// Generates and writes `n_clicks` clicks over the last [`DAYS`] days, and `n_orders` orders:
/// 72% after a click (a few also with a code, a few outside the attribution window), 18% with a
/// discount code only, the rest with neither.
#[allow(clippy::too_many_arguments)]
pub async fn generate_and_insert(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    seed: u64,
    now: DateTime<Utc>,
    brand_id: i64,
    world: &World,
    n_clicks: u64,
    n_orders: u64,
) -> Result<Generated, DbErr> {
    let start = now - Duration::days(DAYS);
    let per_day = split_exact(
        n_clicks,
        &(0..DAYS).map(|d| day_weight(d, start)).collect::<Vec<_>>(),
    );
    // Link popularity: a long tail.
    let links = Weighted::new((0..world.links.len()).map(|l| 1.0 / ((l % 997) as f64 + 3.0)));
    let by_click = (n_orders as f64 * 0.72).round() as u64;
    let by_code = if world.codes.is_empty() {
        0
    } else {
        (n_orders as f64 * 0.18).round() as u64
    };
    let mut picker = Selector::new(by_click, n_clicks);
    let mut maker = OrderMaker::new(seed);
    let mut orders = Vec::with_capacity(n_orders as usize);
    let mut clicks = Bulk::new(
        db,
        "clicks",
        &[
            "brand_id",
            "link_id",
            "enrollment_id",
            "click_id",
            "occurred_at",
            "visitor_key",
            "user_agent_class",
            "referrer_host",
            "country",
            "is_bot",
            "source",
            "created_at",
        ],
    );
    let mut index = 0u64;
    let mut next_visitor = 0u64;
    for (day, &count) in per_day.iter().enumerate() {
        let day_start = start + Duration::days(day as i64);
        let mut times: Vec<i64> = (0..count)
            .map(|_| rng.random_range(0..86_400_000i64))
            .collect();
        times.sort_unstable();
        for ms in times {
            let at = (day_start + Duration::milliseconds(ms)).min(now - Duration::seconds(1));
            let l = links.sample(rng);
            let link = &world.links[l];
            let enrollment = &world.enrollments[link.enrollment];
            let bot = rng.random_bool(0.03);
            // Repeat visitors: a third come back (a small pool per link).
            let visitor = if rng.random_bool(0.33) {
                1u64 << 40 | (l as u64) << 8 | rng.random_range(0..256u64)
            } else {
                next_visitor += 1;
                next_visitor
            };
            let id = click_id(seed, index);
            index += 1;
            let class = if bot {
                "bot"
            } else {
                ["mobile", "mobile", "mobile", "desktop", "desktop", "tablet"]
                    [rng.random_range(0..6)]
            };
            let referrer = (!bot && rng.random_bool(0.8))
                .then(|| REFERRERS[rng.random_range(0..REFERRERS.len())].to_owned());
            clicks
                .push(vec![
                    brand_id.into(),
                    link.id.into(),
                    Some(enrollment.id).into(),
                    id.clone().into(),
                    at.into(),
                    visitor_key(seed, visitor).into(),
                    Some(class.to_owned()).into(),
                    referrer.into(),
                    Some(COUNTRIES[rng.random_range(0..COUNTRIES.len())].to_owned()).into(),
                    bot.into(),
                    "REDIRECT".into(),
                    at.into(),
                ])
                .await?;
            if picker.pick(rng) {
                let delay = if rng.random_bool(0.05) {
                    Duration::days(rng.random_range(31..45))
                } else {
                    Duration::seconds((rng.random::<f64>().powi(3) * 3.0 * 86_400.0) as i64 + 30)
                };
                let occurred_at = (at + delay).min(now - Duration::seconds(1));
                let code = (!world.codes.is_empty() && rng.random_bool(0.08))
                    .then(|| rng.random_range(0..world.codes.len()));
                orders.push(maker.make(
                    rng,
                    world,
                    occurred_at,
                    Some((id, at, link.enrollment)),
                    code,
                ));
            }
        }
    }
    let clicks = clicks.finish().await?;
    let by_click = orders.len() as u64;
    let span = (now - start).num_seconds();
    for i in 0..n_orders - by_click {
        let at = start + Duration::seconds(rng.random_range(0..span));
        let code = (i < by_code).then(|| rng.random_range(0..world.codes.len()));
        orders.push(maker.make(rng, world, at, None, code));
    }
    Ok(Generated { clicks, orders })
}
