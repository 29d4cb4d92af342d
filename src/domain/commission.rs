//! Commission ledger lines: kinds, statuses, how a due line is reported, and the engine that
//! computes lines as pure functions of (offer terms, conversion, month to date):
//!
//! - `terms`: an offer with an enrollment's overrides applied, and the rate its tiers set;
//! - `lines`: the lines a conversion, an activation (flat fee) or a day of clicks earns, with
//!   the monthly cap;
//! - `refund`: the REVERSAL a refund owes.

use chrono::{DateTime, Utc};

use super::stored_enum;

mod lines;
mod refund;
mod terms;

pub use lines::{
    ConversionFacts, Line, MonthToDate, cpc_line, flat_fee_line, lines_for_conversion,
    month_matters, revenue_share_of,
};
pub use refund::{clawback_limit, refund_is_locked, reversal_for_refund, within_net};
pub use terms::{Terms, effective_terms};

stored_enum! {
    pub enum Kind {
        Cpa => "CPA",
        Cpl => "CPL",
        Cpc => "CPC",
        RevenueShare => "REVENUE_SHARE",
        FlatFee => "FLAT_FEE",
        Bonus => "BONUS",
        Adjustment => "ADJUSTMENT",
        Reversal => "REVERSAL",
        Clawback => "CLAWBACK",
    }
}

stored_enum! {
    /// ON_HOLD: a fraud flag on the line's conversion is open (DOMAIN rule 8); never paid until
    /// staff APPROVE (back to PENDING) or REJECT (REVERSED).
    pub enum Status {
        Pending => "PENDING",
        Approved => "APPROVED",
        Paid => "PAID",
        Reversed => "REVERSED",
        OnHold => "ON_HOLD",
    }
}

/// A stored status as of `now`: a PENDING line whose hold has ended is APPROVED, whether or not a
/// background task has run.
pub fn effective_status(stored: Status, hold_until: DateTime<Utc>, now: DateTime<Utc>) -> Status {
    match stored {
        Status::Pending if hold_until <= now => Status::Approved,
        other => other,
    }
}

/// The status of a conversion's lines taken together: REVERSED when all are; ON_HOLD while any
/// is (under fraud review); PENDING while any is; PAID when all (not reversed) are; APPROVED
/// otherwise.
pub fn summary_status(statuses: &[Status]) -> Option<Status> {
    if statuses.is_empty() {
        return None;
    }
    let live: Vec<Status> = statuses
        .iter()
        .copied()
        .filter(|s| *s != Status::Reversed)
        .collect();
    Some(if live.is_empty() {
        Status::Reversed
    } else if live.contains(&Status::OnHold) {
        Status::OnHold
    } else if live.contains(&Status::Pending) {
        Status::Pending
    } else if live.iter().all(|s| *s == Status::Paid) {
        Status::Paid
    } else {
        Status::Approved
    })
}

/// A creator's money by effective status. REVERSED lines are left out: they belong to a
/// conversion whose lines net to zero. ON_HOLD lines (under fraud review) count as pending:
/// not payable yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balances {
    pub pending_minor: i64,
    pub approved_minor: i64,
    pub paid_minor: i64,
}

impl Balances {
    /// Adds `amount` of a line stored as `status` with `hold_until`, as of `now`.
    pub fn add(
        &mut self,
        status: Status,
        hold_until: DateTime<Utc>,
        amount: i64,
        now: DateTime<Utc>,
    ) {
        match effective_status(status, hold_until, now) {
            Status::Pending | Status::OnHold => self.pending_minor += amount,
            Status::Approved => self.approved_minor += amount,
            Status::Paid => self.paid_minor += amount,
            Status::Reversed => {}
        }
    }

    pub fn total(&self) -> i64 {
        self.pending_minor + self.approved_minor + self.paid_minor
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn due_lines_are_never_reported_pending() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(
            effective_status(Status::Pending, now, now),
            Status::Approved
        );
        assert_eq!(
            effective_status(Status::Pending, now + Duration::seconds(1), now),
            Status::Pending
        );
        assert_eq!(
            effective_status(Status::Paid, now - Duration::days(1), now),
            Status::Paid
        );
    }

    proptest::proptest! {
        #[test]
        fn balances_add_up_to_the_lines_that_are_not_reversed(
            lines in proptest::collection::vec((0usize..4, -3i64..3, -50_000i64..50_000), 0..40)
        ) {
            let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
            let statuses = [Status::Pending, Status::Approved, Status::Paid, Status::Reversed];
            let mut balances = Balances::default();
            let mut expected = 0;
            for (status, hold_days, amount) in lines {
                let status = statuses[status];
                balances.add(status, now + Duration::days(hold_days), amount, now);
                if status != Status::Reversed {
                    expected += amount;
                }
            }
            proptest::prop_assert_eq!(balances.total(), expected);
        }
    }

    #[test]
    fn summaries() {
        use Status::*;
        assert_eq!(summary_status(&[]), None);
        assert_eq!(summary_status(&[Reversed, Reversed]), Some(Reversed));
        assert_eq!(summary_status(&[Approved, Pending]), Some(Pending));
        assert_eq!(summary_status(&[Paid, Reversed]), Some(Paid));
        assert_eq!(summary_status(&[Paid, Approved]), Some(Approved));
    }
}

crate::domain::stored_enum! {
    /// PENDING until paid; PAID; FAILED or CANCELED release their lines.
    pub enum PayoutStatus {
        Pending => "PENDING",
        Paid => "PAID",
        Failed => "FAILED",
        Canceled => "CANCELED",
    }
}
