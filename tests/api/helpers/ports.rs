//! Ports for the servers the tests start as processes (partnergraph, PostgreSQL, SMTP), which
//! bind them only after their start-up (seconds with `--demo` or `initdb`).
//!
//! A port asked of the kernel (a bind to port 0) and released for the child to bind can be
//! handed out again in that window, to another test's server or to an outgoing connection; a
//! test then talks to another test's server, which stops under it (seen in CI: a `--demo`
//! server's examples refused right after `/healthz` had answered). These ports come from below
//! Linux's ephemeral range (32768-60999), where neither kind of port lands, and each is handed
//! out once per test binary, from a start that differs between processes.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// The range ports are taken from.
const FIRST: u32 = 20_000;
const COUNT: u32 = 12_000;

/// A port free on 127.0.0.1 now, and not handed out before by this process.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7_919) % COUNT;
    loop {
        let taken = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(taken < COUNT, "every test port was handed out");
        let port = (FIRST + (start + taken) % COUNT) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

#[test]
fn ports_are_below_the_ephemeral_range_and_never_repeat() {
    let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
    let mut unique = ports.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ports.len());
    assert!(
        ports.iter().all(|&p| (20_000..32_000).contains(&p)),
        "{ports:?}"
    );
}
