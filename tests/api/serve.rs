//! The real binary: `partnergraph serve` on a fresh machine (no configuration but --dev), in an
//! empty directory, on 127.0.0.1.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::http_client;

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], crate::helpers::ports::free_port()))
}

fn start(dir: &std::path::Path, extra: &[&str]) -> Server {
    start_with_stdout(dir, extra, Stdio::null())
}

/// [`start`], with the server's standard output (its log) sent to `stdout`.
fn start_with_stdout(dir: &std::path::Path, extra: &[&str], stdout: Stdio) -> Server {
    let addr = free_addr();
    let mut command = Command::new(env!("CARGO_BIN_EXE_partnergraph"));
    command
        .arg("serve")
        .arg("--bind")
        .arg(addr.to_string())
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("PARTNERGRAPH_") {
            command.env_remove(key);
        }
    }
    let child = command.spawn().expect("spawn partnergraph serve");
    let server = Server { child, addr };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http_client::send(addr, "GET", "/healthz", None).is_ok_and(|r| r.status == 200) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server did not become healthy within 60s");
}

#[test]
fn serve_starts_on_sqlite_with_no_setup_and_stops_gracefully() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = start(dir.path(), &["--dev"]);

    let ready = http_client::send(server.addr, "GET", "/readyz", None).expect("readyz");
    assert_eq!(ready.status, 200);
    let typename = http_client::send(
        server.addr,
        "POST",
        "/graphql",
        Some(r#"{"query":"{ __typename }"}"#),
    )
    .expect("graphql");
    assert_eq!(typename.status, 200);
    assert!(
        typename.body.contains(r#""__typename":"Query""#),
        "{}",
        typename.body
    );
    assert!(
        dir.path().join("partnergraph.db").exists(),
        "default SQLite file created"
    );

    // SIGTERM: graceful shutdown, exit code 0.
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(exit) = server.child.try_wait().expect("wait") {
            assert!(exit.success(), "exit status {exit}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_refuses_to_start_without_a_jwt_secret_outside_dev() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_partnergraph"))
        .args(["serve", "--bind", &free_addr().to_string()])
        .current_dir(dir.path())
        .env_remove("PARTNERGRAPH_JWT_SECRET")
        .env_remove("PARTNERGRAPH_DEV")
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PARTNERGRAPH_JWT_SECRET"), "{stderr}");
}

/// The analyst reads the demo's performance (every non-bot click counted) and its experiment.
fn demo_analytics_answer(addr: std::net::SocketAddr) {
    use partnergraph::demo;
    let post = |body: serde_json::Value, token: Option<&str>| {
        let reply =
            http_client::send_with_token(addr, "POST", "/graphql", Some(&body.to_string()), token)
                .expect("graphql");
        let json: serde_json::Value = serde_json::from_str(&reply.body).expect("json");
        assert!(json.get("errors").is_none(), "{}", reply.body);
        json
    };
    let login = post(
        serde_json::json!({
            "query": "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "variables": { "e": "analyst@glow.example", "p": demo::DEMO_PASSWORD },
        }),
        None,
    );
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let now = chrono::Utc::now();
    let report = post(
        serde_json::json!({
            "query": "query ($f: PerformanceFilter!) { performance(filter: $f, groupBy: [CREATOR]) { totals { clicks sales revenue { amount } } rows { key { creator { id } } } } experiments(first: 5) { edges { node { name result { lift liftLow liftHigh treatmentConversions } } } } }",
            "variables": { "f": {
                "from": (now - chrono::Duration::days(demo::TRAFFIC_DAYS + 1)).to_rfc3339(),
                "to": (now + chrono::Duration::days(1)).to_rfc3339() } },
        }),
        Some(&token),
    );
    let totals = &report["data"]["performance"]["totals"];
    assert_eq!(
        totals["clicks"],
        (demo::CLICK_COUNT + demo::FRAUD_CLICK_COUNT - demo::BOT_CLICK_COUNT) as u64
    );
    assert!(totals["sales"].as_u64().expect("sales") > 100);
    assert!(
        report["data"]["performance"]["rows"]
            .as_array()
            .expect("rows")
            .len()
            > 5
    );
    let experiments = report["data"]["experiments"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(experiments.len(), 1);
    assert_eq!(experiments[0]["node"]["name"], demo::EXPERIMENT_NAME);
    let result = &experiments[0]["node"]["result"];
    assert!(
        result["treatmentConversions"]
            .as_u64()
            .expect("conversions")
            > 0
    );
    assert!(result["liftLow"].as_f64().expect("low") <= result["lift"].as_f64().expect("lift"));
}

#[tokio::test]
async fn demo_data_loads_and_a_restart_keeps_it_once() {
    use partnergraph::db::entity::{
        api_key, brand, campaign, click, conversion, cost, creator, deliverable, discount_code,
        enrollment, offer, refund, tracking_link, user, webhook_endpoint,
    };
    use partnergraph::demo;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

    let dir = tempfile::tempdir().expect("temp dir");
    let loaded_after = chrono::Utc::now();
    for _ in 0..2 {
        let server = start(dir.path(), &["--demo"]);
        let ready = http_client::send(server.addr, "GET", "/readyz", None).expect("readyz");
        assert_eq!(ready.status, 200);
        // Every demo login works with the documented password.
        for email in [
            "admin@glow.example",
            "manager@glow.example",
            "analyst@glow.example",
            "maya@example.com",
        ] {
            let body = serde_json::json!({
                "query": "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { user { role } } }",
                "variables": { "e": email, "p": demo::DEMO_PASSWORD },
            });
            let reply = http_client::send(server.addr, "POST", "/graphql", Some(&body.to_string()))
                .expect("login");
            assert!(reply.body.contains(r#""role""#), "{email}: {}", reply.body);
        }
        demo_analytics_answer(server.addr);
        drop(server);
    }
    let url = format!("sqlite://{}", dir.path().join("partnergraph.db").display());
    let db = sea_orm::Database::connect(url).await.expect("open demo db");
    let brands = brand::Entity::find().all(&db).await.expect("brands");
    assert_eq!(brands.len(), 1);
    assert_eq!(brands[0].name, demo::DEMO_BRAND);
    // Counts are those of one load: a restart added nothing.
    let counts = [
        (
            "creators",
            creator::Entity::find().count(&db).await,
            demo::CREATOR_COUNT,
        ),
        (
            "campaigns",
            campaign::Entity::find().count(&db).await,
            demo::CAMPAIGN_COUNT,
        ),
        (
            "offers",
            offer::Entity::find().count(&db).await,
            demo::OFFER_COUNT,
        ),
        (
            "enrollments",
            enrollment::Entity::find().count(&db).await,
            demo::ENROLLMENT_COUNT,
        ),
        (
            "deliverables",
            deliverable::Entity::find().count(&db).await,
            demo::DELIVERABLE_COUNT,
        ),
        (
            "costs",
            cost::Entity::find().count(&db).await,
            demo::COST_COUNT,
        ),
        (
            "links",
            tracking_link::Entity::find().count(&db).await,
            demo::TRACKING_LINK_COUNT,
        ),
        (
            "codes",
            discount_code::Entity::find().count(&db).await,
            demo::DISCOUNT_CODE_COUNT,
        ),
        (
            "users",
            user::Entity::find().count(&db).await,
            demo::USER_COUNT,
        ),
        ("API keys", api_key::Entity::find().count(&db).await, 1),
        (
            "webhook endpoints",
            webhook_endpoint::Entity::find()
                .filter(webhook_endpoint::Column::Enabled.eq(false))
                .count(&db)
                .await,
            1,
        ),
        (
            "clicks",
            click::Entity::find().count(&db).await,
            demo::CLICK_COUNT + demo::FRAUD_CLICK_COUNT,
        ),
        (
            "conversions",
            conversion::Entity::find().count(&db).await,
            demo::CONVERSION_COUNT + demo::FRAUD_SALE_COUNT,
        ),
        (
            "refunds",
            refund::Entity::find().count(&db).await,
            demo::REFUND_COUNT,
        ),
    ];
    for (what, count, expected) in counts {
        assert_eq!(count.expect(what), expected as u64, "{what}");
    }
    // Data rights: one creator record and one customer erased.
    let erased_creators = creator::Entity::find()
        .filter(creator::Column::ErasedAt.is_not_null())
        .all(&db)
        .await
        .expect("erased creators");
    assert_eq!(erased_creators.len(), 1);
    assert!(
        erased_creators[0]
            .display_name
            .starts_with("Erased creator #")
    );
    assert_eq!(erased_creators[0].email, None);
    let forgotten = conversion::Entity::find()
        .filter(conversion::Column::CustomerKey.eq(demo::ERASED_CUSTOMER_KEY))
        .count(&db)
        .await
        .expect("old key");
    let tokens = conversion::Entity::find()
        .filter(conversion::Column::CustomerKey.starts_with("erased_"))
        .count(&db)
        .await
        .expect("tokens");
    assert_eq!((forgotten, tokens > 0), (0, true));
    // A realistic workspace: dozens of creators, several campaigns, the five documented logins.
    const { assert!(demo::CREATOR_COUNT >= 40 && demo::CAMPAIGN_COUNT >= 4) };
    // The five documented logins and a deactivated former manager.
    const { assert!(demo::USER_COUNT == 6) };
    let offboarded = [
        (
            "paused links",
            tracking_link::Entity::find()
                .filter(tracking_link::Column::PausedAt.is_not_null())
                .count(&db)
                .await,
        ),
        (
            "deactivated codes",
            discount_code::Entity::find()
                .filter(discount_code::Column::ArchivedAt.is_not_null())
                .count(&db)
                .await,
        ),
        (
            "deactivated users",
            user::Entity::find()
                .filter(user::Column::DeactivatedAt.is_not_null())
                .count(&db)
                .await,
        ),
        (
            "revoked invites",
            partnergraph::db::entity::invite::Entity::find()
                .filter(partnergraph::db::entity::invite::Column::RevokedAt.is_not_null())
                .count(&db)
                .await,
        ),
    ];
    for (what, count) in offboarded {
        assert_eq!(count.expect(what), 1, "{what}");
    }
    let published = deliverable::Entity::find()
        .filter(deliverable::Column::Status.eq("PUBLISHED"))
        .count(&db)
        .await
        .expect("published");
    assert_eq!(published, demo::PUBLISHED_DELIVERABLE_COUNT as u64);
    assert!(published >= 1);
    let mut models: Vec<String> = offer::Entity::find()
        .select_only()
        .column(offer::Column::Model)
        .distinct()
        .into_tuple()
        .all(&db)
        .await
        .expect("offer models");
    models.sort();
    assert_eq!(
        models,
        ["CPA", "CPC", "CPL", "FLAT_FEE", "HYBRID", "REVENUE_SHARE"]
    );
    // The original four keep their links and codes; the creator logins own their records.
    for (link, code) in [
        ("glow-maya", "MAYA15"),
        ("glow-leo", "LEO15"),
        ("glow-ana", "ANA15"),
        ("glow-sam", "SAM15"),
    ] {
        let link = tracking_link::Entity::find()
            .filter(tracking_link::Column::Code.eq(link))
            .one(&db)
            .await
            .expect("link")
            .unwrap_or_else(|| panic!("link {link}"));
        let code = discount_code::Entity::find()
            .filter(discount_code::Column::Code.eq(code))
            .one(&db)
            .await
            .expect("code")
            .unwrap_or_else(|| panic!("code {code}"));
        assert_eq!(link.enrollment_id, code.enrollment_id);
    }
    for email in ["maya@example.com", "leo@example.com"] {
        let record = creator::Entity::find()
            .filter(creator::Column::Email.eq(email))
            .one(&db)
            .await
            .expect("creator")
            .unwrap_or_else(|| panic!("creator {email}"));
        assert!(record.user_id.is_some(), "{email} is linked to its login");
        assert_eq!(
            (record.stage.as_str(), record.vetting_status.as_str()),
            ("ACTIVE", "APPROVED")
        );
    }

    // 60 days of traffic through the ingestion services.
    async fn counted(
        db: &sea_orm::DatabaseConnection,
        select: sea_orm::Select<conversion::Entity>,
    ) -> u64 {
        select.count(db).await.expect("count conversions")
    }
    let since = loaded_after - chrono::Duration::days(demo::TRAFFIC_DAYS);
    assert_eq!(
        counted(
            &db,
            conversion::Entity::find()
                .filter(conversion::Column::Kind.eq("SALE"))
                .filter(conversion::Column::OccurredAt.gte(since))
                .filter(conversion::Column::OccurredAt.lte(chrono::Utc::now()))
        )
        .await,
        (demo::SALE_COUNT + demo::FRAUD_SALE_COUNT) as u64,
        "every order in the last {} days (the fraud scenarios' too)",
        demo::TRAFFIC_DAYS
    );
    for method in ["CLICK", "CODE", "NONE"] {
        let n = counted(
            &db,
            conversion::Entity::find().filter(conversion::Column::AttributionMethod.eq(method)),
        )
        .await;
        assert!(n > 0, "{method}-attributed conversions");
    }
    let refunded = counted(
        &db,
        conversion::Entity::find()
            .filter(conversion::Column::Status.is_in(["REFUNDED", "PARTIALLY_REFUNDED"])),
    )
    .await;
    assert!(refunded >= 1);
    let held = refund::Entity::find()
        .filter(refund::Column::ConversionId.is_null())
        .count(&db)
        .await
        .expect("held refunds");
    assert_eq!(
        held, 0,
        "the refund recorded before its order was applied to it"
    );
    let self_referrals = counted(
        &db,
        conversion::Entity::find().filter(conversion::Column::SelfReferral.eq(true)),
    )
    .await;
    assert!(self_referrals >= 1);
    let eur = counted(
        &db,
        conversion::Entity::find().filter(conversion::Column::CurrencyCode.eq("EUR")),
    )
    .await;
    assert_eq!(eur, demo::EUR_SALE_COUNT as u64);
    let returning = counted(
        &db,
        conversion::Entity::find()
            .filter(conversion::Column::Kind.eq("SALE"))
            .filter(conversion::Column::NewCustomer.eq(false)),
    )
    .await;
    assert!(returning >= 1, "a returning customer's order");
    let per_customer: Vec<(Option<String>, i64)> = conversion::Entity::find()
        .select_only()
        .column(conversion::Column::CustomerKey)
        .column_as(conversion::Column::Id.count(), "orders")
        .filter(conversion::Column::Kind.eq("SALE"))
        .group_by(conversion::Column::CustomerKey)
        .into_tuple()
        .all(&db)
        .await
        .expect("orders per customer");
    assert!(
        per_customer.iter().any(|(key, n)| key.is_some() && *n >= 2),
        "repeat customers"
    );
    let bots = click::Entity::find()
        .filter(click::Column::IsBot.eq(true))
        .count(&db)
        .await
        .expect("bot clicks");
    assert_eq!(bots, demo::BOT_CLICK_COUNT as u64);
    assert!(bots > 0);

    // The ledger: lines in every stored status, and a paid payout.
    use partnergraph::db::entity::{commission, payout};
    let statuses: Vec<String> = commission::Entity::find()
        .select_only()
        .column(commission::Column::Status)
        .distinct()
        .into_tuple()
        .all(&db)
        .await
        .expect("commission statuses");
    for status in ["PENDING", "APPROVED", "PAID", "REVERSED", "ON_HOLD"] {
        assert!(
            statuses.iter().any(|s| s == status),
            "{status} in {statuses:?}"
        );
    }
    // Fraud rules: each scenario order flagged (by several rules), one of them rejected.
    use partnergraph::db::entity::fraud_flag;
    let flags = fraud_flag::Entity::find()
        .all(&db)
        .await
        .expect("fraud flags");
    assert_eq!(flags.len(), demo::FRAUD_SALE_COUNT);
    let rules: std::collections::BTreeSet<&str> = flags.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules.len(), demo::FRAUD_SALE_COUNT, "{rules:?}");
    assert_eq!(flags.iter().filter(|f| f.status == "REJECTED").count(), 1);
    // The audit log: the ADMIN's set-up, one entry per change, by the demo's request id.
    use partnergraph::db::entity::audit_entry;
    let entries = audit_entry::Entity::find()
        .all(&db)
        .await
        .expect("audit entries");
    let operations: std::collections::BTreeSet<&str> =
        entries.iter().map(|e| e.operation.as_str()).collect();
    for operation in [
        "createCampaign",
        "setCampaignStatus",
        "updateFraudRule",
        "resolveFraudFlag",
        "createClawback",
        "updateBrandSettings",
    ] {
        assert!(
            operations.contains(operation),
            "{operation} in {operations:?}"
        );
    }
    assert!(
        entries
            .iter()
            .all(|e| e.request_id == "demo-load" && e.actor_role == "ADMIN")
    );
    let paid = payout::Entity::find()
        .filter(payout::Column::Status.eq("PAID"))
        .count(&db)
        .await
        .expect("payouts");
    assert_eq!(paid, 1);
}

/// JSON logs carry, per GraphQL request, its id, caller, operation and duration; `/metrics`
/// counts requests, errors by code and ingested events.
#[test]
fn json_logs_and_metrics_describe_each_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut server = start_with_stdout(
        dir.path(),
        &["--dev", "--log-format", "json"],
        Stdio::from(log),
    );
    let named = r#"{"query":"query Probe { __typename }","operationName":"Probe"}"#;
    let reply = http_client::send(server.addr, "POST", "/graphql", Some(named)).expect("graphql");
    assert_eq!(reply.status, 200);
    let bad = r#"{"query":"{ viewer { id } }"}"#;
    let reply = http_client::send(server.addr, "POST", "/graphql", Some(bad)).expect("graphql");
    assert!(reply.body.contains("UNAUTHENTICATED"), "{}", reply.body);
    let metrics = http_client::send(server.addr, "GET", "/metrics", None).expect("metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .body
            .contains(r#"partnergraph_http_requests_total{route="/graphql",status="200"} 2"#),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains(r#"partnergraph_graphql_errors_total{code="UNAUTHENTICATED"} 1"#)
    );
    assert!(metrics.body.contains("partnergraph_click_queue_depth 0"));
    assert!(
        metrics
            .body
            .contains("partnergraph_http_request_duration_seconds_bucket")
    );
    server.child.kill().expect("kill");
    server.child.wait().expect("wait");
    let text = std::fs::read_to_string(&log_path).expect("read log");
    let line = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["operation"] == "Probe")
        .unwrap_or_else(|| panic!("no JSON line for the Probe operation in:\n{text}"));
    assert_eq!(line["message"], "graphql request");
    assert_eq!(line["caller"], "anonymous");
    assert!(
        line["request_id"].as_str().is_some_and(|id| id.len() >= 32),
        "{line}"
    );
    assert!(line["duration_ms"].as_f64().is_some(), "{line}");
    assert_eq!(line["level"], "INFO");
}

/// Text logs written to a file (not a terminal) carry no ANSI colour codes.
#[test]
fn text_logs_in_a_file_have_no_colour_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut server = start_with_stdout(dir.path(), &["--dev"], Stdio::from(log));
    let ready = http_client::send(server.addr, "GET", "/readyz", None).expect("readyz");
    assert_eq!(ready.status, 200);
    server.child.kill().expect("kill");
    server.child.wait().expect("wait");
    let text = std::fs::read_to_string(&log_path).expect("read log");
    assert!(text.contains("INFO"), "the log has lines: {text}");
    assert!(!text.contains('\u{1b}'), "ANSI escape codes in:\n{text}");
}

/// The demo's webhook walkthrough (docs/demo.md): an endpoint on this host, the example receiver
/// (`docs/examples/webhook_receiver.py`) started with its secret, a conversion recorded with a
/// demo code: the receiver gets a delivery whose signature verifies.
#[test]
fn demo_webhooks_reach_the_example_receiver_signed() {
    use std::io::{BufRead, BufReader, Read};

    use partnergraph::demo;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), &["--demo"]);
    let post = |query: &str, variables: serde_json::Value, token: Option<&str>| {
        let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
        let reply =
            http_client::send_with_token(server.addr, "POST", "/graphql", Some(&body), token)
                .expect("graphql");
        let json: serde_json::Value = serde_json::from_str(&reply.body).expect("json");
        assert!(json.get("errors").is_none(), "{}", reply.body);
        json["data"].clone()
    };
    let login = post(
        "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        serde_json::json!({ "e": "admin@glow.example", "p": demo::DEMO_PASSWORD }),
        None,
    );
    let admin = login["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let port = free_addr().port();
    let created = post(
        "mutation ($url: String!) { createWebhookEndpoint(input: {
           url: $url, eventTypes: [CONVERSION_ATTRIBUTED] }) { secret } }",
        serde_json::json!({ "url": format!("http://127.0.0.1:{port}/hook") }),
        Some(&admin),
    );
    let secret = created["createWebhookEndpoint"]["secret"]
        .as_str()
        .expect("secret");

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/examples/webhook_receiver.py"
    );
    let mut receiver = Command::new("python3")
        .args([
            script,
            "--port",
            &port.to_string(),
            "--secret",
            secret,
            "--count",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs the example receiver");
    let mut output = BufReader::new(receiver.stdout.take().expect("stdout"));
    let mut listening = String::new();
    output.read_line(&mut listening).expect("receiver starts");
    assert!(listening.starts_with("listening"), "{listening}");

    let order = serde_json::json!([{ "externalId": "walkthrough-1", "kind": "SALE",
        "amount": "42.00", "discountCode": "MAYA15",
        "occurredAt": (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339() }]);
    let recorded = post(
        "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
           results { conversion { attribution { method } } } } }",
        serde_json::json!({ "c": order }),
        Some(demo::DEMO_API_KEY),
    );
    let method = &recorded["recordConversions"]["results"][0]["conversion"]["attribution"];
    assert_eq!(method["method"], "CODE");

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = receiver.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = receiver.kill();
            panic!("no verified delivery reached the receiver within 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut printed = String::new();
    output
        .read_to_string(&mut printed)
        .expect("receiver output");
    assert!(status.success(), "receiver exit {status}: {printed}");
    assert!(
        printed.starts_with("verified conversion.attributed evt_"),
        "{printed}"
    );
}

/// Every shell example in `docs/examples/` runs as written against `serve --demo` (curl and
/// python3, as a newcomer would have them) and gets no GraphQL error.
#[test]
fn documented_examples_run_against_the_demo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), &["--demo"]);
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples");
    let mut scripts: Vec<_> = std::fs::read_dir(examples)
        .expect("docs/examples")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sh"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 3, "{scripts:?}");
    for script in scripts {
        let output = Command::new("bash")
            .arg(&script)
            .env("PG", format!("http://{}", server.addr))
            .output()
            .expect("bash runs the example");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{}: {}\n{stdout}\n{stderr}",
            script.display(),
            output.status
        );
        assert!(
            !stdout.contains("\"errors\""),
            "{}: {stdout}",
            script.display()
        );
        assert!(
            stdout.contains("\"data\""),
            "{}: {stdout}",
            script.display()
        );
    }
}
