use std::process::ExitCode;

use clap::Parser;
use migration::{Migrator, MigratorTrait};
use partnergraph::cli::{Cli, Command, MigrateAction, RollupsAction};
use partnergraph::config::LogFormat;
use partnergraph::config::{Config, DatabaseConfig};
use partnergraph::service::rollups_rebuild;
use partnergraph::{app, db, graphql, telemetry};

/// mimalloc rather than glibc's allocator for Rust's allocations: rendering a report's page of
/// 5,000 rows spent 40% of its time in glibc's `malloc` and `free` and the page faults of the
/// memory it maps and unmaps (async-graphql allocates per field); mimalloc keeps freed pages
/// for reuse. Measured in BENCHMARKS.md (session 17), with what it costs in peak memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    runtime.block_on(async_main())
}

/// C code still allocates with glibc (SQLite's page caches, above all). glibc gives threads
/// that contend for the allocator arenas of their own (up to eight per core) and keeps what is
/// freed in each: SQLite's connection threads then hold on to their peaks separately. Two
/// arenas are enough for two cores; a by-creator report over 10,000 creators (SQLite, scale
/// 1.0, before mimalloc) peaked at 174 MB without the limit and 136 MB with it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets an allocator parameter, and it runs before any other thread
    // exists (the runtime is built after it).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

async fn async_main() -> ExitCode {
    let cli = Cli::parse();
    let format = match &cli.command {
        Command::Serve(args) => args.log_format,
        _ => LogFormat::Text,
    };
    telemetry::init(format);
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(args) => {
            let config = Config::from_serve_args(&args).map_err(|e| e.to_string())?;
            app::serve(config).await.map_err(|e| e.to_string())
        }
        Command::Migrate { db: args, action } => {
            let config = DatabaseConfig::from_args(&args).map_err(|e| e.to_string())?;
            let conn = db::connect(&config).await.map_err(|e| e.to_string())?;
            let result = match action {
                MigrateAction::Up => Migrator::up(&conn, None).await,
                MigrateAction::Down { all: true, .. } => Migrator::reset(&conn).await,
                MigrateAction::Down { steps, .. } => Migrator::down(&conn, Some(steps)).await,
                MigrateAction::Status => Migrator::status(&conn).await,
            };
            result.map_err(|e| e.to_string())
        }
        Command::Rollups {
            db: args,
            action: RollupsAction::Rebuild { brand },
        } => {
            let config = DatabaseConfig::from_args(&args).map_err(|e| e.to_string())?;
            let conn = db::connect(&config).await.map_err(|e| e.to_string())?;
            let brands = match brand {
                Some(id) => vec![id],
                None => rollups_rebuild::brand_ids(&conn)
                    .await
                    .map_err(|e| e.to_string())?,
            };
            for id in brands {
                let done = rollups_rebuild::rebuild(&conn, id)
                    .await
                    .map_err(|e| format!("brand {id}: {e}"))?;
                println!(
                    "brand {id}: {} human clicks, {} conversions, {} commission lines",
                    done.clicks, done.conversions, done.commission_lines
                );
            }
            rollups_rebuild::tidy(&conn)
                .await
                .map_err(|e| format!("after the rebuild: {e}"))
        }
        Command::Backup { db: args, out } => {
            let config = DatabaseConfig::from_args(&args).map_err(|e| e.to_string())?;
            let done = db::backup::backup(&config, &out)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "backup written to {}: {} bytes, integrity ok, {} migrations applied{}, in {:.1} s",
                done.path.display(),
                done.bytes,
                done.migrations,
                done.latest_migration
                    .map(|m| format!(" (latest {m})"))
                    .unwrap_or_default(),
                done.elapsed.as_secs_f64()
            );
            Ok(())
        }
        Command::ExportSchema { out } => {
            let sdl = graphql::sdl();
            if out.as_os_str() == "-" {
                print!("{sdl}");
                Ok(())
            } else {
                std::fs::write(&out, sdl).map_err(|e| format!("{}: {e}", out.display()))
            }
        }
    }
}
