//! CSV imports (DOMAIN "bulk data"): creators with their channels, and conversions (backfill).
//!
//! [`start`] reads the header row (an unknown, repeated or missing required column refuses the
//! file at once, BAD_USER_INPUT on `file`), stores an `imports` row (RUNNING) and hands the
//! file to a background task, so the upload answers at once whatever the file's size and the
//! request timeout. The task reads [`CHUNK_ROWS`] rows at a time (bounded memory), sends each
//! chunk through the same service as the single operations (`createCreator`'s insert, or
//! `recordConversions` itself: validation, currency, attribution, commissions, idempotency on
//! `externalId`, change feed, webhooks, subscriptions), and adds the chunk's counts and
//! rejections to the import. A bad row is rejected with its line (the header is line 1), its
//! column and code, and never stops the others. A failure of the server (the database gone)
//! ends the import FAILED; the rows of the chunks before it stay imported, and uploading the
//! file again reports them as duplicates.

mod creators;
pub mod rows;

use std::fs::File;
use std::sync::{Arc, LazyLock};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    TransactionTrait,
};
use tokio::sync::Semaphore;
use tracing::instrument;

use self::rows::{FileKind, Header};
use super::audit;
use super::page::{self, KeysetPage};
use super::scoped;
use crate::auth::{Actor, Permission};
use crate::clock::Clock;
use crate::db::entity::{import, import_rejection};
use crate::error::AppError;
use crate::global_id::NodeKind;
use crate::service::ingest::batch::ItemStatus;
use crate::service::ingest::conversions;

/// Rows per chunk: one transaction of the service each (`recordConversions`' batch limit).
pub const CHUNK_ROWS: usize = crate::domain::conversion::MAX_BATCH;
/// Rejections stored per import (the `rejected` counter counts them all).
pub const MAX_STORED_REJECTIONS: i64 = 10_000;
/// Imports run at once in this process; more wait their turn (still RUNNING).
const CONCURRENT_IMPORTS: usize = 2;
/// On SQLite, the pause after each chunk: a writer waiting for the database lock (a login, a
/// click batch, `recordConversions`) polls it every 100 ms at worst, and would otherwise find
/// it taken again by the next chunk until its busy timeout ran out. PostgreSQL queues the
/// brand's writers fairly on the brand row, and needs no pause.
const SQLITE_PAUSE: std::time::Duration = std::time::Duration::from_millis(120);

static RUNNING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(CONCURRENT_IMPORTS));

pub use self::rows::FileKind as ImportKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportStatus {
    Running,
    Completed,
    Failed,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Running, Self::Completed, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creators => "CREATORS",
            Self::Conversions => "CONVERSIONS",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Creators, Self::Conversions]
            .into_iter()
            .find(|k| k.as_str() == value)
    }

    /// Creators are created by MANAGER and ADMIN; conversions by INGEST keys, as through
    /// `createCreator` and `recordConversions`.
    fn permission(self) -> Permission {
        match self {
            Self::Creators => Permission::ManagePartnerships,
            Self::Conversions => Permission::Ingest,
        }
    }
}

/// The uploaded file: its name as sent and its content (a spooled temporary file).
pub struct Upload {
    pub file_name: String,
    pub content: File,
}

/// Checks the caller and the header row, stores the import (RUNNING) and starts it in the
/// background; answers the stored import.
#[instrument(skip_all, fields(kind = kind.as_str()))]
pub async fn start(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: ImportKind,
    upload: Upload,
    clock: Arc<dyn Clock>,
) -> Result<import::Model, AppError> {
    let brand_id = actor.require(kind.permission())?;
    let file_name = clip(upload.file_name.trim(), 200);
    let (reader, header) = spawn_blocking(move || open(kind, upload.content)).await??;
    let row = import::ActiveModel {
        brand_id: Set(brand_id),
        kind: Set(kind.as_str().to_owned()),
        status: Set(ImportStatus::Running.as_str().to_owned()),
        file_name: Set(file_name),
        rows_read: Set(0),
        imported: Set(0),
        duplicates: Set(0),
        rejected: Set(0),
        created_at: Set(clock.now()),
        ..Default::default()
    };
    // One entry for the import, here in the request. The background task runs outside the
    // mutation's audit scope: its chunks (rows created, conversions recorded) record none.
    let record = audit::insert(db, NodeKind::Import, row).await?;
    let job = Job {
        db: db.clone(),
        actor: actor.clone(),
        import_id: record.id,
        brand_id,
        kind,
        header,
        clock,
    };
    tokio::spawn(job.run(reader));
    Ok(record)
}

/// An import of the caller's brand: staff who read the brand, and the keys that may import.
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
) -> Result<import::Model, AppError> {
    let brand_id = readable_brand(actor)?;
    scoped::find_in_brand::<import::Entity, _>(db, brand_id, id).await
}

/// The imports of the caller's brand, oldest first (staff who read the brand, and the keys that
/// may import).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    page: KeysetPage,
) -> Result<(Vec<import::Model>, u64), AppError> {
    let brand_id = readable_brand(actor)?;
    let select = import::Entity::find().filter(import::Column::BrandId.eq(brand_id));
    page::by_id(db, select, import::Column::Id, page).await
}

/// The stored rejections of an import, by line.
pub async fn rejections(
    db: &DatabaseConnection,
    actor: &Actor,
    import_id: i64,
    page: KeysetPage,
) -> Result<(Vec<import_rejection::Model>, u64), AppError> {
    let brand_id = readable_brand(actor)?;
    let select = import_rejection::Entity::find()
        .filter(import_rejection::Column::BrandId.eq(brand_id))
        .filter(import_rejection::Column::ImportId.eq(import_id));
    page::by_id(db, select, import_rejection::Column::Id, page).await
}

fn readable_brand(actor: &Actor) -> Result<i64, AppError> {
    actor
        .require(Permission::ReadBrand)
        .or_else(|_| actor.require(Permission::Ingest))
}

type Reader = csv::Reader<File>;

/// The CSV reader over the file, with the header row read and checked.
fn open(kind: ImportKind, content: File) -> Result<(Reader, Header), AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(content);
    let names = match reader.headers() {
        Ok(names) => names.clone(),
        Err(err) => {
            return Err(AppError::bad_input(
                "file",
                format!("line 1: not a CSV header row ({})", describe(&err)),
            ));
        }
    };
    let names: Vec<&str> = names.iter().collect();
    let header = Header::parse(kind, &names)?;
    Ok((reader, header))
}

/// One row of the file: its line and its cells, or why it could not be read.
struct RawRow {
    line: u64,
    fields: Result<Vec<String>, AppError>,
}

/// Up to `CHUNK_ROWS` rows; `None` at the end of the file. An I/O error ends the import.
fn read_chunk(reader: &mut Reader) -> Result<Option<Vec<RawRow>>, AppError> {
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    let mut record = csv::StringRecord::new();
    while chunk.len() < CHUNK_ROWS {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => chunk.push(RawRow {
                line: record.position().map_or(0, |p| p.line()),
                fields: Ok(record.iter().map(str::to_owned).collect()),
            }),
            Err(err) => {
                let line = err.position().map(|p| p.line());
                match (err.kind(), line) {
                    (
                        csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. },
                        Some(line),
                    ) => chunk.push(RawRow {
                        line,
                        fields: Err(AppError::bad_input("", describe(&err))),
                    }),
                    _ => return Err(AppError::internal(format!("reading an import: {err}"))),
                }
            }
        }
    }
    Ok((!chunk.is_empty()).then_some(chunk))
}

/// A CSV error without its position (the line is reported on its own).
fn describe(err: &csv::Error) -> String {
    match err.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".into(),
        _ => "the file could not be read as CSV".into(),
    }
}

/// What became of one row.
pub(crate) enum Outcome {
    Imported,
    Duplicate,
    Rejected(AppError),
}

/// The rows of a chunk that parsed, with their lines, and the rejections so far.
struct Parsed<T> {
    items: Vec<(u64, T)>,
    rejected: Vec<(u64, AppError)>,
}

fn parse_chunk<T>(
    chunk: Vec<RawRow>,
    header: &Header,
    parse: impl Fn(&Header, &[&str]) -> Result<T, AppError>,
) -> Parsed<T> {
    let mut parsed = Parsed {
        items: Vec::with_capacity(chunk.len()),
        rejected: Vec::new(),
    };
    for row in chunk {
        let item = row.fields.and_then(|fields| {
            let cells: Vec<&str> = fields.iter().map(String::as_str).collect();
            parse(header, &cells)
        });
        match item {
            Ok(item) => parsed.items.push((row.line, item)),
            Err(err) => parsed.rejected.push((row.line, err)),
        }
    }
    parsed
}

struct Job {
    db: DatabaseConnection,
    actor: Actor,
    import_id: i64,
    brand_id: i64,
    kind: ImportKind,
    header: Header,
    clock: Arc<dyn Clock>,
}

impl Job {
    async fn run(self, reader: Reader) {
        let Ok(_permit) = RUNNING.acquire().await else {
            return;
        };
        let status = match self.read_all(reader).await {
            Ok(()) => ImportStatus::Completed,
            Err(err) => {
                tracing::error!(import_id = self.import_id, error = ?err, "import failed");
                ImportStatus::Failed
            }
        };
        let error = (status == ImportStatus::Failed).then(|| {
            "the import stopped on a server error; the rows counted were imported, and \
             uploading the file again reports them as duplicates"
                .to_owned()
        });
        let finished = import::Entity::update_many()
            .col_expr(import::Column::Status, Expr::value(status.as_str()))
            .col_expr(import::Column::Error, Expr::value(error))
            .col_expr(import::Column::FinishedAt, Expr::value(self.clock.now()))
            .filter(import::Column::Id.eq(self.import_id))
            .exec(&self.db)
            .await;
        if let Err(err) = finished {
            tracing::error!(import_id = self.import_id, error = %err, "could not finish an import");
        }
    }

    async fn read_all(&self, mut reader: Reader) -> Result<(), AppError> {
        loop {
            let (back, chunk) = spawn_blocking(move || {
                let chunk = read_chunk(&mut reader);
                (reader, chunk)
            })
            .await?;
            reader = back;
            let Some(chunk) = chunk? else {
                return Ok(());
            };
            let rows_read = chunk.len();
            let started = std::time::Instant::now();
            let outcomes = self.import_chunk(chunk).await?;
            self.save_progress(rows_read, outcomes).await?;
            tracing::debug!(
                import_id = self.import_id,
                rows = rows_read,
                ms = started.elapsed().as_millis() as u64,
                "import chunk"
            );
            if self.db.get_database_backend() == DbBackend::Sqlite {
                tokio::time::sleep(SQLITE_PAUSE).await;
            }
        }
    }

    /// Each row of the chunk with what became of it.
    async fn import_chunk(&self, chunk: Vec<RawRow>) -> Result<Vec<(u64, Outcome)>, AppError> {
        let now = self.clock.now();
        let mut outcomes: Vec<(u64, Outcome)>;
        match self.kind {
            ImportKind::Creators => {
                let parsed = parse_chunk(chunk, &self.header, rows::creator_input);
                outcomes = creators::import(&self.db, self.brand_id, parsed.items, now).await?;
                outcomes.extend(
                    parsed
                        .rejected
                        .into_iter()
                        .map(|(l, e)| (l, Outcome::Rejected(e))),
                );
            }
            ImportKind::Conversions => {
                let parsed = parse_chunk(chunk, &self.header, rows::conversion_item);
                let (lines, items): (Vec<u64>, Vec<_>) = parsed.items.into_iter().unzip();
                let results = conversions::record(&self.db, &self.actor, items, now).await?;
                outcomes = lines
                    .into_iter()
                    .zip(results)
                    .map(|(line, result)| {
                        let outcome = match (result.status, result.error) {
                            (ItemStatus::Accepted, _) => Outcome::Imported,
                            (ItemStatus::Duplicate, _) => Outcome::Duplicate,
                            (ItemStatus::Rejected, err) => {
                                Outcome::Rejected(err.unwrap_or_else(|| {
                                    AppError::internal("rejected without error")
                                }))
                            }
                        };
                        (line, outcome)
                    })
                    .collect();
                outcomes.extend(
                    parsed
                        .rejected
                        .into_iter()
                        .map(|(l, e)| (l, Outcome::Rejected(e))),
                );
            }
        }
        outcomes.sort_by_key(|(line, _)| *line);
        Ok(outcomes)
    }

    /// Adds a chunk's counts to the import and stores its rejections (up to the bound).
    async fn save_progress(
        &self,
        rows_read: usize,
        outcomes: Vec<(u64, Outcome)>,
    ) -> Result<(), AppError> {
        let count = |wanted: fn(&Outcome) -> bool| {
            outcomes.iter().filter(|(_, o)| wanted(o)).count() as i64
        };
        let imported = count(|o| matches!(o, Outcome::Imported));
        let duplicates = count(|o| matches!(o, Outcome::Duplicate));
        let rejected = count(|o| matches!(o, Outcome::Rejected(_)));
        let txn = self.db.begin().await?;
        let stored = import::Entity::find_by_id(self.import_id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        let room = usize::try_from(MAX_STORED_REJECTIONS - stored.rejected).unwrap_or(0);
        let rejections: Vec<import_rejection::ActiveModel> = outcomes
            .into_iter()
            .filter_map(|(line, outcome)| match outcome {
                Outcome::Rejected(err) => Some(rejection(self.brand_id, self.import_id, line, err)),
                _ => None,
            })
            .take(room)
            .collect();
        if !rejections.is_empty() {
            import_rejection::Entity::insert_many(rejections)
                .exec(&txn)
                .await?;
        }
        import::Entity::update_many()
            .col_expr(
                import::Column::RowsRead,
                Expr::col(import::Column::RowsRead).add(rows_read as i64),
            )
            .col_expr(
                import::Column::Imported,
                Expr::col(import::Column::Imported).add(imported),
            )
            .col_expr(
                import::Column::Duplicates,
                Expr::col(import::Column::Duplicates).add(duplicates),
            )
            .col_expr(
                import::Column::Rejected,
                Expr::col(import::Column::Rejected).add(rejected),
            )
            .filter(import::Column::Id.eq(self.import_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// A rejected row as stored: the column its error names (the first part of a nested field
/// such as `channels.handle`), the code and the message without the field.
fn rejection(
    brand_id: i64,
    import_id: i64,
    line: u64,
    err: AppError,
) -> import_rejection::ActiveModel {
    let code = err.code().as_str().to_owned();
    let (field, message) = match err {
        AppError::BadUserInput { field, message } => {
            let column = field.split('.').next().unwrap_or_default().to_owned();
            (Some(column).filter(|c| !c.is_empty()), message)
        }
        other => (None, other.to_string()),
    };
    import_rejection::ActiveModel {
        brand_id: Set(brand_id),
        import_id: Set(import_id),
        line: Set(line as i64),
        field: Set(field),
        code: Set(code),
        message: Set(clip(&message, 500)),
        ..Default::default()
    }
}

async fn spawn_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| AppError::internal(format!("import task: {err}")))
}

fn clip(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}
