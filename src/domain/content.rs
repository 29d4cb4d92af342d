//! Content deliverables and other costs.

use super::stored_enum;

stored_enum! {
    pub enum DeliverableFormat {
        Post => "POST",
        Story => "STORY",
        ShortVideo => "SHORT_VIDEO",
        Video => "VIDEO",
        Live => "LIVE",
        PodcastRead => "PODCAST_READ",
    }
}

stored_enum! {
    pub enum DeliverableStatus {
        Planned => "PLANNED",
        Submitted => "SUBMITTED",
        Approved => "APPROVED",
        Published => "PUBLISHED",
    }
}

stored_enum! {
    pub enum CostKind {
        ProductSeeding => "PRODUCT_SEEDING",
        Gifting => "GIFTING",
        PaidAmplification => "PAID_AMPLIFICATION",
        Agency => "AGENCY",
        Other => "OTHER",
    }
}

/// PLANNED -> SUBMITTED -> APPROVED -> PUBLISHED, one step at a time; SUBMITTED and APPROVED may
/// go back to PLANNED (changes requested). A brand may also publish directly from APPROVED only,
/// and PUBLISHED is final.
pub fn status_transition_allowed(from: DeliverableStatus, to: DeliverableStatus) -> bool {
    use DeliverableStatus::*;
    if from == to {
        return true;
    }
    matches!(
        (from, to),
        (Planned, Submitted)
            | (Submitted, Approved)
            | (Approved, Published)
            | (Submitted | Approved, Planned)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliverableStatus::*;

    #[test]
    fn content_moves_one_step_at_a_time() {
        assert!(status_transition_allowed(Planned, Submitted));
        assert!(status_transition_allowed(Submitted, Approved));
        assert!(status_transition_allowed(Approved, Published));
        assert!(status_transition_allowed(Submitted, Planned));
        assert!(!status_transition_allowed(Planned, Published));
        assert!(!status_transition_allowed(Published, Planned));
        assert!(!status_transition_allowed(Planned, Approved));
    }
}
