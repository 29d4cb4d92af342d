//! Offboarding and editing rules (issue #20): a brand always keeps an active ADMIN, a tracking
//! link is ACTIVE or PAUSED (archived is final), and what deleting a creator requires.

use chrono::{DateTime, Utc};

super::stored_enum! {
    /// Whether a tracking link redirects (ACTIVE) or answers a "paused" page (PAUSED).
    pub enum LinkState {
        Active => "ACTIVE",
        Paused => "PAUSED",
    }
}

impl LinkState {
    pub fn of(paused_at: Option<DateTime<Utc>>) -> Self {
        if paused_at.is_some() {
            Self::Paused
        } else {
            Self::Active
        }
    }
}

/// `paused_at` after asking for `requested` (`None`: leave the state alone) at `now`. Pausing a
/// paused link keeps when it was paused. An archived link is final: `Err` with the reason.
pub fn paused_at_after(
    archived: bool,
    paused_at: Option<DateTime<Utc>>,
    requested: Option<LinkState>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, &'static str> {
    if archived {
        return Err("an archived link cannot be changed; create a new link");
    }
    Ok(match requested {
        None => paused_at,
        Some(LinkState::Active) => None,
        Some(LinkState::Paused) => Some(paused_at.unwrap_or(now)),
    })
}

/// A staff account as the last-admin rule sees it: whether it holds the ADMIN role while active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminSeat {
    pub is_admin: bool,
    pub active: bool,
}

impl AdminSeat {
    fn counts(self) -> bool {
        self.is_admin && self.active
    }
}

/// Whether changing one account from `before` to `after` leaves its brand with an active ADMIN,
/// given how many *other* active ADMINs it has. `Err` with the reason when it would not.
pub fn ensure_admin_remains(
    before: AdminSeat,
    after: AdminSeat,
    other_active_admins: u64,
) -> Result<(), &'static str> {
    if before.counts() && !after.counts() && other_active_admins == 0 {
        return Err(
            "the brand's last active ADMIN cannot be demoted or deactivated; \
                    make another user ADMIN first",
        );
    }
    Ok(())
}

/// Whether a creator record may be deleted outright: only while nothing of the ledger (commission
/// lines, payouts) or of tracked activity (clicks, attributed conversions, which the reports'
/// rollups have already counted) points at it. `Err` with what to do instead.
pub fn ensure_deletable_creator(has_ledger_lines: bool, has_activity: bool) -> Result<(), String> {
    if has_ledger_lines || has_activity {
        let what = if has_ledger_lines {
            "commission or payout lines"
        } else {
            "tracked clicks or conversions"
        };
        return Err(format!(
            "this creator has {what} and cannot be deleted; erase the creator instead \
             (personal data removed, the ledger kept)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn link_state_transitions() {
        assert_eq!(LinkState::of(None), LinkState::Active);
        assert_eq!(LinkState::of(Some(at(0))), LinkState::Paused);
        // Pause, pause again (keeps the first time), resume, leave alone.
        assert_eq!(
            paused_at_after(false, None, Some(LinkState::Paused), at(5)),
            Ok(Some(at(5)))
        );
        assert_eq!(
            paused_at_after(false, Some(at(1)), Some(LinkState::Paused), at(5)),
            Ok(Some(at(1)))
        );
        assert_eq!(
            paused_at_after(false, Some(at(1)), Some(LinkState::Active), at(5)),
            Ok(None)
        );
        assert_eq!(
            paused_at_after(false, Some(at(1)), None, at(5)),
            Ok(Some(at(1)))
        );
        assert_eq!(paused_at_after(false, None, None, at(5)), Ok(None));
        for requested in [None, Some(LinkState::Active), Some(LinkState::Paused)] {
            assert!(paused_at_after(true, None, requested, at(5)).is_err());
        }
    }

    #[test]
    fn link_states_are_stored_by_name() {
        for state in LinkState::ALL {
            assert_eq!(LinkState::parse(state.as_str()), Some(*state));
        }
    }

    const ADMIN: AdminSeat = AdminSeat {
        is_admin: true,
        active: true,
    };
    const DEMOTED: AdminSeat = AdminSeat {
        is_admin: false,
        active: true,
    };
    const DEACTIVATED_ADMIN: AdminSeat = AdminSeat {
        is_admin: true,
        active: false,
    };

    #[test]
    fn the_last_active_admin_stays() {
        assert!(ensure_admin_remains(ADMIN, DEMOTED, 0).is_err());
        assert!(ensure_admin_remains(ADMIN, DEACTIVATED_ADMIN, 0).is_err());
        assert!(ensure_admin_remains(ADMIN, DEMOTED, 1).is_ok());
        assert!(ensure_admin_remains(ADMIN, DEACTIVATED_ADMIN, 1).is_ok());
        assert!(ensure_admin_remains(ADMIN, ADMIN, 0).is_ok());
    }

    #[test]
    fn changes_that_do_not_remove_an_active_admin_are_free() {
        // A manager becoming analyst, a deactivated admin demoted, an admin reactivated.
        assert!(ensure_admin_remains(DEMOTED, DEMOTED, 0).is_ok());
        assert!(ensure_admin_remains(DEACTIVATED_ADMIN, DEMOTED, 0).is_ok());
        assert!(ensure_admin_remains(DEACTIVATED_ADMIN, ADMIN, 0).is_ok());
        assert!(ensure_admin_remains(DEMOTED, ADMIN, 0).is_ok());
    }

    #[test]
    fn creators_with_ledger_lines_or_activity_are_erased_not_deleted() {
        assert!(ensure_deletable_creator(false, false).is_ok());
        for (ledger, activity) in [(true, false), (false, true), (true, true)] {
            let err = ensure_deletable_creator(ledger, activity).unwrap_err();
            assert!(err.contains("erase"), "{err}");
        }
    }
}
