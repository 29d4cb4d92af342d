//! Mail through a real SMTP server on loopback (`helpers::smtp`): the invite, the payout and
//! commission mail, the creator's opt-out, mail that waits while SMTP is down, and the outbox
//! without an SMTP server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use partnergraph::clock::{Clock, ManualClock, SystemClock};
use partnergraph::config::{Config, Secret};
use partnergraph::db::entity::mail_message;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::helpers::smtp::SmtpSink;
use crate::helpers::world::{self, PASSWORD, invite, register, text};
use crate::helpers::{Backend, TestApp, data, error_codes};

/// Polls every 20 ms and sends to `sink`.
fn send_to(sink: &SmtpSink) -> impl FnOnce(&mut Config) {
    let url = sink.url();
    move |config: &mut Config| {
        config.mail.smtp_url = Some(Secret::new(url));
        config.mail.poll_interval = Duration::from_millis(20);
    }
}

async fn outbox(app: &TestApp) -> Vec<mail_message::Model> {
    mail_message::Entity::find()
        .order_by_asc(mail_message::Column::Id)
        .all(&app.db)
        .await
        .expect("outbox")
}

/// Waits (10 s at most) until `check` holds for the outbox.
async fn until(app: &TestApp, what: &str, check: impl Fn(&[mail_message::Model]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = outbox(app).await;
        if check(&rows) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within 10 s: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn an_invite_mail_carries_a_link_that_works(backend: Backend) {
    let sink = SmtpSink::start();
    let Some(app) = TestApp::spawn_configured(backend, Arc::new(SystemClock), send_to(&sink)).await
    else {
        return;
    };
    let brand = register(&app, "Glow <Botanics>", "admin@x.test").await;
    invite(&app, &brand.access, "New.Manager@x.test", "MANAGER", None).await;
    let mail = sink
        .wait_for(
            "new.manager@x.test",
            "You are invited to join Glow <Botanics>",
        )
        .await;
    assert_eq!(mail.from, "PartnerGraph <no-reply@pg.test>");
    assert!(mail.text.contains("as manager"), "{}", mail.text);
    assert!(
        mail.html.contains("Glow &lt;Botanics&gt;"),
        "HTML is escaped: {}",
        mail.html
    );
    let link = mail.link("https://app.pg.test/accept-invite?token=");
    assert!(mail.html.contains(&link), "both parts carry the link");
    let token = mail.token("https://app.pg.test/accept-invite?token=");
    let accepted = app
        .contract(
            None,
            "auth",
            "AcceptInvite",
            json!({ "input": { "inviteToken": token, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(
        data(&accepted)["acceptInvite"]["user"]["email"],
        "new.manager@x.test"
    );
    // A mailbox the server refuses for good (550) is not tried again.
    invite(&app, &brand.access, "bounce@x.test", "ANALYST", None).await;
    until(&app, "refused for good", |rows| {
        rows.iter().any(|r| {
            r.recipient == "bounce@x.test"
                && r.status == "FAILED"
                && r.attempts == 1
                && r.last_error.as_deref() == Some("rejected by the SMTP server: 550")
                && r.text_body.is_empty()
        })
    })
    .await;
    // Once sent, the token is stored nowhere in clear text.
    until(&app, "sent, bodies cleared", |rows| {
        rows.iter().any(|r| {
            r.kind == "INVITE"
                && r.status == "SENT"
                && r.attempts == 1
                && r.sent_at.is_some()
                && r.text_body.is_empty()
                && r.html_body.is_empty()
        })
    })
    .await;
}

async fn mail_waits_while_smtp_is_down_and_goes_out_when_it_is_back(backend: Backend) {
    let mut sink = SmtpSink::start();
    let Some(app) = TestApp::spawn_configured(backend, Arc::new(SystemClock), send_to(&sink)).await
    else {
        return;
    };
    sink.stop();
    let brand = register(&app, "Brand", "admin@x.test").await;
    // The change succeeds at once, SMTP or not.
    let token = invite(&app, &brand.access, "late@x.test", "ANALYST", None).await;
    assert!(token.starts_with("pgi_"));
    until(&app, "a failed attempt is recorded", |rows| {
        rows.iter().any(|r| {
            r.recipient == "late@x.test"
                && r.status == "PENDING"
                && r.attempts >= 2
                && r.last_error.as_deref() == Some("connection failed")
        })
    })
    .await;
    assert!(sink.received().is_empty());
    sink.resume();
    let mail = sink.wait_for("late@x.test", "You are invited").await;
    assert_eq!(
        mail.token("https://app.pg.test/accept-invite?token="),
        token
    );
    until(&app, "sent after the retries", |rows| {
        rows.iter()
            .any(|r| r.recipient == "late@x.test" && r.status == "SENT" && r.last_error.is_none())
    })
    .await;
}

async fn sales(app: &TestApp, key: &str, ids: &[&str], days_ago: i64) {
    let items: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            json!({ "externalId": id, "kind": "SALE", "amount": "80", "discountCode": "CORA",
            "occurredAt": (Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339() })
        })
        .collect();
    let response = app
        .contract(
            Some(key),
            "ingest",
            "RecordConversions",
            json!({ "conversions": items }),
        )
        .await;
    assert_eq!(data(&response)["recordConversions"]["accepted"], ids.len());
}

const SETTINGS: &str = "mutation ($on: Boolean) { updateNotificationSettings(input: { commissionApprovedEmails: $on }) { commissionApprovedEmails } }";

/// Commission and payout mail go to the creator's account; the creator can opt out of the
/// commission mail.
async fn creators_get_commission_and_payout_mail_unless_they_opt_out(backend: Backend) {
    let sink = SmtpSink::start();
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let Some(app) = TestApp::spawn_configured(backend, clock.clone(), send_to(&sink)).await else {
        return;
    };
    let w = world::world(&app).await;
    let code = app
        .contract(Some(&w.admin), "tracking", "CreateDiscountCode",
            json!({ "input": { "enrollmentId": w.enrollment_a, "code": "CORA", "percentOff": "10" } }))
        .await;
    data(&code);

    // Opted out: the approval of these lines is not mailed.
    let off = app
        .graphql_as(Some(&w.creator), SETTINGS, json!({ "on": false }))
        .await;
    assert_eq!(
        data(&off)["updateNotificationSettings"]["commissionApprovedEmails"],
        false
    );
    let read = app
        .graphql_as(
            Some(&w.creator),
            "{ myNotificationSettings { commissionApprovedEmails } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&read)["myNotificationSettings"]["commissionApprovedEmails"],
        false
    );
    let by_staff = app
        .graphql_as(Some(&w.admin), SETTINGS, json!({ "on": false }))
        .await;
    assert_eq!(error_codes(&by_staff), ["FORBIDDEN"]);
    sales(&app, &w.key, &["m-1", "m-2"], 10).await;
    clock.advance(chrono::Duration::days(25));
    // The worker marks the approved lines (announced) without mailing them.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pending: Vec<(i64,)> = {
            use sea_orm::{ConnectionTrait, Statement};
            let rows = app
                .db
                .query_all_raw(Statement::from_string(
                    app.db.get_database_backend(),
                    "SELECT id FROM commissions WHERE mail_notified_at IS NULL",
                ))
                .await
                .expect("query");
            rows.iter()
                .map(|r| (r.try_get_by_index::<i64>(0).expect("id"),))
                .collect()
        };
        if pending.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "lines not announced: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !outbox(&app)
            .await
            .iter()
            .any(|r| r.kind == "COMMISSION_APPROVED"),
        "opted out"
    );

    // Opted in again: the next approved lines are mailed, summed in one message.
    let on = app
        .graphql_as(Some(&w.creator), SETTINGS, json!({ "on": true }))
        .await;
    assert_eq!(
        data(&on)["updateNotificationSettings"]["commissionApprovedEmails"],
        true
    );
    sales(&app, &w.key, &["m-3", "m-4"], 10).await;
    let approved = sink
        .wait_for("cora@creators.test", "2 commissions approved by Brand A")
        .await;
    assert!(approved.text.contains("USD 40.00"), "{}", approved.text);
    assert!(
        approved
            .text
            .contains("https://app.pg.test/settings/notifications")
    );

    // A payout marked paid is mailed to the creator.
    let payouts = app
        .contract(
            Some(&w.admin),
            "payouts",
            "CreatePayouts",
            json!({ "input": { "periodEnd": clock.now().to_rfc3339() } }),
        )
        .await;
    let payout_id = text(&data(&payouts)["createPayouts"]["payouts"][0]["id"]);
    let paid = app
        .contract(
            Some(&w.admin),
            "payouts",
            "MarkPayoutPaid",
            json!({ "input": { "payoutId": payout_id, "reference": "SEPA-<7>" } }),
        )
        .await;
    data(&paid);
    let mail = sink
        .wait_for("cora@creators.test", "Brand A paid you USD 80.00")
        .await;
    assert!(mail.text.contains("SEPA-<7>"));
    assert!(mail.html.contains("SEPA-&lt;7&gt;"));
}

/// Without SMTP: `--dev` logs each message (and counts it sent); otherwise mail stays queued.
async fn without_smtp_mail_is_logged_in_dev_and_queued_otherwise(backend: Backend) {
    let Some(app) = TestApp::spawn_configured(backend, Arc::new(SystemClock), |config| {
        config.mail.poll_interval = Duration::from_millis(20);
        config.dev = true;
        config.mail.log_only = true;
    })
    .await
    else {
        return;
    };
    let brand = register(&app, "Brand", "admin@x.test").await;
    invite(&app, &brand.access, "dev@x.test", "ANALYST", None).await;
    until(&app, "logged", |rows| {
        rows.iter()
            .any(|r| r.recipient == "dev@x.test" && r.status == "SENT")
    })
    .await;

    let app = app
        .restart(|config| config.mail.poll_interval = Duration::from_millis(20))
        .await;
    let admin = crate::helpers::world::login(&app, "admin@x.test").await.0;
    invite(&app, &admin, "queued@x.test", "ANALYST", None).await;
    // A few polls go by; the message stays PENDING, never attempted.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rows = outbox(&app).await;
    let queued = rows
        .iter()
        .find(|r| r.recipient == "queued@x.test")
        .expect("queued");
    assert_eq!((queued.status.as_str(), queued.attempts), ("PENDING", 0));
    assert!(queued.text_body.contains("accept-invite?token=pgi_"));

    // Revoking the invite withdraws its waiting mail, and no other.
    invite(&app, &admin, "other@x.test", "ANALYST", None).await;
    let listed = app
        .graphql_as(
            Some(&admin),
            "{ invites(first: 10) { edges { node { id email } } } }",
            json!({}),
        )
        .await;
    let id = data(&listed)["invites"]["edges"]
        .as_array()
        .and_then(|edges| edges.iter().find(|e| e["node"]["email"] == "queued@x.test"))
        .map(|e| e["node"]["id"].clone())
        .expect("the invite is listed");
    let revoked = app
        .graphql_as(
            Some(&admin),
            "mutation ($id: ID!) { revokeInvite(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    data(&revoked);
    let rows = outbox(&app).await;
    let status_of = |to: &str| {
        rows.iter()
            .find(|r| r.recipient == to)
            .map(|r| (r.status.clone(), r.text_body.is_empty()))
    };
    assert_eq!(status_of("queued@x.test"), Some(("CANCELLED".into(), true)));
    assert_eq!(status_of("other@x.test"), Some(("PENDING".into(), false)));
    let _ = mail_message::Entity::find()
        .filter(mail_message::Column::Status.eq("PENDING"))
        .all(&app.db)
        .await
        .expect("query by status");
}

macro_rules! both {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test(crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$test(crate::helpers::Backend::Postgres).await;
            }
        }
    )+};
}

both!(
    an_invite_mail_carries_a_link_that_works,
    mail_waits_while_smtp_is_down_and_goes_out_when_it_is_back,
    creators_get_commission_and_payout_mail_unless_they_opt_out,
    without_smtp_mail_is_logged_in_dev_and_queued_otherwise,
);
