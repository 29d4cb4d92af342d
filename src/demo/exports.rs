//! A completed export in the demo brand: the last 30 days of conversions as CSV, started as
//! the demo ADMIN through the export service and written by the export worker, so its file is
//! in the export directory and `exports` shows it COMPLETED with a working `url` (for 24 hours
//! after the load; the worker then deletes the file and it reads EXPIRED).

use std::sync::Arc;

use chrono::Duration;

use super::{Demo, LoadError, StepContext};
use crate::clock::SystemClock;
use crate::config::ExportConfig;
use crate::domain::export::{Filter, Format, Kind};
use crate::exports::Worker;
use crate::service::exports::{self, NewExport};

/// Days of conversions the demo export covers.
pub const DAYS: i64 = 30;

pub(super) async fn load(demo: &Demo<'_>, config: &ExportConfig) -> Result<(), LoadError> {
    exports::start(
        demo.db,
        &demo.admin,
        NewExport {
            kind: Kind::Conversions,
            format: Format::Csv,
            filter: Filter {
                from: Some(demo.days(-DAYS)),
                to: Some(demo.now + Duration::seconds(1)),
                ..Filter::default()
            },
        },
        demo.now,
    )
    .await
    .step(|| "start the demo export".into())?;
    let worker = Worker::new(
        config.clone(),
        crate::db::Db::primary_only(demo.db.clone()),
        Arc::new(SystemClock),
    );
    let written = worker
        .poll()
        .await
        .step(|| "write the demo export".into())?;
    if written != 1 {
        return Err(LoadError::Step {
            step: "write the demo export".into(),
            detail: format!("the worker wrote {written} exports, not 1"),
        });
    }
    Ok(())
}
