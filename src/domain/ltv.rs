//! Customer lifetime value (DOMAIN.md `ltv(days)`): a customer is acquired by its first purchase
//! with the brand when that purchase is attributed and flagged new; its value is the revenue of
//! all its purchases (attributed or not, net of refunds) with `occurredAt < acquisition + days`.
//! A repeat customer made 2+ purchases (not fully refunded) in that window.

use chrono::{DateTime, Duration, Utc};

use super::metrics::{money_per, ratio};

/// One SALE of a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub occurred_at: DateTime<Utc>,
    /// Ties on `occurred_at` are broken by external id, as for new-customer detection.
    pub external_id: String,
    /// Brand-currency amount net of refunds.
    pub net_minor: i64,
    pub fully_refunded: bool,
    /// The attributed enrollment; `None`: unattributed.
    pub enrollment_id: Option<i64>,
    pub new_customer: bool,
}

/// What an acquired customer is worth over the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerValue {
    pub revenue_minor: i64,
    pub repeat: bool,
}

/// The customer's first purchase and its value, when that purchase acquired the customer
/// inside `[from, to)`; `None` otherwise. `purchases` may come in any order.
pub fn acquisition(
    purchases: &[Purchase],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    days: i64,
) -> Option<(&Purchase, CustomerValue)> {
    let first = purchases
        .iter()
        .min_by(|a, b| (a.occurred_at, &a.external_id).cmp(&(b.occurred_at, &b.external_id)))?;
    if !(first.enrollment_id.is_some()
        && first.new_customer
        && from <= first.occurred_at
        && first.occurred_at < to)
    {
        return None;
    }
    let end = first.occurred_at + Duration::days(days);
    let window = purchases.iter().filter(|p| p.occurred_at < end);
    let (mut revenue_minor, mut counted) = (0, 0);
    for purchase in window {
        revenue_minor += purchase.net_minor;
        counted += usize::from(!purchase.fully_refunded);
    }
    Some((
        first,
        CustomerValue {
            revenue_minor,
            repeat: counted >= 2,
        },
    ))
}

/// The customers of a cohort (a report row or the totals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cohort {
    pub customers: i64,
    pub repeat_customers: i64,
    pub revenue_minor: i64,
}

impl Cohort {
    pub fn add(&mut self, value: &CustomerValue) {
        self.customers += 1;
        self.repeat_customers += i64::from(value.repeat);
        self.revenue_minor += value.revenue_minor;
    }

    /// revenue / customers, rounded half to even.
    pub fn ltv_minor(&self) -> Option<i64> {
        money_per(self.revenue_minor, self.customers)
    }

    pub fn repeat_rate(&self) -> Option<f64> {
        ratio(self.repeat_customers, self.customers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + day * 86_400, 0).unwrap()
    }

    fn purchase(day: i64, id: &str, net: i64, attributed: bool, new: bool) -> Purchase {
        Purchase {
            occurred_at: at(day),
            external_id: id.into(),
            net_minor: net,
            fully_refunded: net == 0,
            enrollment_id: attributed.then_some(1),
            new_customer: new,
        }
    }

    #[test]
    fn a_customer_is_worth_its_purchases_inside_the_window() {
        // Acquired on day 1 ($50, attributed, new); buys again on day 10 ($30, unattributed) and
        // day 40 ($70): with 30 days, revenue is $80 and the customer repeats.
        let purchases = [
            purchase(40, "o-3", 7_000, false, false),
            purchase(1, "o-1", 5_000, true, true),
            purchase(10, "o-2", 3_000, false, false),
        ];
        let (first, value) = acquisition(&purchases, at(0), at(5), 30).unwrap();
        assert_eq!(first.external_id, "o-1");
        assert_eq!(
            value,
            CustomerValue {
                revenue_minor: 8_000,
                repeat: true
            }
        );
        let (_, longer) = acquisition(&purchases, at(0), at(5), 60).unwrap();
        assert_eq!(longer.revenue_minor, 15_000);
    }

    #[test]
    fn only_an_attributed_new_first_purchase_in_range_acquires() {
        let unattributed_first = [
            purchase(1, "a", 5_000, false, true),
            purchase(2, "b", 5_000, true, true),
        ];
        assert!(acquisition(&unattributed_first, at(0), at(5), 30).is_none());
        let not_new = [purchase(1, "a", 5_000, true, false)];
        assert!(acquisition(&not_new, at(0), at(5), 30).is_none());
        let before_range = [
            purchase(1, "a", 5_000, true, true),
            purchase(3, "b", 1, true, true),
        ];
        assert!(acquisition(&before_range, at(2), at(5), 30).is_none());
        // Same instant: the lower external id is first.
        let tie = [
            purchase(1, "b", 100, false, true),
            purchase(1, "a", 200, true, true),
        ];
        assert_eq!(
            acquisition(&tie, at(0), at(5), 30).unwrap().0.external_id,
            "a"
        );
    }

    #[test]
    fn a_fully_refunded_purchase_is_no_repeat() {
        let purchases = [
            purchase(1, "a", 5_000, true, true),
            purchase(2, "b", 0, false, false),
        ];
        let (_, value) = acquisition(&purchases, at(0), at(5), 30).unwrap();
        assert_eq!(
            value,
            CustomerValue {
                revenue_minor: 5_000,
                repeat: false
            }
        );
    }

    #[test]
    fn cohorts_average_and_share() {
        let mut cohort = Cohort::default();
        assert_eq!(cohort.ltv_minor(), None);
        assert_eq!(cohort.repeat_rate(), None);
        cohort.add(&CustomerValue {
            revenue_minor: 10_000,
            repeat: true,
        });
        cohort.add(&CustomerValue {
            revenue_minor: 5_001,
            repeat: false,
        });
        cohort.add(&CustomerValue {
            revenue_minor: 0,
            repeat: false,
        });
        assert_eq!(cohort.ltv_minor(), Some(5_000)); // 150.01 / 3 = 50.0033..
        assert_eq!(cohort.repeat_rate(), Some(1.0 / 3.0));
    }
}
