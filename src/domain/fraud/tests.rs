use chrono::TimeZone;

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn all_on() -> Settings {
    Settings::new(Rule::ALL.iter().map(|r| {
        let mut p = Parameters::defaults_for(*r);
        if *r == Rule::BannedReferrer {
            p.referrer_patterns = Some(vec!["*.spam.example".into()]);
        }
        (*r, true, p)
    }))
}

#[test]
fn lists_load_and_match_subdomains() {
    assert!(is_disposable_domain("mailinator.com"));
    assert!(is_disposable_domain("eu.Mailinator.com"));
    assert!(!is_disposable_domain("notmailinator.com"));
    assert!(!is_disposable_domain("gmail.com"));
    assert!(is_coupon_site("www.retailmenot.com"));
    assert!(is_coupon_site("uk.honey.com"));
    assert!(!is_coupon_site("honeybee-blog.com"));
    assert!(list(DISPOSABLE_DOMAINS).count() >= 30);
    assert!(list(COUPON_SITES).count() >= 30);
}

#[test]
fn email_domains() {
    assert_eq!(
        email_domain(" A@Mailinator.COM "),
        Some("mailinator.com".into())
    );
    assert_eq!(email_domain("nobody"), None);
}

#[test]
fn too_fast_is_strictly_under_the_threshold() {
    assert!(too_fast(at(0), at(4), 5));
    assert!(!too_fast(at(0), at(5), 5));
    assert!(
        !too_fast(at(10), at(0), 5),
        "before its click: not this rule"
    );
}

#[test]
fn click_spam_counts_the_extra_clicks() {
    assert!(!click_spam(9, 10));
    assert!(click_spam(10, 10));
}

#[test]
fn host_patterns() {
    assert!(host_matches("*.spam.example", "a.spam.example"));
    assert!(!host_matches("*.spam.example", "spam.example"));
    assert!(host_matches("spam*", "spammy.net"));
    assert!(host_matches("*bad*", "very-bad-site.org"));
    assert!(host_matches("exact.org", "EXACT.org"));
    assert!(!host_matches("exact.org", "inexact.org"));
    assert!(!host_matches("a*a", "a"));
}

#[test]
fn paid_click_params_are_named_never_valued() {
    let pairs = [("utm_source", "x"), ("GCLID", "abc")];
    assert_eq!(paid_click_param(pairs.into_iter()), Some("gclid"));
    assert_eq!(paid_click_param([("gclid", "")].into_iter()), None);
    assert_eq!(paid_click_param([("ref", "1")].into_iter()), None);
}

#[test]
fn code_leak_share_needs_enough_conversions() {
    assert!(!code_leak(4, 4, 50, 5), "too few to judge");
    assert!(code_leak(3, 5, 50, 5));
    assert!(!code_leak(2, 4, 50, 1), "exactly 50% is not above");
    assert!(!code_leak(5, 5, 100, 1));
}

#[test]
fn duplicate_customers() {
    assert!(!duplicate_customer(2, 2));
    assert!(duplicate_customer(3, 2));
}

#[test]
fn parameters_are_validated_and_named() {
    let stored = Parameters::default();
    let bad = |rule, change: Parameters| stored.merge(rule, &change).unwrap_err().0;
    assert_eq!(
        bad(
            Rule::TooFast,
            Parameters {
                seconds: Some(-1),
                ..Default::default()
            }
        ),
        "seconds"
    );
    assert_eq!(
        bad(
            Rule::CodeLeak,
            Parameters {
                percent: Some(101),
                ..Default::default()
            }
        ),
        "percent"
    );
    assert_eq!(
        bad(
            Rule::BannedReferrer,
            Parameters {
                referrer_patterns: Some(vec![" ".into()]),
                ..Default::default()
            }
        ),
        "referrerPatterns"
    );
    assert_eq!(
        bad(
            Rule::TooFast,
            Parameters {
                percent: Some(5),
                ..Default::default()
            }
        ),
        "percent",
        "not a parameter of TOO_FAST"
    );
    let merged = stored
        .merge(
            Rule::CodeLeak,
            &Parameters {
                percent: Some(80),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(merged.percent, Some(80));
    assert_eq!(merged.min_conversions, Some(DEFAULT_MIN_CONVERSIONS));
    let again = merged
        .merge(
            Rule::CodeLeak,
            &Parameters {
                min_conversions: Some(3),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((again.percent, again.min_conversions), (Some(80), Some(3)));
}

#[test]
fn rules_off_never_match() {
    let facts = ConversionFacts {
        occurred_at: at(1),
        self_referral: true,
        email_domain: Some("yopmail.com".into()),
        ..Default::default()
    };
    assert!(evaluate(&Settings::default(), &facts).is_empty());
    let hits = evaluate(&all_on(), &facts);
    let rules: Vec<Rule> = hits.iter().map(|h| h.rule).collect();
    assert_eq!(rules, [Rule::SelfReferral, Rule::DisposableEmail]);
    let evidence = evidence_of(&hits).to_string();
    assert!(evidence.contains("yopmail.com"));
}

/// One fraud case and one honest look-alike per rule, with every rule on.
#[test]
fn each_rule_against_its_look_alike() {
    let click = |seconds_before: i64, referrer: Option<&str>, paid: Option<&str>, forbids: bool| {
        Some(ClickFacts {
            clicked_at: Some(at(-seconds_before)),
            referrer_host: referrer.map(str::to_owned),
            paid_click_param: paid.map(str::to_owned),
            is_bot: false,
            campaign_forbids_paid_search: forbids,
        })
    };
    let honest = ConversionFacts {
        occurred_at: at(0),
        email_domain: Some("gmail.com".into()),
        click: click(600, Some("instagram.com"), None, true),
        discount_code: Some("MAYA10".into()),
        code_window: Some(CodeWindow {
            total: 10,
            without_creator_click: 5,
        }),
        customer_keys_30d: Some(2),
        ..Default::default()
    };
    let cases: Vec<(Option<Rule>, ConversionFacts)> = vec![
        (None, honest.clone()),
        (
            Some(Rule::SelfReferral),
            ConversionFacts {
                self_referral: true,
                ..honest.clone()
            },
        ),
        (
            Some(Rule::DisposableEmail),
            ConversionFacts {
                email_domain: Some("mailinator.com".into()),
                ..honest.clone()
            },
        ),
        (
            Some(Rule::TooFast),
            ConversionFacts {
                click: click(2, None, None, true),
                ..honest.clone()
            },
        ),
        (
            None,
            ConversionFacts {
                click: click(6, None, None, true),
                ..honest.clone()
            },
        ),
        (
            Some(Rule::ClickSpam),
            ConversionFacts {
                click: Some(ClickFacts {
                    is_bot: true,
                    ..click(600, None, None, false).unwrap()
                }),
                ..honest.clone()
            },
        ),
        (
            Some(Rule::BannedReferrer),
            ConversionFacts {
                click: click(600, Some("x.spam.example"), None, true),
                ..honest.clone()
            },
        ),
        (
            None,
            ConversionFacts {
                click: click(600, Some("spam.example.org"), None, true),
                ..honest.clone()
            },
        ),
        (
            Some(Rule::PaidTraffic),
            ConversionFacts {
                click: click(600, None, Some("gclid"), true),
                ..honest.clone()
            },
        ),
        (
            None,
            ConversionFacts {
                click: click(600, None, Some("gclid"), false),
                ..honest.clone()
            },
        ),
        (
            Some(Rule::CodeLeak),
            ConversionFacts {
                click: click(600, Some("www.retailmenot.com"), None, true),
                ..honest.clone()
            },
        ),
        (
            Some(Rule::CodeLeak),
            ConversionFacts {
                code_window: Some(CodeWindow {
                    total: 10,
                    without_creator_click: 6,
                }),
                ..honest.clone()
            },
        ),
        (
            Some(Rule::DuplicateCustomer),
            ConversionFacts {
                customer_keys_30d: Some(3),
                ..honest.clone()
            },
        ),
    ];
    let settings = all_on();
    for (i, (expected, facts)) in cases.iter().enumerate() {
        let got: Vec<Rule> = evaluate(&settings, facts).iter().map(|h| h.rule).collect();
        assert_eq!(
            got,
            expected.iter().copied().collect::<Vec<_>>(),
            "case {i}"
        );
    }
}
