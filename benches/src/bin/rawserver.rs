//! `rawserver`: the raw axum baselines of the benchmark table (rows 1 to 3), one process.
//! See `partnergraph_bench::raw` for what each route does and leaves out.

use std::net::SocketAddr;

use clap::Parser;
use partnergraph::config::Secret;
use partnergraph_bench::raw::{self, Pool, RawState};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "Raw axum baselines for the PartnerGraph benchmarks")]
struct Args {
    /// The database PartnerGraph serves (`sqlite://file.db` or `postgres://...`).
    #[arg(long, env = "PARTNERGRAPH_DATABASE_URL")]
    database_url: String,
    #[arg(long, default_value = "127.0.0.1:8090")]
    bind: SocketAddr,
    /// The server's JWT secret: access tokens are verified as PartnerGraph verifies them.
    #[arg(long, env = "PARTNERGRAPH_JWT_SECRET", hide_env_values = true)]
    jwt_secret: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let pool = Pool::connect(&args.database_url).await?;
    let state = RawState::load(pool, &Secret::new(args.jwt_secret)).await?;
    eprintln!(
        "rawserver: {} links loaded, serving on {}",
        state.links.len(),
        args.bind
    );
    let listener = TcpListener::bind(args.bind).await?;
    axum::serve(listener, raw::router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
