//! A throwaway PostgreSQL server for the test run, started from the system binaries
//! (`pg_config --bindir`) on 127.0.0.1 and a free port, one database per test.
//!
//! - As root, `initdb` and `postgres` run as the `postgres` system user (`runuser`).
//! - A detached watchdog stops the server and deletes its data directory as soon as the test
//!   process is gone, however it ends.
//! - `PARTNERGRAPH_TEST_POSTGRES_URL` uses an existing server instead (a database per test is
//!   created in it).
//! - No binaries: a loud skip, or a failure when `PARTNERGRAPH_REQUIRE_POSTGRES=1` (CI).

/// Declared here rather than in `helpers/mod.rs` because the benchmarks' tests include this file
/// alone; the API tests reach it as `helpers::ports`.
#[path = "ports.rs"]
pub mod ports;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database};

pub const REQUIRE_VAR: &str = "PARTNERGRAPH_REQUIRE_POSTGRES";
pub const URL_VAR: &str = "PARTNERGRAPH_TEST_POSTGRES_URL";

/// The server for this test process: its admin URL without a database name.
struct Server {
    base_url: String,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// Creates an empty database and returns its URL, or `None` (after a loud message) when no
/// PostgreSQL is available and it is not required.
pub async fn create_database() -> Option<String> {
    let server = match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(reason) => {
            if std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1") {
                panic!("{REQUIRE_VAR}=1 but PostgreSQL is unavailable: {reason}");
            }
            warn_skip_once(reason);
            return None;
        }
    };
    let name = format!(
        "pg_test_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let admin = Database::connect(format!("{}/postgres", server.base_url))
        .await
        .expect("connect to the test PostgreSQL server");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.expect("close admin connection");
    Some(format!("{}/{name}", server.base_url))
}

fn warn_skip_once(reason: &str) {
    static WARNED: OnceLock<()> = OnceLock::new();
    WARNED.get_or_init(|| {
        // Written to the real stderr, past the test harness's capture.
        let _ = writeln!(
            std::io::stderr(),
            "\n\
             ************************************************************************\n\
             *  SKIPPING the PostgreSQL half of the test suite: {reason}\n\
             *  Install PostgreSQL (initdb, pg_ctl on PATH or via pg_config), or set\n\
             *  {URL_VAR}. CI sets {REQUIRE_VAR}=1 and fails instead.\n\
             ************************************************************************\n"
        );
    });
}

fn start() -> Result<Server, String> {
    if let Ok(url) = std::env::var(URL_VAR) {
        return Ok(Server {
            base_url: url.trim_end_matches('/').to_owned(),
        });
    }
    let bindir = find_bindir().ok_or("no PostgreSQL binaries (initdb, pg_ctl) found")?;
    let dir = tempfile::Builder::new()
        .prefix("partnergraph-pg-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?
        .keep();
    let as_postgres = running_as_root();
    if as_postgres {
        chown_to_postgres(&dir)?;
    }
    let data = dir.join("data");
    let port = free_port()?;
    run(
        as_postgres,
        &bindir.join("initdb"),
        &[
            "-D",
            path_str(&data)?,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
    )?;
    let options = format!(
        "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    );
    let log = dir.join("server.log");
    run(
        as_postgres,
        &bindir.join("pg_ctl"),
        &[
            "-D",
            path_str(&data)?,
            "-l",
            path_str(&log)?,
            "-o",
            &options,
            "-w",
            "-t",
            "60",
            "start",
        ],
    )?;
    spawn_watchdog(as_postgres, &bindir, &dir, &[data])?;
    Ok(Server {
        base_url: format!("postgres://postgres@127.0.0.1:{port}"),
    })
}

pub(crate) fn find_bindir() -> Option<PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let candidates = from_pg_config.into_iter().chain(
        std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

pub(crate) fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

pub(crate) fn chown_to_postgres(dir: &Path) -> Result<(), String> {
    let status = Command::new("chown")
        .args(["-R", "postgres:"])
        .arg(dir)
        .status()
        .map_err(|e| format!("chown: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| "cannot chown the data directory to the postgres user".to_owned())
}

pub(crate) fn free_port() -> Result<u16, String> {
    Ok(ports::free_port())
}

pub(crate) fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", path.display()))
}

fn command(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

pub(crate) fn run(as_postgres: bool, program: &Path, args: &[&str]) -> Result<(), String> {
    let output = command(as_postgres, program)
        .args(args)
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A detached shell that waits for this process to end, then stops the servers of `data`
/// (their data directories) and removes `dir`. Detached with `setsid` so that Ctrl-C on the
/// test run does not kill it first.
pub(crate) fn spawn_watchdog(
    as_postgres: bool,
    bindir: &Path,
    dir: &Path,
    data: &[PathBuf],
) -> Result<(), String> {
    let pg_ctl = bindir.join("pg_ctl");
    let stop = if as_postgres {
        format!("runuser -u postgres -- '{}'", pg_ctl.display())
    } else {
        format!("'{}'", pg_ctl.display())
    };
    let stops: String = data
        .iter()
        .map(|data| {
            format!(
                "{stop} -D '{}' -m immediate stop >/dev/null 2>&1; ",
                data.display()
            )
        })
        .collect();
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; {stops}rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display(),
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("watchdog: {e}"))
}
