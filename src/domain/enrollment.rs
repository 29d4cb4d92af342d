//! Enrollments: a creator in a campaign under an offer.

use super::stored_enum;

stored_enum! {
    pub enum EnrollmentStatus {
        Invited => "INVITED",
        Active => "ACTIVE",
        Paused => "PAUSED",
        Removed => "REMOVED",
    }
}

/// INVITED -> ACTIVE <-> PAUSED; anything -> REMOVED, which is final (enroll again instead).
pub fn status_transition_allowed(from: EnrollmentStatus, to: EnrollmentStatus) -> bool {
    use EnrollmentStatus::*;
    if from == to {
        return true;
    }
    matches!(
        (from, to),
        (Invited, Active)
            | (Active, Paused)
            | (Paused, Active)
            | (Invited | Active | Paused, Removed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnrollmentStatus::*;

    #[test]
    fn lifecycle() {
        assert!(status_transition_allowed(Invited, Active));
        assert!(status_transition_allowed(Active, Paused));
        assert!(status_transition_allowed(Paused, Active));
        assert!(status_transition_allowed(Paused, Removed));
        assert!(!status_transition_allowed(Removed, Active));
        assert!(!status_transition_allowed(Invited, Paused));
        assert!(!status_transition_allowed(Active, Invited));
    }
}
