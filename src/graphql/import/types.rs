use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use crate::db::entity::{import, import_rejection};
use crate::error::AppError;
use crate::graphql::connection::{Page, PageRequest, id_page};
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::DateTime;
use crate::service::imports;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "imports::ImportKind")]
pub enum ImportKind {
    /// Creators with their channels (`importCreators`).
    Creators,
    /// Conversions, new or backfilled (`importConversions`).
    Conversions,
}

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "imports::ImportStatus")]
pub enum ImportStatus {
    /// Rows are being read; the counters grow chunk by chunk.
    Running,
    /// Every row was read and reported.
    Completed,
    /// Stopped on a server error: the rows counted were imported (see `error`).
    Failed,
}

/// An uploaded CSV file and what became of each row: `rowsRead = imported + duplicates +
/// rejected`, with the rejected rows by line in `rejectedRows`.
pub struct Import(pub import::Model);

#[Object]
impl Import {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Import, self.0.id)
    }

    async fn kind(&self) -> Result<ImportKind, AppError> {
        imports::ImportKind::parse(&self.0.kind)
            .map(ImportKind::from)
            .ok_or_else(|| AppError::internal("stored import kind"))
    }

    async fn status(&self) -> Result<ImportStatus, AppError> {
        imports::ImportStatus::parse(&self.0.status)
            .map(ImportStatus::from)
            .ok_or_else(|| AppError::internal("stored import status"))
    }

    /// The file's name as uploaded.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// Data rows read so far (the header is not counted).
    async fn rows_read(&self) -> i64 {
        self.0.rows_read
    }

    /// Rows stored as new creators or conversions.
    async fn imported(&self) -> i64 {
        self.0.imported
    }

    /// Rows already stored (same `externalId`, or a creator with the same email): nothing
    /// written.
    async fn duplicates(&self) -> i64 {
        self.0.duplicates
    }

    /// Rows not imported; the first 10,000 are listed in `rejectedRows`.
    async fn rejected(&self) -> i64 {
        self.0.rejected
    }

    /// Why a FAILED import stopped (never a server detail).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn finished_at(&self) -> Option<DateTime> {
        self.0.finished_at.map(Into::into)
    }

    /// The rejected rows, by line.
    async fn rejected_rows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<ImportRejection>, AppError> {
        let request = PageRequest::new(first, after)?.counting(ctx);
        let rows = imports::rejections(
            context::db(ctx)?,
            context::actor(ctx)?,
            self.0.id,
            request.by_id()?,
        )
        .await?;
        Ok(id_page(&request, rows, |r| r.id, ImportRejection::from))
    }
}

/// A row that was not imported.
#[derive(SimpleObject)]
pub struct ImportRejection {
    /// 1-based line of the file (the header is line 1).
    pub line: i64,
    /// The column the error is about, when it names one.
    pub field: Option<String>,
    /// `extensions.code` the same value would get from the single operation (BAD_USER_INPUT,
    /// NOT_FOUND, CONFLICT).
    pub code: String,
    pub message: String,
}

impl From<import_rejection::Model> for ImportRejection {
    fn from(row: import_rejection::Model) -> Self {
        Self {
            line: row.line,
            field: row.field,
            code: row.code,
            message: row.message,
        }
    }
}
