//! The real binary: `partnergraph serve` on a fresh machine (no configuration but --dev), in an
//! empty directory, on 127.0.0.1.

use std::net::{SocketAddr, TcpListener};
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
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

fn start(dir: &std::path::Path, extra: &[&str]) -> Server {
    let addr = free_addr();
    let mut command = Command::new(env!("CARGO_BIN_EXE_partnergraph"));
    command
        .arg("serve")
        .arg("--bind")
        .arg(addr.to_string())
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
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

#[tokio::test]
async fn demo_data_loads_and_a_restart_keeps_it_once() {
    use partnergraph::db::entity::{api_key, brand, creator, tracking_link, user};
    use sea_orm::{EntityTrait, PaginatorTrait};

    let dir = tempfile::tempdir().expect("temp dir");
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
                "variables": { "e": email, "p": partnergraph::demo::DEMO_PASSWORD },
            });
            let reply = http_client::send(server.addr, "POST", "/graphql", Some(&body.to_string()))
                .expect("login");
            assert!(reply.body.contains(r#""role""#), "{email}: {}", reply.body);
        }
        drop(server);
    }
    let url = format!("sqlite://{}", dir.path().join("partnergraph.db").display());
    let db = sea_orm::Database::connect(url).await.expect("open demo db");
    assert_eq!(brand::Entity::find().count(&db).await.expect("count"), 1);
    assert_eq!(creator::Entity::find().count(&db).await.expect("count"), 4);
    assert_eq!(
        tracking_link::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        4
    );
    assert_eq!(user::Entity::find().count(&db).await.expect("count"), 5);
    assert_eq!(api_key::Entity::find().count(&db).await.expect("count"), 1);
}
