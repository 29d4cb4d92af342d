//! Conversions: kinds, status from refunds, and the brand-currency view of refunds.

use super::stored_enum;

stored_enum! {
    pub enum Kind {
        Sale => "SALE",
        Lead => "LEAD",
    }
}

stored_enum! {
    /// RECORDED until refunded; PARTIALLY_REFUNDED; REFUNDED when refunds reach the amount.
    pub enum Status {
        Recorded => "RECORDED",
        PartiallyRefunded => "PARTIALLY_REFUNDED",
        Refunded => "REFUNDED",
    }
}

pub const MAX_BATCH: usize = 500;

/// The status implied by the refunded total.
pub fn status_for(amount_minor: i64, refunded_minor: i64) -> Status {
    if refunded_minor <= 0 {
        Status::Recorded
    } else if refunded_minor >= amount_minor {
        Status::Refunded
    } else {
        Status::PartiallyRefunded
    }
}

/// Refunds are capped at the order's amount, so that late, held refunds can never make an order
/// negative.
pub fn capped_refund_total(amount_minor: i64, refunds: impl IntoIterator<Item = i64>) -> i64 {
    refunds
        .into_iter()
        .sum::<i64>()
        .clamp(0, amount_minor.max(0))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn status_follows_refunds() {
        assert_eq!(status_for(1000, 0), Status::Recorded);
        assert_eq!(status_for(1000, 1), Status::PartiallyRefunded);
        assert_eq!(status_for(1000, 1000), Status::Refunded);
        assert_eq!(status_for(0, 0), Status::Recorded);
    }

    proptest! {
        #[test]
        fn the_refund_total_does_not_depend_on_order(amount in 0i64..100_000, mut refunds in proptest::collection::vec(0i64..50_000, 0..6)) {
            let forward = capped_refund_total(amount, refunds.clone());
            refunds.reverse();
            prop_assert_eq!(forward, capped_refund_total(amount, refunds));
            prop_assert!(forward <= amount);
        }
    }
}
