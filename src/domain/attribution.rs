//! Attribution (DOMAIN.md rule 2): which enrollment, if any, a conversion is credited to.

use chrono::{DateTime, Duration, SubsecRound, Timelike, Utc};

use super::brand::CodePrecedence;
use super::campaign::{CampaignStatus, Schedule, schedule_covers};
use super::enrollment::EnrollmentStatus;
use super::stored_enum;

stored_enum! {
    pub enum Method {
        Click => "CLICK",
        Code => "CODE",
        None => "NONE",
    }
}

/// What attribution needs to know about an enrollment a click or code points to, as of
/// ingestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentFacts {
    pub enrollment_id: i64,
    pub enrollment_status: EnrollmentStatus,
    pub campaign_status: CampaignStatus,
    pub schedule: Schedule,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// SHA-256 of the creator's normalized email, for self-referral.
    pub creator_email_hash: Option<String>,
}

impl EnrollmentFacts {
    /// The enrollment and its campaign are ACTIVE now and the schedule covers `at`.
    fn eligible_at(&self, at: DateTime<Utc>) -> bool {
        self.enrollment_status == EnrollmentStatus::Active
            && self.campaign_status == CampaignStatus::Active
            && schedule_covers(self.schedule, self.starts_at, self.ends_at, at)
    }
}

stored_enum! {
    /// Which click a conversion's click id leads to (DOMAIN rule 2): the click it names, or the
    /// latest / earliest eligible click of the named click's visitor, across creators.
    pub enum Model {
        ClickId => "CLICK_ID",
        LastClick => "LAST_CLICK",
        FirstClick => "FIRST_CLICK",
    }
}

#[derive(Clone, Debug)]
pub struct ClickCandidate {
    pub clicked_at: DateTime<Utc>,
    pub enrollment: EnrollmentFacts,
}

/// Whether `click` may credit a conversion at `occurred_at`: inside `[clickTime, clickTime +
/// window]` (the click time read at the precision of `occurred_at`), its enrollment and campaign
/// ACTIVE and its schedule covering `occurred_at`.
fn click_eligible(click: &ClickCandidate, occurred_at: DateTime<Utc>, window_days: i64) -> bool {
    let clicked_at = at_precision_of(click.clicked_at, occurred_at);
    clicked_at <= occurred_at
        && occurred_at <= clicked_at + Duration::days(window_days)
        && click.enrollment.eligible_at(occurred_at)
}

/// The click `model` credits: CLICK_ID, the `named` click; LAST_CLICK / FIRST_CLICK, the latest /
/// earliest eligible one of `named` and `visitor_clicks` (the named click's visitor's other
/// clicks of the brand, in the order they were recorded). A tie goes to the named click, else to
/// the latest recorded (LAST_CLICK) or the first (FIRST_CLICK). With no eligible click of the
/// visitor, none: a discount code may still attribute.
pub fn credited_click(
    model: Model,
    named: Option<ClickCandidate>,
    visitor_clicks: Vec<ClickCandidate>,
    occurred_at: DateTime<Utc>,
    window_days: i64,
) -> Option<ClickCandidate> {
    let named = named?;
    let eligible = |c: &ClickCandidate| click_eligible(c, occurred_at, window_days);
    match model {
        Model::ClickId => Some(named),
        Model::LastClick => visitor_clicks
            .into_iter()
            .chain(std::iter::once(named))
            .filter(eligible)
            // `max_by_key` keeps the last of equal keys: the latest recorded of a tie.
            .max_by_key(|c| c.clicked_at),
        Model::FirstClick => std::iter::once(named)
            .chain(visitor_clicks)
            .filter(eligible)
            // `min_by_key` keeps the first of equal keys.
            .min_by_key(|c| c.clicked_at),
    }
}

#[derive(Clone, Debug)]
pub struct Input {
    pub occurred_at: DateTime<Utc>,
    pub window_days: i64,
    pub precedence: CodePrecedence,
    /// The click named by the conversion's click id (of this brand), if any.
    pub click: Option<ClickCandidate>,
    /// The enrollment of the conversion's discount code (of this brand), if any.
    pub code: Option<EnrollmentFacts>,
    pub customer_email_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub method: Method,
    pub enrollment_id: Option<i64>,
    /// The customer is the creator: attributed, but earns no commission.
    pub self_referral: bool,
}

/// `clicked_at` at the precision `occurred_at` was given in (whole seconds, milliseconds, ...):
/// click times keep sub-seconds, while an integrator often sends whole seconds, so an order
/// placed in the same second as its click would otherwise look earlier than the click.
fn at_precision_of(clicked_at: DateTime<Utc>, occurred_at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = occurred_at.nanosecond() % 1_000_000_000;
    let digits = (0..9u16)
        .find(|&d| nanos.is_multiple_of(10u32.pow(9 - u32::from(d))))
        .unwrap_or(9);
    clicked_at.trunc_subsecs(digits)
}

/// CLICK when the click is within `[clickTime, clickTime + window]` (the click time read at the
/// precision of `occurredAt`); CODE for a discount code;
/// candidates whose enrollment or campaign is not ACTIVE, or whose schedule does not cover
/// `occurredAt`, are dropped first; when both remain and point to different enrollments the
/// brand's precedence decides (for the same enrollment too, which only changes the method).
pub fn attribute(input: &Input) -> Outcome {
    let click = input
        .click
        .as_ref()
        .filter(|c| click_eligible(c, input.occurred_at, input.window_days))
        .map(|c| &c.enrollment);
    let code = input
        .code
        .as_ref()
        .filter(|e| e.eligible_at(input.occurred_at));
    let winner = match (click, code) {
        (Some(click), Some(code)) => match input.precedence {
            CodePrecedence::CodeWins => Some((Method::Code, code)),
            CodePrecedence::ClickWins => Some((Method::Click, click)),
        },
        (Some(click), None) => Some((Method::Click, click)),
        (None, Some(code)) => Some((Method::Code, code)),
        (None, None) => None,
    };
    match winner {
        Some((method, facts)) => Outcome {
            method,
            enrollment_id: Some(facts.enrollment_id),
            self_referral: matches!(
                (&input.customer_email_hash, &facts.creator_email_hash),
                (Some(customer), Some(creator)) if customer == creator
            ),
        },
        None => Outcome {
            method: Method::None,
            enrollment_id: None,
            self_referral: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    fn facts(id: i64) -> EnrollmentFacts {
        EnrollmentFacts {
            enrollment_id: id,
            enrollment_status: EnrollmentStatus::Active,
            campaign_status: CampaignStatus::Active,
            schedule: Schedule::AlwaysOn,
            starts_at: None,
            ends_at: None,
            creator_email_hash: Some("creator".into()),
        }
    }

    fn input(
        click: Option<(DateTime<Utc>, EnrollmentFacts)>,
        code: Option<EnrollmentFacts>,
    ) -> Input {
        Input {
            occurred_at: t(10, 12),
            window_days: 7,
            precedence: CodePrecedence::CodeWins,
            click: click.map(|(clicked_at, enrollment)| ClickCandidate {
                clicked_at,
                enrollment,
            }),
            code,
            customer_email_hash: Some("customer".into()),
        }
    }

    #[test]
    fn a_click_inside_the_window_attributes() {
        let out = attribute(&input(Some((t(3, 12), facts(1))), None));
        assert_eq!(
            out,
            Outcome {
                method: Method::Click,
                enrollment_id: Some(1),
                self_referral: false
            }
        );
        // Exactly at the window's end still counts; a second later does not.
        let edge = attribute(&input(Some((t(3, 12), facts(1))), None));
        assert_eq!(edge.method, Method::Click);
        let mut late = input(Some((t(3, 11), facts(1))), None);
        late.occurred_at = t(10, 12);
        assert_eq!(attribute(&late).method, Method::None);
    }

    #[test]
    fn a_click_after_the_conversion_does_not_count() {
        let out = attribute(&input(Some((t(10, 13), facts(1))), None));
        assert_eq!(out.method, Method::None);
    }

    #[test]
    fn a_click_is_compared_at_the_precision_the_conversion_was_sent_in() {
        let order = t(10, 12);
        // The click 0.4 s into the order's second: a whole-second order is not earlier.
        let click = order + Duration::milliseconds(400);
        let mut same_second = input(Some((click, facts(1))), None);
        same_second.occurred_at = order;
        assert_eq!(attribute(&same_second).method, Method::Click);
        // Sent in milliseconds, the order is 0.1 s before the click: not attributed.
        same_second.occurred_at = order + Duration::milliseconds(300);
        assert_eq!(attribute(&same_second).method, Method::None);
        // ... and 0.1 s after it: attributed.
        same_second.occurred_at = order + Duration::milliseconds(500);
        assert_eq!(attribute(&same_second).method, Method::Click);
        // A whole second earlier is still earlier.
        let mut earlier = input(Some((order + Duration::seconds(1), facts(1))), None);
        earlier.occurred_at = order;
        assert_eq!(attribute(&earlier).method, Method::None);
        assert_eq!(at_precision_of(click, order), order);
        let micros = order + Duration::microseconds(123_456);
        assert_eq!(
            at_precision_of(micros + Duration::nanoseconds(789), micros),
            micros
        );
    }

    #[test]
    fn codes_attribute_and_precedence_decides_between_enrollments() {
        assert_eq!(
            attribute(&input(None, Some(facts(2)))).enrollment_id,
            Some(2)
        );
        let both = input(Some((t(9, 0), facts(1))), Some(facts(2)));
        assert_eq!(
            attribute(&both),
            Outcome {
                method: Method::Code,
                enrollment_id: Some(2),
                self_referral: false
            }
        );
        let mut click_wins = both.clone();
        click_wins.precedence = CodePrecedence::ClickWins;
        assert_eq!(attribute(&click_wins).enrollment_id, Some(1));
    }

    #[test]
    fn ineligible_candidates_are_dropped_before_precedence() {
        let mut paused = facts(2);
        paused.enrollment_status = EnrollmentStatus::Paused;
        let out = attribute(&input(Some((t(9, 0), facts(1))), Some(paused)));
        assert_eq!(
            out.enrollment_id,
            Some(1),
            "the paused code's enrollment is dropped"
        );

        let mut not_running = facts(1);
        not_running.schedule = Schedule::Flight;
        not_running.starts_at = Some(t(1, 0));
        not_running.ends_at = Some(t(10, 12));
        assert_eq!(
            attribute(&input(None, Some(not_running))).method,
            Method::None,
            "ends_at is exclusive"
        );

        let mut campaign_paused = facts(1);
        campaign_paused.campaign_status = CampaignStatus::Paused;
        assert_eq!(
            attribute(&input(None, Some(campaign_paused))).method,
            Method::None
        );
    }

    #[test]
    fn the_creator_buying_through_its_own_link_is_a_self_referral() {
        let mut own = input(None, Some(facts(3)));
        own.customer_email_hash = Some("creator".into());
        let out = attribute(&own);
        assert_eq!(out.enrollment_id, Some(3));
        assert!(out.self_referral);
    }

    fn click(day: u32, hour: u32, enrollment: i64) -> ClickCandidate {
        ClickCandidate {
            clicked_at: t(day, hour),
            enrollment: facts(enrollment),
        }
    }

    fn credited(model: Model, named: ClickCandidate, others: Vec<ClickCandidate>) -> Option<i64> {
        credited_click(model, Some(named), others, t(10, 12), 7).map(|c| c.enrollment.enrollment_id)
    }

    #[test]
    fn the_model_picks_the_named_the_latest_or_the_earliest_eligible_click() {
        // The visitor clicked creator 1 (day 4), creator 2 (day 6, named) and creator 3 (day 9).
        let visitor = || vec![click(4, 0, 1), click(9, 0, 3)];
        assert_eq!(credited(Model::ClickId, click(6, 0, 2), visitor()), Some(2));
        assert_eq!(
            credited(Model::LastClick, click(6, 0, 2), visitor()),
            Some(3)
        );
        assert_eq!(
            credited(Model::FirstClick, click(6, 0, 2), visitor()),
            Some(1)
        );
        // Outside the window (day 2 is more than 7 days before day 10, 12:00) or after the
        // conversion: never credited.
        let stale_and_late = || vec![click(2, 0, 1), click(10, 13, 3)];
        assert_eq!(
            credited(Model::LastClick, click(6, 0, 2), stale_and_late()),
            Some(2)
        );
        assert_eq!(
            credited(Model::FirstClick, click(6, 0, 2), stale_and_late()),
            Some(2)
        );
        // An ineligible click (paused enrollment) is passed over, the named one included.
        let mut paused = click(9, 0, 3);
        paused.enrollment.enrollment_status = EnrollmentStatus::Paused;
        assert_eq!(
            credited(Model::LastClick, click(6, 0, 2), vec![paused.clone()]),
            Some(2)
        );
        let mut named_paused = click(6, 0, 2);
        named_paused.enrollment.enrollment_status = EnrollmentStatus::Paused;
        assert_eq!(
            credited(Model::LastClick, named_paused.clone(), vec![click(4, 0, 1)]),
            Some(1)
        );
        assert_eq!(credited(Model::LastClick, named_paused, vec![paused]), None);
        // No named click: nothing, whatever the model.
        assert!(
            credited_click(Model::LastClick, None, vec![click(9, 0, 3)], t(10, 12), 7).is_none()
        );
    }

    #[test]
    fn ties_go_to_the_latest_recorded_for_last_click_and_the_first_for_first_click() {
        let named = click(6, 0, 2);
        let same_time = vec![click(6, 0, 5)];
        assert_eq!(
            credited(Model::LastClick, named.clone(), same_time.clone()),
            Some(2)
        );
        assert_eq!(credited(Model::FirstClick, named, same_time), Some(2));
        let (a, b) = (click(7, 0, 5), click(7, 0, 6));
        assert_eq!(
            credited(Model::LastClick, click(6, 0, 2), vec![a.clone(), b.clone()]),
            Some(6)
        );
        assert_eq!(
            credited(Model::FirstClick, click(8, 0, 2), vec![a, b]),
            Some(5)
        );
    }
}
