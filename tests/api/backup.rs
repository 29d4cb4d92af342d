//! `partnergraph backup --out FILE` (the real binary) on a SQLite file while a server serves it:
//! a server started on the copy answers as the original does, a copy taken during ingestion is a
//! consistent, migrated database, and bad targets and PostgreSQL fail clearly, touching nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::Utc;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::helpers::server::{self, ServerProcess};
use crate::helpers::{Backend, TestDb, integers};

const BATCH: usize = 50;

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// `partnergraph <args>` with only `PARTNERGRAPH_DATABASE_URL` set among its variables.
fn partnergraph(database_url: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_partnergraph"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PARTNERGRAPH_") {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .env("PARTNERGRAPH_DATABASE_URL", database_url)
        .stdin(Stdio::null())
        .output()
        .expect("run partnergraph")
}

fn backup(database_url: &str, out: &Path) -> Output {
    partnergraph(
        database_url,
        &["backup", "--out", out.to_str().expect("a UTF-8 path")],
    )
}

fn assert_succeeded(output: &Output) {
    assert!(
        output.status.success(),
        "{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A failure a person can act on: non-zero exit, one `error:` line holding each of `naming`,
/// no panic or backtrace.
fn assert_clear_failure(output: &Output, naming: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "succeeded: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for needle in naming {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
    for leak in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(leak), "{stderr}");
    }
    stderr
}

/// Opens a backup read-only and checks it is a whole, migrated PartnerGraph database.
async fn open_checked(path: &Path) -> DatabaseConnection {
    let db = Database::connect(format!("{}?mode=ro", sqlite_url(path)))
        .await
        .expect("open the backup");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await
        .expect("integrity_check");
    let results: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text"))
        .collect();
    assert_eq!(results, ["ok"], "{}", path.display());
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .expect("migration status");
    assert!(pending.is_empty(), "{} migrations pending", pending.len());
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("migration status");
    assert_eq!(applied.len(), Migrator::migrations().len());
    db
}

fn data(addr: std::net::SocketAddr, token: Option<&str>, query: &str, variables: Value) -> Value {
    let (status, body) = server::graphql(addr, token, query, variables).expect("graphql");
    assert!(
        status == 200 && body.get("errors").is_none(),
        "{status} {body}"
    );
    body["data"].clone()
}

fn login(addr: std::net::SocketAddr, email: &str) -> String {
    let data = data(
        addr,
        None,
        "mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        json!({ "e": email, "p": partnergraph::demo::DEMO_PASSWORD }),
    );
    data["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// What staff read: the performance report by creator, a page of creators and of conversions.
const READS: &str = "query ($f: PerformanceFilter!) {
  performance(filter: $f, groupBy: [CREATOR]) {
    totals { clicks uniqueClicks sales leads revenue { amount currencyCode }
             commissions { amount } spend { amount } }
    rows { key { creator { id displayName } }
           metrics { clicks sales revenue { amount } commissions { amount } } } }
  creators(first: 50) { nodes { id displayName email country createdAt }
                        pageInfo { hasNextPage endCursor } }
  conversions(first: 100) { nodes { id externalId kind status amount { amount currencyCode }
                                    occurredAt commission { amount { amount } status } }
                            pageInfo { hasNextPage endCursor } }
}";

#[test]
fn a_server_on_the_backup_of_a_serving_demo_answers_as_the_original() {
    let dir = tempfile::tempdir().expect("temp dir");
    let original_file = dir.path().join("live.db");
    let original = ServerProcess::start_with(&sqlite_url(&original_file), dir.path(), &["--demo"]);
    let copy = dir.path().join("copy.db");

    // Taken while the original serves, its pool open on the file.
    let output = backup(&sqlite_url(&original_file), &copy);
    assert_succeeded(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("integrity ok"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{} migrations applied",
            Migrator::migrations().len()
        )),
        "{stdout}"
    );

    // No `--demo` here: whatever it answers comes from the copy.
    let restored = ServerProcess::start(&sqlite_url(&copy), dir.path());
    let now = Utc::now();
    let variables = json!({ "f": {
        "from": (now - chrono::Duration::days(partnergraph::demo::TRAFFIC_DAYS + 1)).to_rfc3339(),
        "to": (now + chrono::Duration::days(1)).to_rfc3339() } });
    let answers: Vec<Value> = [original.addr, restored.addr]
        .into_iter()
        .map(|addr| {
            let token = login(addr, "analyst@glow.example");
            data(addr, Some(&token), READS, variables.clone())
        })
        .collect();
    assert_eq!(answers[0], answers[1]);
    // The answer compared is not empty.
    let totals = &answers[0]["performance"]["totals"];
    assert!(totals["clicks"].as_u64().expect("clicks") > 0, "{totals}");
    assert!(totals["sales"].as_u64().expect("sales") > 100, "{totals}");
    assert!(
        answers[0]["creators"]["nodes"]
            .as_array()
            .expect("creators")
            .len()
            > 5
    );
    assert_eq!(
        answers[0]["conversions"]["nodes"]
            .as_array()
            .expect("conversions")
            .len(),
        100
    );
}

#[tokio::test]
async fn a_backup_taken_during_ingestion_is_whole_consistent_and_migrated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = sqlite_url(&dir.path().join("live.db"));
    let server = ServerProcess::start(&live, dir.path());
    let tenant = server::set_up_tenant(server.addr, "admin@backup.test");

    // A writer sends batches of 50 conversions (one transaction each) until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
        let (addr, key) = (server.addr, tenant.key.clone());
        std::thread::spawn(move || {
            let at = Utc::now() - chrono::Duration::hours(1);
            let mut sent = 0;
            while !stop.load(Ordering::SeqCst) && sent < 400 {
                let items = server::batch(&format!("b{sent:04}"), BATCH, at);
                let outcome = server::record(addr, &key, &items).expect("batch acknowledged");
                assert_eq!(outcome.accepted, BATCH as u64);
                sent += 1;
                acknowledged.store(sent, Ordering::SeqCst);
            }
            sent
        })
    };

    let mut copies = Vec::new();
    for n in 0..5 {
        let wanted = acknowledged.load(Ordering::SeqCst) + 2;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while acknowledged.load(Ordering::SeqCst) < wanted {
            assert!(std::time::Instant::now() < deadline, "the writer stalled");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let before = acknowledged.load(Ordering::SeqCst);
        let copy = dir.path().join(format!("during-{n}.db"));
        assert_succeeded(&backup(&live, &copy));
        let after = acknowledged.load(Ordering::SeqCst);
        copies.push((copy, before, after));
    }
    stop.store(true, Ordering::SeqCst);
    let sent = writer.join().expect("the writer finished");
    // It never ran out of batches: it was writing while every copy was taken.
    assert!(
        sent < 400,
        "the writer stopped before the copies were taken"
    );

    for (copy, before, after) in copies {
        let db = open_checked(&copy).await;
        let per_batch: BTreeMap<String, i64> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT substr(external_id, 1, 5) AS batch, COUNT(*) AS n FROM conversions \
                 GROUP BY substr(external_id, 1, 5)",
            ))
            .await
            .expect("query")
            .iter()
            .map(|row| {
                (
                    row.try_get::<String>("", "batch").expect("batch"),
                    row.try_get::<i64>("", "n").expect("n"),
                )
            })
            .collect();
        // Whole batches only, and every batch acknowledged before the copy began is in it,
        // none sent after it ended (at most the one in flight then).
        assert!(
            per_batch.values().all(|&n| n == BATCH as i64),
            "{per_batch:?}"
        );
        let batches = per_batch.len();
        assert!(
            (before..=after + 1).contains(&batches),
            "{batches} batches, {before} acknowledged before, {after} after"
        );
        let expected: Vec<String> = (0..batches).map(|b| format!("b{b:04}")).collect();
        assert_eq!(per_batch.keys().cloned().collect::<Vec<_>>(), expected);
        // Each conversion with its commission line and its rollups: one commit, all or nothing.
        let counts = integers(
            &db,
            "SELECT (SELECT COUNT(*) FROM conversions), \
                    (SELECT COUNT(DISTINCT conversion_id) FROM commissions), \
                    (SELECT COUNT(*) FROM commissions), \
                    (SELECT COALESCE(SUM(sales), 0) FROM daily_rollups)",
        )
        .await;
        let n = (batches * BATCH) as i64;
        assert_eq!(counts, [n, n, n, n], "{}", copy.display());
    }
}

/// The bytes of every file in `dir`, by name.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect()
}

#[test]
fn a_backup_to_an_existing_file_or_an_unwritable_path_fails_and_touches_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("live.db");
    let url = sqlite_url(&file);
    assert_succeeded(&partnergraph(&url, &["migrate", "up"]));
    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, b"last week's backup").expect("write");
    let not_a_dir = dir.path().join("not-a-dir");
    std::fs::write(&not_a_dir, b"a file").expect("write");
    let before = snapshot(dir.path());

    let output = backup(&url, &existing);
    assert_clear_failure(&output, &["existing.db", "already exists"]);

    let missing_dir = dir.path().join("no-such-dir").join("b.db");
    assert_clear_failure(
        &backup(&url, &missing_dir),
        &[
            "cannot write the backup",
            "no-such-dir",
            "No such file or directory",
        ],
    );
    let under_a_file = not_a_dir.join("b.db");
    assert_clear_failure(
        &backup(&url, &under_a_file),
        &["cannot write the backup", "not-a-dir", "Not a directory"],
    );
    // Not tested with a read-only directory: the suite may run as root, who writes anywhere.

    // The database, the existing file and the directory are exactly as they were.
    assert_eq!(snapshot(dir.path()), before);
    assert!(!dir.path().join("no-such-dir").exists());

    // A database that is not there is not created by trying to back it up.
    let absent = dir.path().join("absent.db");
    assert_clear_failure(
        &backup(&sqlite_url(&absent), &dir.path().join("b.db")),
        &["no SQLite database at", "absent.db"],
    );
    assert!(!absent.exists());
    assert_eq!(snapshot(dir.path()), before);

    // A copy that fails half-way leaves nothing behind: here the "database" is not one.
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![b'x'; 8192]).expect("write");
    let before = snapshot(dir.path());
    assert_clear_failure(
        &backup(&sqlite_url(&garbage), &dir.path().join("g.db")),
        &["copying the database failed", "not a database"],
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_postgres_database_is_sent_to_its_own_tools() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("b.db");
    // Refused before any connection: nothing listens on port 1.
    let output = backup(
        "postgres://partnergraph:secret@127.0.0.1:1/partnergraph",
        &out,
    );
    let stderr = assert_clear_failure(&output, &["PostgreSQL", "pg_dump", "docs/operations.md"]);
    assert!(!stderr.contains("secret"), "{stderr}");
    assert!(!out.exists());
}

/// The library function, with a write transaction held open on another connection throughout:
/// the copy is not blocked by it and holds what was committed before, none of what was not.
#[tokio::test]
async fn a_backup_sees_the_last_commit_not_an_open_write_transaction() {
    use sea_orm::TransactionTrait;

    let test_db = TestDb::create(Backend::Sqlite).await.expect("sqlite");
    let config = test_db.database_config();
    let db = test_db.connect().await;
    Migrator::up(&db, None).await.expect("migrate");
    db.execute_unprepared(
        "CREATE TABLE scratch (n INTEGER NOT NULL); \
         INSERT INTO scratch (n) VALUES (1), (2), (3);",
    )
    .await
    .expect("committed rows");
    let writer = db.begin().await.expect("begin");
    writer
        .execute_unprepared(
            "WITH RECURSIVE k(n) AS (SELECT 4 UNION ALL SELECT n + 1 FROM k WHERE n < 10000) \
             INSERT INTO scratch (n) SELECT n FROM k",
        )
        .await
        .expect("uncommitted rows");

    let dir = tempfile::tempdir().expect("temp dir");
    let during = dir.path().join("during.db");
    let summary = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        partnergraph::db::backup::backup(&config, &during),
    )
    .await
    .expect("not blocked by the open write transaction")
    .expect("backup");
    assert_eq!(summary.migrations as usize, Migrator::migrations().len());
    assert_eq!(
        summary.bytes,
        std::fs::metadata(&during).expect("file").len()
    );
    writer.commit().await.expect("commit");
    let after = dir.path().join("after.db");
    partnergraph::db::backup::backup(&config, &after)
        .await
        .expect("backup");

    for (path, rows) in [(&during, 3), (&after, 10_000)] {
        let copy = open_checked(path).await;
        assert_eq!(
            integers(&copy, "SELECT COUNT(*) FROM scratch").await,
            [rows]
        );
    }
    // One self-contained file each: no journal or WAL beside them.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["after.db", "during.db"]);
}
