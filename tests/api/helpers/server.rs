//! The real binary as a child process on a given database (SQLite file or PostgreSQL), for the
//! crash and multi-instance tests; a tenant set up over HTTP; conversion batches sent over HTTP.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::http_client;

/// Shared by every process of a test so that a token signed by one is accepted by the other.
const JWT_SECRET: &str = "durability-test-secret-durability-test-secret";

pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `partnergraph serve` on `database_url` with its working directory in `dir` and
    /// waits (at most 60 s) until `/healthz` answers.
    pub fn start(database_url: &str, dir: &Path) -> Self {
        Self::start_with(database_url, dir, &[])
    }

    /// [`ServerProcess::start`] with more arguments of `serve` (`--demo`).
    pub fn start_with(database_url: &str, dir: &Path, extra: &[&str]) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], super::ports::free_port()));
        let mut command = Command::new(env!("CARGO_BIN_EXE_partnergraph"));
        for (key, _) in std::env::vars() {
            if key.starts_with("PARTNERGRAPH_") {
                command.env_remove(key);
            }
        }
        command
            .arg("serve")
            .arg("--dev")
            .args(extra)
            .env("PARTNERGRAPH_BIND", addr.to_string())
            .env("PARTNERGRAPH_DATABASE_URL", database_url)
            .env("PARTNERGRAPH_JWT_SECRET", JWT_SECRET)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().expect("spawn partnergraph serve");
        let mut server = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if http_client::send(addr, "GET", "/healthz", None).is_ok_and(|r| r.status == 200) {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("server exited during start-up: {status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server.kill();
        panic!("server did not become healthy within 60s");
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One GraphQL request over HTTP: (status, parsed body). Batches of one brand are serialized,
/// so a request may wait behind several others on a loaded machine: 60 s, not 10.
pub fn graphql(
    addr: SocketAddr,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> std::io::Result<(u16, Value)> {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let reply = http_client::send_with_timeout(
        addr,
        "POST",
        "/graphql",
        Some(&body),
        token,
        Duration::from_secs(60),
    )?;
    let json = serde_json::from_str(&reply.body).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{e}: {}", reply.body),
        )
    })?;
    Ok((reply.status, json))
}

/// `data` of a request that must succeed.
fn ok(addr: SocketAddr, token: Option<&str>, query: &str, variables: Value) -> Value {
    let (status, body) = graphql(addr, token, query, variables).expect("graphql request");
    assert!(
        status == 200 && body.get("errors").is_none(),
        "{status} {body}"
    );
    body["data"].clone()
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

/// A brand set up over HTTP: its ADMIN token, an INGEST key and a discount code (`CODE`) on an
/// ACTIVE enrollment under a $20 CPA offer (the brand's 30-day hold).
pub struct Tenant {
    pub admin: String,
    pub key: String,
}

pub const CODE: &str = "DURABLE";

pub fn set_up_tenant(addr: SocketAddr, email: &str) -> Tenant {
    let registered = ok(
        addr,
        None,
        "mutation ($input: RegisterBrandInput!) { registerBrand(input: $input) { accessToken } }",
        json!({ "input": { "brandName": "Durable", "currencyCode": "USD", "timezone": "UTC",
            "email": email, "password": "correct-horse-battery-staple" } }),
    );
    let admin = text(&registered["registerBrand"]["accessToken"]);
    let token = Some(admin.as_str());
    let key = ok(
        addr,
        token,
        "mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
        json!({ "input": { "name": "store", "scopes": ["INGEST"] } }),
    );
    let key = text(&key["createApiKey"]["secret"]);
    let creator = ok(
        addr,
        token,
        "mutation ($input: CreateCreatorInput!) { createCreator(input: $input) { id } }",
        json!({ "input": { "displayName": "Cora Creator", "email": "cora@creators.test" } }),
    );
    let creator = text(&creator["createCreator"]["id"]);
    let campaign = ok(
        addr,
        token,
        "mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
        json!({ "input": { "name": "Always", "objective": "SALES", "schedule": "ALWAYS_ON" } }),
    );
    let campaign = text(&campaign["createCampaign"]["id"]);
    ok(
        addr,
        token,
        "mutation ($id: ID!) { setCampaignStatus(id: $id, status: ACTIVE) { id } }",
        json!({ "id": campaign }),
    );
    let offer = ok(
        addr,
        token,
        "mutation ($input: CreateOfferInput!) { createOffer(input: $input) { id } }",
        json!({ "input": { "campaignId": campaign, "name": "CPA $20", "model": "CPA",
            "cpaAmount": { "amount": "20.00", "currencyCode": "USD" } } }),
    );
    let offer = text(&offer["createOffer"]["id"]);
    let enrollment = ok(
        addr,
        token,
        "mutation ($input: EnrollCreatorInput!) { enrollCreator(input: $input) { id } }",
        json!({ "input": { "campaignId": campaign, "creatorId": creator, "offerId": offer,
            "active": true } }),
    );
    let enrollment = text(&enrollment["enrollCreator"]["id"]);
    ok(
        addr,
        token,
        "mutation ($input: CreateDiscountCodeInput!) { createDiscountCode(input: $input) { id } }",
        json!({ "input": { "enrollmentId": enrollment, "code": CODE, "percentOff": "10" } }),
    );
    Tenant { admin, key }
}

const RECORD: &str = "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
  accepted duplicates rejected results { externalId status error { code message } } } }";

/// `size` SALEs of $80 with the tenant's code, external ids `{prefix}-{n:03}`.
pub fn batch(prefix: &str, size: usize, occurred_at: DateTime<Utc>) -> Vec<Value> {
    (0..size)
        .map(|n| {
            json!({ "externalId": format!("{prefix}-{n:03}"), "kind": "SALE", "amount": "80.00",
                "discountCode": CODE, "occurredAt": occurred_at.to_rfc3339(),
                "customerKey": format!("cust-{prefix}-{n}") })
        })
        .collect()
}

/// The outcome of a batch the server answered with 200 and no errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

/// Sends a batch; `Err` when the request failed or was not acknowledged (non-200, errors).
pub fn record(addr: SocketAddr, key: &str, items: &[Value]) -> Result<Outcome, String> {
    let (status, body) =
        graphql(addr, Some(key), RECORD, json!({ "c": items })).map_err(|e| e.to_string())?;
    if status != 200 || body.get("errors").is_some() {
        return Err(format!("{status} {body}"));
    }
    let payload = &body["data"]["recordConversions"];
    let count = |field: &str| payload[field].as_u64().unwrap_or(u64::MAX);
    Ok(Outcome {
        accepted: count("accepted"),
        duplicates: count("duplicates"),
        rejected: count("rejected"),
    })
}
