//! Command line: `partnergraph serve | migrate | rollups | backup | export-schema`. It only parses: the
//! options of each concern (and their `PARTNERGRAPH_*` variables; flags win) are declared with
//! the settings they become, in [`crate::config`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{DatabaseArgs, ServeArgs};

#[derive(Debug, Parser)]
#[command(
    name = "partnergraph",
    version,
    about = "GraphQL API for creator partnerships"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start-up: the size of the `Serve` variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP until SIGINT/SIGTERM.
    Serve(Box<ServeArgs>),
    /// Apply, roll back or list migrations.
    Migrate {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Maintain the performance rollups.
    Rollups {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(subcommand)]
        action: RollupsAction,
    },
    /// Copy the SQLite database to a new file while the server runs (online, consistent; see
    /// docs/operations.md). PostgreSQL is backed up with its own tools.
    Backup {
        #[command(flatten)]
        db: DatabaseArgs,
        /// The backup file to create; it must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the GraphQL schema (sorted SDL) to a file, or to stdout with `--out -`.
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum RollupsAction {
    /// Recompute rollups from the stored events (after a restore or a data fix).
    Rebuild {
        /// Only this brand (database id); every brand when left out.
        #[arg(long)]
        brand: Option<i64>,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Roll back migrations (the last one by default).
    Down {
        /// How many to roll back; `--all` rolls back every one.
        #[arg(long, default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
}
