use async_graphql::{Context, Enum, ID, InputObject, Object};

use crate::db::entity::export;
use crate::domain::export::{self as rules, LINK_KEY_PURPOSE, link_query};
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::performance::types::PerformanceDimension;
use crate::graphql::scalars::DateTime;
use crate::graphql::tracking::types::PublicUrl;

/// What an export holds (columns per kind: docs/api.md, "Exports").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::Kind")]
pub enum ExportKind {
    /// The brand's conversions (orders and leads), with attribution.
    Conversions,
    /// The brand's clicks (bots included, flagged).
    Clicks,
    /// Commission lines: the brand's, or a creator's own across its brands.
    Commissions,
    /// The brand's creator records.
    Creators,
    /// Rows of the performance report (default grouping: DAY, CAMPAIGN, CREATOR).
    Performance,
}

/// How the file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::Format")]
pub enum ExportFormat {
    /// RFC 4180 CSV with a header row (`text/csv; charset=utf-8`).
    Csv,
    /// One JSON object per line (`application/x-ndjson`).
    Jsonl,
}

/// QUEUED until the worker takes it, RUNNING while it writes, COMPLETED (download from `url`)
/// or FAILED (see `error`); EXPIRED once the file's 24 hours are up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "rules::Status")]
pub enum ExportStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Expired,
}

/// What to export. Each field applies to some kinds only (another kind's is BAD_USER_INPUT
/// naming the field): `from`/`to` (event time, `[from, to)`) to CONVERSIONS, CLICKS,
/// COMMISSIONS and PERFORMANCE (required there); `campaignId` to every kind (CREATORS: those
/// enrolled in it); `creatorId` to all but CREATORS; `groupBy` to PERFORMANCE only.
#[derive(Clone, Debug, Default, InputObject)]
pub struct ExportFilter {
    pub from: Option<DateTime>,
    pub to: Option<DateTime>,
    pub campaign_id: Option<ID>,
    pub creator_id: Option<ID>,
    /// PERFORMANCE: the report's grouping (default DAY, CAMPAIGN, CREATOR).
    pub group_by: Option<Vec<PerformanceDimension>>,
}

impl ExportFilter {
    pub fn into_rules(self) -> Result<rules::Filter, AppError> {
        let decode =
            |id: Option<ID>, kind, field| id.map(|id| id::decode_as(&id, kind, field)).transpose();
        Ok(rules::Filter {
            from: self.from.map(|d| d.0),
            to: self.to.map(|d| d.0),
            campaign_id: decode(self.campaign_id, NodeKind::Campaign, "campaignId")?,
            creator_id: decode(self.creator_id, NodeKind::Creator, "creatorId")?,
            group_by: self.group_by.map(|dims| {
                dims.into_iter()
                    .map(|d| crate::service::exports::dimension_name(d.into()).to_owned())
                    .collect()
            }),
        })
    }
}

/// A bulk export: started by `startExport`, written in the background, downloaded from `url`.
pub struct Export(pub export::Model);

impl Export {
    fn status_at(&self, now: chrono::DateTime<chrono::Utc>) -> Result<rules::Status, AppError> {
        let stored = rules::Status::parse(&self.0.status)
            .ok_or_else(|| AppError::internal("stored export status"))?;
        // A file past its time is gone for the caller even before the worker deletes it.
        Ok(match (stored, self.0.expires_at) {
            (rules::Status::Completed, Some(at)) if at <= now => rules::Status::Expired,
            _ => stored,
        })
    }
}

#[Object]
impl Export {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Export, self.0.id)
    }

    async fn kind(&self) -> Result<ExportKind, AppError> {
        crate::graphql::enums::stored(&self.0.kind, rules::Kind::parse)
    }

    async fn format(&self) -> Result<ExportFormat, AppError> {
        crate::graphql::enums::stored(&self.0.format, rules::Format::parse)
    }

    async fn status(&self, ctx: &Context<'_>) -> Result<ExportStatus, AppError> {
        Ok(self.status_at(context::now(ctx))?.into())
    }

    /// Rows written (0 until COMPLETED); the CSV header is not counted.
    async fn row_count(&self) -> i64 {
        self.0.row_count
    }

    /// The file's size in bytes, once COMPLETED.
    async fn file_size(&self) -> Option<i64> {
        self.0.file_size
    }

    /// The signed download link, `{public url}/exports/{id}/download?expires=...&signature=...`:
    /// null until COMPLETED and after `expiresAt`. Anyone holding it can download the file
    /// until then, without credentials: treat it as a secret.
    async fn url(&self, ctx: &Context<'_>) -> Result<Option<String>, AppError> {
        let now = context::now(ctx);
        let (rules::Status::Completed, Some(expires)) = (self.status_at(now)?, self.0.expires_at)
        else {
            return Ok(None);
        };
        let base = ctx
            .data::<PublicUrl>()
            .map_err(|_| AppError::internal("public url missing"))?;
        let key = context::sealing_key(ctx)?.derive(LINK_KEY_PURPOSE);
        Ok(Some(format!(
            "{}/exports/{}/download?{}",
            base.0,
            id::encode(NodeKind::Export, self.0.id).as_str(),
            link_query(&key, self.0.id, expires.timestamp())
        )))
    }

    /// When the file (and its link) stops being served: 24 hours after completion.
    async fn expires_at(&self) -> Option<DateTime> {
        self.0.expires_at.map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn started_at(&self) -> Option<DateTime> {
        self.0.started_at.map(DateTime)
    }

    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(DateTime)
    }

    /// Why it FAILED: a short message, never internal detail.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}
