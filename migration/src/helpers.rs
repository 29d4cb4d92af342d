//! Builders shared by the migrations, so every key and index follows one naming scheme:
//! `fk_<table>_<column>`, `idx_<table>_<columns>` and `uq_<table>_<columns>` (all well under
//! PostgreSQL's 63-byte identifier limit).
//!
//! These run inside migrations that may already be applied somewhere: never change what an
//! existing helper emits; add a new helper instead.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

/// A `CHAR(3)` NOT NULL ISO 4217 currency code column.
pub fn currency<T: IntoIden>(col: T) -> ColumnDef {
    char_len(col, 3)
}

/// A TEXT NOT NULL column holding a JSON array, `'[]'` when not given.
pub fn json_list<T: IntoIden>(col: T) -> ColumnDef {
    text(col).default("[]").take()
}

/// A named foreign key `table(column) -> ref_table(ref_column)`.
///
/// Foreign keys are always declared inside `CREATE TABLE` (SQLite cannot add them later).
pub fn fk<T, C, R, RC>(
    table: T,
    column: C,
    ref_table: R,
    ref_column: RC,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    T: Iden + 'static,
    C: Iden + 'static,
    R: Iden + 'static,
    RC: Iden + 'static,
{
    let name = format!("fk_{}_{}", table.unquoted(), column.unquoted());
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(ref_table, ref_column)
        .on_delete(on_delete)
        .take()
}

/// A named (non-unique) index on `table(columns...)`.
pub fn index<T, C>(table: T, columns: &[C]) -> IndexCreateStatement
where
    T: Iden + 'static,
    C: Iden + Copy + 'static,
{
    build_index("idx", table, columns)
}

/// A named unique index on `table(columns...)`; unique-violations name it in the error.
pub fn unique_index<T, C>(table: T, columns: &[C]) -> IndexCreateStatement
where
    T: Iden + 'static,
    C: Iden + Copy + 'static,
{
    build_index("uq", table, columns).unique().take()
}

fn build_index<T, C>(prefix: &str, table: T, columns: &[C]) -> IndexCreateStatement
where
    T: Iden + 'static,
    C: Iden + Copy + 'static,
{
    let column_names: Vec<&str> = columns.iter().map(|c| c.unquoted()).collect();
    let name = format!("{prefix}_{}_{}", table.unquoted(), column_names.join("_"));
    let mut stmt = Index::create().name(name).table(table).take();
    for column in columns {
        stmt.col(*column);
    }
    stmt
}

/// `ALTER TABLE table ADD COLUMN column`: one column a statement, as SQLite adds them.
pub async fn add_column<T: IntoIden>(
    manager: &SchemaManager<'_>,
    table: T,
    mut column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

/// `ALTER TABLE table DROP COLUMN column`, the undoing of [`add_column`].
pub async fn drop_column<T: IntoIden, C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: T,
    column: C,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

/// The `n`th bound parameter of a raw statement.
pub fn placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// A `YYYY-MM-DD` text parameter compared with a DATE column (PostgreSQL needs the cast;
/// SQLite stores dates as this text).
pub fn date_placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(${n} AS DATE)"),
        _ => "?".to_owned(),
    }
}

/// Merges a stored visitor sketch (`bytes`) into the union kept for `key` (an lg_k 16 union,
/// the sketches' own size, made on its first sketch).
pub fn merge_sketch(
    unions: &mut std::collections::BTreeMap<i64, datasketches::hll::HllUnion>,
    key: i64,
    bytes: &[u8],
) -> Result<(), DbErr> {
    let sketch = datasketches::hll::HllSketch::deserialize(bytes)
        .map_err(|e| DbErr::Custom(format!("unreadable stored sketch: {e}")))?;
    match unions.entry(key) {
        std::collections::btree_map::Entry::Occupied(mut union) => union.get_mut().update(&sketch),
        std::collections::btree_map::Entry::Vacant(slot) => {
            let mut union = datasketches::hll::HllUnion::new(16)
                .map_err(|e| DbErr::Custom(format!("lg_k 16 refused: {e}")))?;
            union.update(&sketch);
            slot.insert(union);
        }
    }
    Ok(())
}

/// The (brand, period start as text) pairs of `table` by its date column `date`, in order:
/// the periods a migration merges sketches of, one at a time.
pub async fn periods_of<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
    table: &str,
    date: &str,
) -> Result<Vec<sea_orm_migration::sea_orm::QueryResult>, DbErr> {
    let statement = sea_orm_migration::sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!(
            "SELECT DISTINCT brand_id, CAST({date} AS TEXT) AS start FROM {table} \
             ORDER BY brand_id, start"
        ),
    );
    db.query_all_raw(statement).await
}
