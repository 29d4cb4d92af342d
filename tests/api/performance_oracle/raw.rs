//! The brand's raw rows, read with SeaORM and reduced to events: each with its time, its
//! dimensions and what it adds to the metrics.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use partnergraph::db::entity::{
    brand, campaign, channel, click, commission, conversion, cost, creator, deliverable, enrollment,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// The dimensions an event falls under (`None`: it has none, e.g. a campaign-level cost's
/// creator).
#[derive(Clone, Debug, Default)]
pub struct Dims {
    pub campaign: Option<i64>,
    pub creator: Option<i64>,
    pub offer: Option<i64>,
    pub platform: Option<String>,
}

/// What one raw row adds to the metrics.
#[derive(Clone, Debug)]
pub enum Fact {
    /// A non-bot click by a visitor.
    Click(String),
    /// A published deliverable's impressions.
    Impressions(i64),
    /// An attributed sale: its net brand amount, whether it still counts as a sale (not fully
    /// refunded) and its new-customer flag.
    Sale {
        net_minor: i64,
        counted: bool,
        new_customer: bool,
    },
    /// An attributed lead.
    Lead,
    /// A commission line (any kind, status or sign).
    Commission(i64),
    /// Another cost, in the brand currency.
    Cost(i64),
}

#[derive(Clone, Debug)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub dims: Dims,
    pub fact: Fact,
}

/// The brand's rows, reduced to events, and what labels and ratios need.
pub struct Raw {
    pub timezone: Tz,
    pub gross_margin: f64,
    pub currency: String,
    pub events: Vec<Event>,
    pub campaign_names: HashMap<i64, String>,
    pub creator_names: HashMap<i64, String>,
    /// Raw figures the data set is checked against (it must exercise every rule).
    pub census: BTreeMap<String, usize>,
}

/// A creator's primary platform: its channel with the most followers, ties to the lowest
/// channel id; none without a channel.
pub fn primary_platforms(channels: &[channel::Model]) -> HashMap<i64, String> {
    let mut best: HashMap<i64, &channel::Model> = HashMap::new();
    for c in channels {
        match best.get(&c.creator_id) {
            Some(top) if top.followers > c.followers => {}
            Some(top) if top.followers == c.followers && top.id < c.id => {}
            _ => {
                best.insert(c.creator_id, c);
            }
        }
    }
    best.into_iter()
        .map(|(creator, c)| (creator, c.platform.clone()))
        .collect()
}

/// Every row of an entity that belongs to the brand.
async fn rows<E: EntityTrait>(
    db: &DatabaseConnection,
    brand_column: E::Column,
    brand_id: i64,
) -> Vec<E::Model> {
    E::find()
        .filter(brand_column.eq(brand_id))
        .all(db)
        .await
        .expect("load rows")
}

impl Raw {
    pub async fn load(db: &DatabaseConnection, brand_id: i64) -> Self {
        let brand = brand::Entity::find_by_id(brand_id)
            .one(db)
            .await
            .expect("load brand")
            .expect("the brand");
        let campaigns = rows::<campaign::Entity>(db, campaign::Column::BrandId, brand_id).await;
        let creators = rows::<creator::Entity>(db, creator::Column::BrandId, brand_id).await;
        let channels = rows::<channel::Entity>(db, channel::Column::BrandId, brand_id).await;
        let enrollments =
            rows::<enrollment::Entity>(db, enrollment::Column::BrandId, brand_id).await;
        let clicks = rows::<click::Entity>(db, click::Column::BrandId, brand_id).await;
        let conversions =
            rows::<conversion::Entity>(db, conversion::Column::BrandId, brand_id).await;
        let lines = rows::<commission::Entity>(db, commission::Column::BrandId, brand_id).await;
        let costs = rows::<cost::Entity>(db, cost::Column::BrandId, brand_id).await;
        let deliverables =
            rows::<deliverable::Entity>(db, deliverable::Column::BrandId, brand_id).await;

        let platforms = primary_platforms(&channels);
        for c in &creators {
            assert_eq!(
                c.primary_platform.as_ref(),
                platforms.get(&c.id),
                "{}: the stored primary platform agrees with the channels",
                c.display_name
            );
        }
        let by_enrollment: HashMap<i64, Dims> = enrollments
            .iter()
            .map(|e| {
                let dims = Dims {
                    campaign: Some(e.campaign_id),
                    creator: Some(e.creator_id),
                    offer: Some(e.offer_id),
                    platform: platforms.get(&e.creator_id).cloned(),
                };
                (e.id, dims)
            })
            .collect();
        let of = |enrollment: Option<i64>| -> Dims {
            enrollment
                .map(|id| by_enrollment.get(&id).cloned().expect("a known enrollment"))
                .unwrap_or_default()
        };

        let mut census: BTreeMap<String, usize> = BTreeMap::new();
        let mut count = |what: String| *census.entry(what).or_default() += 1;
        let mut events = Vec::new();
        for c in &clicks {
            count(format!("click bot={}", c.is_bot));
            if !c.is_bot {
                events.push(Event {
                    at: c.occurred_at,
                    dims: of(c.enrollment_id),
                    fact: Fact::Click(c.visitor_key.clone()),
                });
            }
        }
        for d in &deliverables {
            count(format!("deliverable {}", d.status));
            if d.status == "PUBLISHED" {
                let at = d.published_at.expect("a published deliverable has a date");
                events.push(Event {
                    at,
                    dims: of(Some(d.enrollment_id)),
                    fact: Fact::Impressions(d.impressions),
                });
            }
        }
        for c in &conversions {
            count(format!(
                "conversion {} {} {} {}",
                c.kind, c.attribution_method, c.status, c.currency_code
            ));
            if c.self_referral {
                count("conversion self-referral".into());
            }
            let Some(enrollment) = c.enrollment_id else {
                continue;
            };
            if c.offer_id != by_enrollment[&enrollment].offer {
                // The enrollment changed offer after the conversion: its offer now counts.
                count("conversion offer-switched".into());
            }
            let fact = match c.kind.as_str() {
                "SALE" => Fact::Sale {
                    net_minor: c.brand_amount_minor - c.refunded_brand_minor,
                    counted: c.status != "REFUNDED",
                    new_customer: c.new_customer,
                },
                "LEAD" => Fact::Lead,
                other => panic!("unknown conversion kind {other}"),
            };
            events.push(Event {
                at: c.occurred_at,
                dims: of(c.enrollment_id),
                fact,
            });
        }
        for l in &lines {
            count(format!("commission {} {}", l.kind, l.status));
            assert_eq!(
                l.currency_code, brand.currency_code,
                "a line in the brand currency"
            );
            events.push(Event {
                at: l.occurred_at,
                dims: of(Some(l.enrollment_id)),
                fact: Fact::Commission(l.amount_minor),
            });
        }
        for c in &costs {
            count(format!(
                "cost {} creator={}",
                c.currency_code,
                c.creator_id.is_some()
            ));
            events.push(Event {
                at: c.incurred_at,
                dims: Dims {
                    campaign: Some(c.campaign_id),
                    creator: c.creator_id,
                    offer: None,
                    platform: c.creator_id.and_then(|id| platforms.get(&id).cloned()),
                },
                fact: Fact::Cost(c.brand_amount_minor),
            });
        }
        Raw {
            timezone: brand.timezone.parse().expect("an IANA timezone"),
            gross_margin: brand.gross_margin.parse().expect("a decimal gross margin"),
            currency: brand.currency_code,
            events,
            campaign_names: campaigns.into_iter().map(|c| (c.id, c.name)).collect(),
            creator_names: creators
                .into_iter()
                .map(|c| (c.id, c.display_name))
                .collect(),
            census,
        }
    }

    /// Raw rows whose census entry has every word of `words` (e.g. "conversion SALE EUR").
    fn census(&self, words: &str) -> usize {
        self.census
            .iter()
            .filter(|(entry, _)| {
                let tokens: Vec<&str> = entry.split(' ').collect();
                words.split(' ').all(|w| tokens.contains(&w))
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// The generator did what it meant to: every rule the metrics depend on is exercised.
    pub fn assert_the_data_set_is_rich(&self) {
        let at_least = [
            ("click bot=false", 2_000),
            ("click bot=true", 50),
            ("conversion SALE CLICK", 250),
            ("conversion SALE CODE", 80),
            ("conversion SALE NONE", 40),
            ("conversion LEAD CLICK", 30),
            ("conversion SALE REFUNDED", 20),
            ("conversion SALE PARTIALLY_REFUNDED", 10),
            ("conversion SALE EUR", 40),
            ("conversion SALE GBP", 20),
            ("conversion SALE USD", 200),
            ("conversion self-referral", 5),
            ("conversion offer-switched", 5),
            ("commission CPA", 10),
            ("commission CPL", 5),
            ("commission REVENUE_SHARE", 50),
            ("commission FLAT_FEE", 2),
            ("commission REVERSAL", 10),
            ("commission BONUS", 1),
            ("commission ADJUSTMENT", 1),
            ("cost EUR", 2),
            ("cost GBP", 1),
            ("cost creator=false", 3),
            ("deliverable PUBLISHED", 7),
            ("deliverable PLANNED", 1),
            ("deliverable APPROVED", 1),
        ];
        for (words, least) in at_least {
            let n = self.census(words);
            assert!(n >= least, "{words}: {n} < {least}\n{:#?}", self.census);
        }
        // CPC days are accrued only for clicks less than 366 days older than the enrollment,
        // which is created when the test runs: from November 2027 on there are none.
        if Utc::now() < super::ranges().main.0 + chrono::Duration::days(360) {
            let n = self.census("commission CPC");
            assert!(n >= 20, "CPC lines: {n}\n{:#?}", self.census);
        }
        assert!(
            self.events.iter().any(|e| matches!(
                e.fact,
                Fact::Sale {
                    new_customer: true,
                    ..
                }
            )),
            "new customers"
        );
        assert!(
            self.events.iter().any(|e| matches!(
                e.fact,
                Fact::Sale {
                    new_customer: false,
                    ..
                }
            )),
            "returning customers"
        );
        assert!(
            self.events.iter().any(|e| e.dims.platform.is_none()),
            "an event without a platform"
        );
    }
}
