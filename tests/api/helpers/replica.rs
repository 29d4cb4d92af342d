//! A throwaway primary with a streaming replica, for the read-replica tests: a cluster of its
//! own (a base backup of the shared server would copy every test's database), started like
//! the shared one by [`super::postgres`]'s functions, with the replica made by `pg_basebackup -R` and started on its own port.
//!
//! The primary runs with `wal_level=replica` and WAL senders; `initdb -A trust` already lets
//! 127.0.0.1 connect for replication. A test can pause the replica's replay (a lag of exactly
//! what was written since), resume it, stop the replica and start it again.

use std::path::PathBuf;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use super::postgres::{
    REQUIRE_VAR, chown_to_postgres, find_bindir, free_port, path_str, run, running_as_root,
    spawn_watchdog,
};

/// The database the tests use, on both servers.
const DATABASE: &str = "replicated";

pub struct Replicated {
    /// The test database on the primary, and the same database on the replica.
    pub primary_url: String,
    pub replica_url: String,
    bindir: PathBuf,
    as_postgres: bool,
    primary_data: PathBuf,
    replica_data: PathBuf,
    replica_log: PathBuf,
    replica_options: String,
}

impl Replicated {
    /// Starts both servers and waits until the replica serves reads. `None` (after a note)
    /// when PostgreSQL's binaries are missing and not required.
    pub async fn start() -> Option<Self> {
        partnergraph::telemetry::init_for_tests();
        let bindir = match find_bindir() {
            Some(bindir) => bindir,
            None if std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1") => {
                panic!("{REQUIRE_VAR}=1 but PostgreSQL's binaries (initdb, pg_ctl) are missing")
            }
            None => {
                eprintln!("SKIPPING a replica test: no PostgreSQL binaries (initdb, pg_ctl)");
                return None;
            }
        };
        let as_postgres = running_as_root();
        let dir = tempfile::Builder::new()
            .prefix("partnergraph-pg-replica-")
            .tempdir()
            .expect("temp dir")
            .keep();
        if as_postgres {
            chown_to_postgres(&dir).expect("chown");
        }
        let (primary_data, replica_data) = (dir.join("primary"), dir.join("replica"));
        spawn_watchdog(
            as_postgres,
            &bindir,
            &dir,
            &[replica_data.clone(), primary_data.clone()],
        )
        .expect("watchdog");
        let primary_port = free_port().expect("port");
        let initdb = [
            "-D",
            path_str(&primary_data).expect("path"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ];
        run(as_postgres, &bindir.join("initdb"), &initdb).expect("initdb");
        let primary_options = format!(
            "{} -c wal_level=replica -c max_wal_senders=4",
            options(primary_port)
        );
        pg_ctl_start(
            as_postgres,
            &bindir,
            &primary_data,
            &dir.join("primary.log"),
            &primary_options,
        );
        let server = format!("postgres://postgres@127.0.0.1:{primary_port}");
        let admin = Database::connect(format!("{server}/postgres"))
            .await
            .expect("connect to the primary");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {DATABASE}"))
            .await
            .expect("create the test database");
        admin.close().await.expect("close");

        let port = primary_port.to_string();
        let basebackup = [
            "-D",
            path_str(&replica_data).expect("path"),
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-R",
            "-X",
            "stream",
            // At once, rather than after the next spread checkpoint (a minute or more).
            "--checkpoint=fast",
            "--no-sync",
        ];
        run(as_postgres, &bindir.join("pg_basebackup"), &basebackup).expect("pg_basebackup");
        let replica_port = free_port().expect("port");
        let replica = Self {
            primary_url: format!("{server}/{DATABASE}"),
            replica_url: format!("postgres://postgres@127.0.0.1:{replica_port}/{DATABASE}"),
            bindir,
            as_postgres,
            replica_log: dir.join("replica.log"),
            primary_data,
            replica_data,
            replica_options: format!("{} -c hot_standby=on", options(replica_port)),
        };
        replica.start_replica();
        Some(replica)
    }

    /// Starts the replica (again, after [`Replicated::stop_replica`]) and waits until it
    /// serves reads.
    pub fn start_replica(&self) {
        pg_ctl_start(
            self.as_postgres,
            &self.bindir,
            &self.replica_data,
            &self.replica_log,
            &self.replica_options,
        );
    }

    /// Stops the replica (fast shutdown: its connections are closed).
    pub fn stop_replica(&self) {
        let data = path_str(&self.replica_data).expect("path");
        let args = ["-D", data, "-m", "fast", "-w", "stop"];
        run(self.as_postgres, &self.bindir.join("pg_ctl"), &args).expect("stop the replica");
    }

    /// Pauses the replica's replay and waits until it is paused: from then on it serves what
    /// was replayed, and nothing written later, until [`Replicated::resume_replay`].
    pub async fn pause_replay(&self) {
        self.wait_replayed().await;
        let replica = self.replica().await;
        execute(&replica, "SELECT pg_wal_replay_pause()").await;
        let paused = poll(Duration::from_secs(10), || async {
            text(&replica, "SELECT pg_get_wal_replay_pause_state() AS v").await == "paused"
        })
        .await;
        assert!(paused, "the replica's replay did not pause");
        replica.close().await.expect("close");
    }

    pub async fn resume_replay(&self) {
        let replica = self.replica().await;
        execute(&replica, "SELECT pg_wal_replay_resume()").await;
        replica.close().await.expect("close");
    }

    /// Waits until the replica has replayed everything the primary wrote so far.
    pub async fn wait_replayed(&self) {
        let primary = Database::connect(self.primary_url.as_str())
            .await
            .expect("connect to the primary");
        let written = text(&primary, "SELECT pg_current_wal_lsn()::text AS v").await;
        primary.close().await.expect("close");
        let replica = self.replica().await;
        let sql = format!("SELECT (pg_last_wal_replay_lsn() >= '{written}'::pg_lsn)::text AS v");
        let replayed = poll(Duration::from_secs(10), || async {
            text(&replica, &sql).await == "true"
        })
        .await;
        assert!(replayed, "the replica did not replay up to {written}");
        replica.close().await.expect("close");
    }

    /// On the replica, the age of the last transaction it replayed (the naive measure of
    /// lag, which grows while the primary commits nothing).
    pub async fn seconds_since_last_replayed_commit(&self) -> f64 {
        let replica = self.replica().await;
        let sql = "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::text AS v";
        let seconds = text(&replica, sql).await;
        replica.close().await.expect("close");
        seconds.parse().expect("seconds")
    }

    async fn replica(&self) -> DatabaseConnection {
        Database::connect(self.replica_url.as_str())
            .await
            .expect("connect to the replica")
    }
}

/// Both servers stop with the test (the watchdog removes their files when the run ends).
impl Drop for Replicated {
    fn drop(&mut self) {
        for data in [&self.replica_data, &self.primary_data] {
            if let Ok(data) = path_str(data) {
                let args = ["-D", data, "-m", "immediate", "stop"];
                // Already stopped (a test stopped the replica) is fine.
                let _ = run(self.as_postgres, &self.bindir.join("pg_ctl"), &args);
            }
        }
    }
}

/// The shared server's settings, on `port`.
fn options(port: u16) -> String {
    format!(
        "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' \
         -c fsync=off -c synchronous_commit=off -c max_connections=100"
    )
}

fn pg_ctl_start(
    as_postgres: bool,
    bindir: &std::path::Path,
    data: &std::path::Path,
    log: &std::path::Path,
    options: &str,
) {
    let args = [
        "-D",
        path_str(data).expect("path"),
        "-l",
        path_str(log).expect("path"),
        "-o",
        options,
        "-w",
        "-t",
        "60",
        "start",
    ];
    run(as_postgres, &bindir.join("pg_ctl"), &args).expect("pg_ctl start");
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.expect(sql);
}

/// The text column `v` of the one row `sql` answers.
async fn text(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("one row");
    row.try_get::<String>("", "v").expect("v")
}

/// Polls `check` every 20 ms until it holds or `deadline` has passed.
pub async fn poll<F, Fut>(deadline: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = std::time::Instant::now() + deadline;
    loop {
        if check().await {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
