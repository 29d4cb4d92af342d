//! Fraud rules (DOMAIN rule 8) as pure functions over plain facts, their parameters with the
//! ranges staff may set, and the shipped lists (disposable email domains, coupon sites).
//!
//! The service layer gathers the facts at ingestion (bounded, indexed reads) and calls
//! [`evaluate`]; a conversion with any [`Hit`] gets one flag whose rule is the first hit, in the
//! order of [`Rule::ALL`] (the order of DOMAIN rule 8), and whose evidence lists every hit.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub mod code_counts;

use super::stored_enum;
use super::text::Invalid;

stored_enum! {
    /// The rules, in DOMAIN rule 8's order (a flag names the first one that matched).
    pub enum Rule {
        SelfReferral => "SELF_REFERRAL",
        DisposableEmail => "DISPOSABLE_EMAIL",
        TooFast => "TOO_FAST",
        ClickSpam => "CLICK_SPAM",
        BannedReferrer => "BANNED_REFERRER",
        PaidTraffic => "PAID_TRAFFIC",
        CodeLeak => "CODE_LEAK",
        DuplicateCustomer => "DUPLICATE_CUSTOMER",
    }
}

stored_enum! {
    /// A flag's review state: OPEN until staff APPROVE or REJECT it, once.
    pub enum FlagStatus {
        Open => "OPEN",
        Approved => "APPROVED",
        Rejected => "REJECTED",
    }
}

/// Staff's decision on a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The conversion is honest: its lines follow the normal hold.
    Approve,
    /// The conversion is fraud: REVERSAL lines, attribution NONE with the rule recorded.
    Reject,
}

impl Decision {
    pub fn status(self) -> FlagStatus {
        match self {
            Self::Approve => FlagStatus::Approved,
            Self::Reject => FlagStatus::Rejected,
        }
    }
}

/// Window of CLICK_SPAM.
pub const CLICK_SPAM_WINDOW: Duration = Duration::hours(1);
/// Window of CODE_LEAK's share.
pub const CODE_LEAK_WINDOW: Duration = Duration::days(7);
/// Window of DUPLICATE_CUSTOMER.
pub const DUPLICATE_CUSTOMER_WINDOW: Duration = Duration::days(30);

/// Click-landing parameters of paid search and social ads (PAID_TRAFFIC).
pub const PAID_CLICK_PARAMS: [&str; 4] = ["gclid", "fbclid", "ttclid", "msclkid"];

const DISPOSABLE_DOMAINS: &str = include_str!("disposable_domains.txt");
const COUPON_SITES: &str = include_str!("coupon_sites.txt");

/// A rule's parameters, stored as JSON with the GraphQL input's field names. Only the fields of
/// the rule are set; [`Parameters::effective`] fills the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameters {
    /// TOO_FAST: a conversion less than this many seconds after its click (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i64>,
    /// CLICK_SPAM: clicks of one visitor on one link in an hour beyond this are bots (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clicks_per_hour: Option<i64>,
    /// BANNED_REFERRER: referrer host patterns, `*` matching any run of characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_patterns: Option<Vec<String>>,
    /// CODE_LEAK: the share (percent) of a code's conversions with no click of its creator over
    /// 7 days above which its conversions are flagged (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<i64>,
    /// CODE_LEAK: the share is judged only from this many conversions of the code in the window
    /// (default 5), so that one coupon-only sale never counts as a leak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_conversions: Option<i64>,
    /// DUPLICATE_CUSTOMER: one email hash behind more customer keys than this in 30 days is
    /// flagged (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_customer_keys: Option<i64>,
}

/// Parameters with every default filled (what evaluation uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    pub seconds: i64,
    pub max_clicks_per_hour: i64,
    pub referrer_patterns: Vec<String>,
    pub percent: i64,
    pub min_conversions: i64,
    pub max_customer_keys: i64,
}

pub const DEFAULT_SECONDS: i64 = 5;
pub const DEFAULT_MAX_CLICKS_PER_HOUR: i64 = 10;
pub const DEFAULT_PERCENT: i64 = 50;
pub const DEFAULT_MIN_CONVERSIONS: i64 = 5;
pub const DEFAULT_MAX_CUSTOMER_KEYS: i64 = 2;
const MAX_PATTERNS: usize = 100;
const MAX_PATTERN_LEN: usize = 253;

impl Parameters {
    /// The parameters with defaults for those not set.
    pub fn effective(&self) -> Effective {
        Effective {
            seconds: self.seconds.unwrap_or(DEFAULT_SECONDS),
            max_clicks_per_hour: self
                .max_clicks_per_hour
                .unwrap_or(DEFAULT_MAX_CLICKS_PER_HOUR),
            referrer_patterns: self.referrer_patterns.clone().unwrap_or_default(),
            percent: self.percent.unwrap_or(DEFAULT_PERCENT),
            min_conversions: self.min_conversions.unwrap_or(DEFAULT_MIN_CONVERSIONS),
            max_customer_keys: self.max_customer_keys.unwrap_or(DEFAULT_MAX_CUSTOMER_KEYS),
        }
    }

    /// The parameters `rule` takes, with every default filled (what `fraudRules` shows).
    pub fn defaults_for(rule: Rule) -> Self {
        let e = Self::default().effective();
        match rule {
            Rule::TooFast => Self {
                seconds: Some(e.seconds),
                ..Self::default()
            },
            Rule::ClickSpam => Self {
                max_clicks_per_hour: Some(e.max_clicks_per_hour),
                ..Self::default()
            },
            Rule::BannedReferrer => Self {
                referrer_patterns: Some(Vec::new()),
                ..Self::default()
            },
            Rule::CodeLeak => Self {
                percent: Some(e.percent),
                min_conversions: Some(e.min_conversions),
                ..Self::default()
            },
            Rule::DuplicateCustomer => Self {
                max_customer_keys: Some(e.max_customer_keys),
                ..Self::default()
            },
            Rule::SelfReferral | Rule::DisposableEmail | Rule::PaidTraffic => Self::default(),
        }
    }

    /// `self` (stored) with the fields `change` sets, validated for `rule`: a parameter of
    /// another rule or out of range is refused, naming the field as the GraphQL input does.
    pub fn merge(&self, rule: Rule, change: &Parameters) -> Result<Parameters, Invalid> {
        let mut merged = Self::defaults_for(rule);
        // Keep what was stored for this rule.
        for (stored, slot) in [
            (self.seconds, &mut merged.seconds),
            (self.max_clicks_per_hour, &mut merged.max_clicks_per_hour),
            (self.percent, &mut merged.percent),
            (self.min_conversions, &mut merged.min_conversions),
            (self.max_customer_keys, &mut merged.max_customer_keys),
        ] {
            if slot.is_some() && stored.is_some() {
                *slot = stored;
            }
        }
        if merged.referrer_patterns.is_some() && self.referrer_patterns.is_some() {
            merged.referrer_patterns = self.referrer_patterns.clone();
        }
        // Only the slots this rule takes are `Some` in `merged` (its defaults).
        set_int(
            rule,
            "seconds",
            change.seconds,
            &mut merged.seconds,
            0..=86_400,
        )?;
        set_int(
            rule,
            "maxClicksPerHour",
            change.max_clicks_per_hour,
            &mut merged.max_clicks_per_hour,
            1..=100_000,
        )?;
        set_int(
            rule,
            "percent",
            change.percent,
            &mut merged.percent,
            0..=100,
        )?;
        set_int(
            rule,
            "minConversions",
            change.min_conversions,
            &mut merged.min_conversions,
            1..=100_000,
        )?;
        set_int(
            rule,
            "maxCustomerKeys",
            change.max_customer_keys,
            &mut merged.max_customer_keys,
            1..=1_000,
        )?;
        if let Some(patterns) = &change.referrer_patterns {
            if merged.referrer_patterns.is_none() {
                return Err(not_a_parameter(rule, "referrerPatterns"));
            }
            merged.referrer_patterns = Some(validate_patterns(patterns)?);
        }
        Ok(merged)
    }
}

fn not_a_parameter(rule: Rule, field: &'static str) -> Invalid {
    (field, format!("is not a parameter of {rule}"))
}

/// Sets `slot` (`Some` only when the rule takes the parameter) to `value` when given, in `range`.
fn set_int(
    rule: Rule,
    field: &'static str,
    value: Option<i64>,
    slot: &mut Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<(), Invalid> {
    let Some(value) = value else {
        return Ok(());
    };
    if slot.is_none() {
        return Err(not_a_parameter(rule, field));
    }
    if !range.contains(&value) {
        return Err((
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// Referrer host patterns: trimmed, lower-cased, non-empty, not only `*`, at most 100.
fn validate_patterns(patterns: &[String]) -> Result<Vec<String>, Invalid> {
    const FIELD: &str = "referrerPatterns";
    if patterns.len() > MAX_PATTERNS {
        return Err((FIELD, format!("at most {MAX_PATTERNS} patterns")));
    }
    let mut valid = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let pattern = pattern.trim().to_ascii_lowercase();
        if pattern.is_empty() || pattern.chars().all(|c| c == '*') {
            return Err((FIELD, "a pattern must not be empty or only `*`".to_owned()));
        }
        if pattern.len() > MAX_PATTERN_LEN
            || !pattern
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_'))
        {
            return Err((
                FIELD,
                format!("`{pattern}` is not a host pattern (letters, digits, `.`, `-`, `*`)"),
            ));
        }
        if !valid.contains(&pattern) {
            valid.push(pattern);
        }
    }
    Ok(valid)
}

/// A brand's setting of every rule.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    enabled: Vec<(Rule, Effective)>,
}

impl Settings {
    /// From the stored rows `(rule, enabled, parameters)`; rules without a row are off.
    pub fn new(rows: impl IntoIterator<Item = (Rule, bool, Parameters)>) -> Self {
        Self {
            enabled: rows
                .into_iter()
                .filter(|(_, enabled, _)| *enabled)
                .map(|(rule, _, parameters)| (rule, parameters.effective()))
                .collect(),
        }
    }

    /// The parameters of `rule` when it is on.
    pub fn get(&self, rule: Rule) -> Option<&Effective> {
        self.enabled
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, parameters)| parameters)
    }

    pub fn is_on(&self, rule: Rule) -> bool {
        self.get(rule).is_some()
    }

    pub fn any_on(&self) -> bool {
        !self.enabled.is_empty()
    }
}

fn list(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether `host` is `entry` or a subdomain of it.
fn host_is(host: &str, entry: &str) -> bool {
    host == entry
        || host
            .strip_suffix(entry)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// The domain of an email address (lower case), for the disposable check and the evidence.
pub fn email_domain(email: &str) -> Option<String> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// DISPOSABLE_EMAIL: the domain (or a parent) is on the shipped list.
pub fn is_disposable_domain(domain: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    list(DISPOSABLE_DOMAINS).any(|entry| host_is(&domain, entry))
}

/// CODE_LEAK's second test: the host (or a parent) is on the shipped coupon-site list.
pub fn is_coupon_site(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    list(COUPON_SITES).any(|entry| host_is(host, entry))
}

/// TOO_FAST: the conversion came less than `seconds` after its click (a conversion before
/// its click is not this rule's business: attribution already refuses it).
pub fn too_fast(clicked_at: DateTime<Utc>, occurred_at: DateTime<Utc>, seconds: i64) -> bool {
    let elapsed = occurred_at - clicked_at;
    elapsed >= Duration::zero() && elapsed < Duration::seconds(seconds)
}

/// CLICK_SPAM: a click is a bot when the visitor already made `earlier` clicks on the link in
/// the hour before it and this one goes over `max`.
pub fn click_spam(earlier: u64, max: i64) -> bool {
    earlier.saturating_add(1) > u64::try_from(max).unwrap_or(0)
}

/// `*` matches any run of characters (including dots and none); everything else literally,
/// case-insensitively.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == host;
    }
    if !host.starts_with(first) || host.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &host[first.len()..host.len() - last.len()];
    if !host.ends_with(last) {
        return false;
    }
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// BANNED_REFERRER: the first pattern the host matches.
pub fn banned_referrer<'a>(host: &str, patterns: &'a [String]) -> Option<&'a str> {
    patterns
        .iter()
        .find(|p| host_matches(p, host))
        .map(String::as_str)
}

/// The paid-ad click parameter of a landing URL's query pairs (its name, never its value).
pub fn paid_click_param<'a>(
    mut pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<&'static str> {
    pairs.find_map(|(name, value)| {
        let name = name.to_ascii_lowercase();
        if value.trim().is_empty() {
            return None;
        }
        PAID_CLICK_PARAMS.into_iter().find(|p| *p == name)
    })
}

/// CODE_LEAK's share test: of `total` conversions of a code in 7 days (this one included),
/// `without_creator_click` had no click of the code's creator; the share is judged from
/// `min_conversions` and flags above `percent`.
pub fn code_leak(
    without_creator_click: u64,
    total: u64,
    percent: i64,
    min_conversions: i64,
) -> bool {
    if total == 0 || total < u64::try_from(min_conversions).unwrap_or(u64::MAX) {
        return false;
    }
    // without / total > percent / 100, in integers.
    u128::from(without_creator_click) * 100
        > u128::from(total) * u128::try_from(percent).unwrap_or(0)
}

/// DUPLICATE_CUSTOMER: `keys` distinct customer keys (this conversion's included) behind one
/// email hash in 30 days is more than `max`.
pub fn duplicate_customer(keys: u64, max: i64) -> bool {
    keys > u64::try_from(max).unwrap_or(u64::MAX)
}

/// The attributed click a conversion names, as stored.
#[derive(Clone, Debug, Default)]
pub struct ClickFacts {
    pub clicked_at: Option<DateTime<Utc>>,
    pub referrer_host: Option<String>,
    pub paid_click_param: Option<String>,
    /// Stored as a bot (CLICK_SPAM marked it, or its user agent is a bot's).
    pub is_bot: bool,
    /// The click's campaign forbids paid search.
    pub campaign_forbids_paid_search: bool,
}

/// A code's conversions over CODE_LEAK's window.
#[derive(Clone, Copy, Debug, Default)]
pub struct CodeWindow {
    pub total: u64,
    pub without_creator_click: u64,
}

impl CodeWindow {
    /// From counted conversions and those through a click of the code's creator (a count that
    /// edges took below zero is zero).
    pub fn of_counts(total: i64, with_creator_click: i64) -> Self {
        let total = u64::try_from(total).unwrap_or(0);
        let with_click = u64::try_from(with_creator_click).unwrap_or(0);
        Self {
            total,
            without_creator_click: total.saturating_sub(with_click),
        }
    }
}

/// What the rules look at for one attributed conversion; a fact the service did not gather
/// (its rule is off) is `None`.
#[derive(Clone, Debug, Default)]
pub struct ConversionFacts {
    pub occurred_at: DateTime<Utc>,
    pub self_referral: bool,
    pub email_domain: Option<String>,
    pub email_hash: Option<String>,
    pub click: Option<ClickFacts>,
    pub discount_code: Option<String>,
    pub code_window: Option<CodeWindow>,
    pub customer_keys_30d: Option<u64>,
}

/// A rule that matched and what it saw (no raw email: domains and hashes only).
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub rule: Rule,
    pub evidence: Value,
}

/// Every enabled rule that matches `facts`, in [`Rule::ALL`] order.
pub fn evaluate(settings: &Settings, facts: &ConversionFacts) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut hit = |rule: Rule, evidence: Value| hits.push(Hit { rule, evidence });
    if settings.is_on(Rule::SelfReferral) && facts.self_referral {
        hit(
            Rule::SelfReferral,
            json!({ "customerEmailHash": facts.email_hash }),
        );
    }
    if settings.is_on(Rule::DisposableEmail)
        && let Some(domain) = &facts.email_domain
        && is_disposable_domain(domain)
    {
        hit(Rule::DisposableEmail, json!({ "emailDomain": domain }));
    }
    let click = facts.click.as_ref();
    if let Some(p) = settings.get(Rule::TooFast)
        && let Some(clicked_at) = click.and_then(|c| c.clicked_at)
        && too_fast(clicked_at, facts.occurred_at, p.seconds)
    {
        let elapsed = (facts.occurred_at - clicked_at).num_milliseconds();
        hit(
            Rule::TooFast,
            json!({ "millisecondsAfterClick": elapsed, "thresholdSeconds": p.seconds }),
        );
    }
    if settings.is_on(Rule::ClickSpam) && click.is_some_and(|c| c.is_bot) {
        hit(Rule::ClickSpam, json!({ "clickIsBot": true }));
    }
    if let Some(p) = settings.get(Rule::BannedReferrer)
        && let Some(host) = click.and_then(|c| c.referrer_host.as_deref())
        && let Some(pattern) = banned_referrer(host, &p.referrer_patterns)
    {
        hit(
            Rule::BannedReferrer,
            json!({ "referrerHost": host, "pattern": pattern }),
        );
    }
    if settings.is_on(Rule::PaidTraffic)
        && let Some(c) = click
        && c.campaign_forbids_paid_search
        && let Some(param) = &c.paid_click_param
    {
        hit(Rule::PaidTraffic, json!({ "clickParameter": param }));
    }
    if let Some(p) = settings.get(Rule::CodeLeak) {
        let coupon_host = click
            .and_then(|c| c.referrer_host.as_deref())
            .filter(|h| is_coupon_site(h));
        if let Some(host) = coupon_host {
            hit(
                Rule::CodeLeak,
                json!({ "referrerHost": host, "couponSite": true }),
            );
        } else if let (Some(code), Some(window)) = (&facts.discount_code, facts.code_window)
            && code_leak(
                window.without_creator_click,
                window.total,
                p.percent,
                p.min_conversions,
            )
        {
            hit(
                Rule::CodeLeak,
                json!({
                    "discountCode": code,
                    "conversions7d": window.total,
                    "withoutCreatorClick7d": window.without_creator_click,
                    "thresholdPercent": p.percent,
                }),
            );
        }
    }
    if let Some(p) = settings.get(Rule::DuplicateCustomer)
        && let Some(keys) = facts.customer_keys_30d
        && duplicate_customer(keys, p.max_customer_keys)
    {
        hit(
            Rule::DuplicateCustomer,
            json!({
                "customerEmailHash": facts.email_hash,
                "customerKeys30d": keys,
                "maxCustomerKeys": p.max_customer_keys,
            }),
        );
    }
    hits
}

/// The evidence stored on a flag: every hit, by rule.
pub fn evidence_of(hits: &[Hit]) -> Value {
    json!({
        "rules": hits.iter().map(|h| h.rule.as_str()).collect::<Vec<_>>(),
        "details": hits
            .iter()
            .map(|h| (h.rule.as_str().to_owned(), h.evidence.clone()))
            .collect::<serde_json::Map<_, _>>(),
    })
}

#[cfg(test)]
mod tests;
