//! The bulk path: multi-row INSERT statements of a few hundred rows, with bound values (so that
//! times, booleans and decimals are encoded exactly as SeaORM encodes the entities' columns),
//! many statements per transaction.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait, Value,
};

/// Bound values per statement, below SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_VALUES: usize = 16_000;
const MAX_ROWS: usize = 500;
/// Rows per transaction.
const ROWS_PER_TXN: u64 = 50_000;

/// `INSERT INTO "table" ("a", "b") VALUES (?, ?), (?, ?)` with the backend's placeholders.
pub fn insert_sql(backend: DbBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!(
        "INSERT INTO \"{table}\" ({}) VALUES ",
        columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..columns.len() {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => sql.push_str(&format!("${n}")),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Rows of one table, written a statement at a time, committed every [`ROWS_PER_TXN`] rows.
pub struct Bulk<'a> {
    db: &'a DatabaseConnection,
    txn: Option<DatabaseTransaction>,
    table: &'static str,
    columns: &'static [&'static str],
    rows_per_statement: usize,
    full_sql: String,
    pending: Vec<Value>,
    pending_rows: usize,
    rows_in_txn: u64,
    /// Rows written so far.
    pub rows: u64,
}

impl<'a> Bulk<'a> {
    pub fn new(
        db: &'a DatabaseConnection,
        table: &'static str,
        columns: &'static [&'static str],
    ) -> Self {
        let rows_per_statement = (MAX_VALUES / columns.len()).clamp(1, MAX_ROWS);
        Self {
            db,
            txn: None,
            table,
            columns,
            rows_per_statement,
            full_sql: insert_sql(
                db.get_database_backend(),
                table,
                columns,
                rows_per_statement,
            ),
            pending: Vec::with_capacity(rows_per_statement * columns.len()),
            pending_rows: 0,
            rows_in_txn: 0,
            rows: 0,
        }
    }

    /// Adds a row, its values in the order of the columns.
    pub async fn push(&mut self, row: Vec<Value>) -> Result<(), DbErr> {
        if row.len() != self.columns.len() {
            return Err(DbErr::Custom(format!(
                "{}: {} values for {} columns",
                self.table,
                row.len(),
                self.columns.len()
            )));
        }
        self.pending.extend(row);
        self.pending_rows += 1;
        if self.pending_rows == self.rows_per_statement {
            self.write().await?;
        }
        Ok(())
    }

    async fn write(&mut self) -> Result<(), DbErr> {
        if self.pending_rows == 0 {
            return Ok(());
        }
        let backend = self.db.get_database_backend();
        let sql = if self.pending_rows == self.rows_per_statement {
            self.full_sql.clone()
        } else {
            insert_sql(backend, self.table, self.columns, self.pending_rows)
        };
        let values = std::mem::take(&mut self.pending);
        let txn = match self.txn.take() {
            Some(txn) => txn,
            None => {
                let txn = self.db.begin().await?;
                if backend == DbBackend::Sqlite {
                    // A bigger page cache for this connection: indexes of millions of rows.
                    txn.execute_unprepared("PRAGMA cache_size = -262144")
                        .await?;
                }
                txn
            }
        };
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        self.rows += self.pending_rows as u64;
        self.rows_in_txn += self.pending_rows as u64;
        self.pending_rows = 0;
        if self.rows_in_txn >= ROWS_PER_TXN {
            txn.commit().await?;
            self.rows_in_txn = 0;
        } else {
            self.txn = Some(txn);
        }
        Ok(())
    }

    /// Writes what is left and commits; returns the rows written.
    pub async fn finish(mut self) -> Result<u64, DbErr> {
        self.write().await?;
        if let Some(txn) = self.txn.take() {
            txn.commit().await?;
        }
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_one_placeholder_per_value() {
        assert_eq!(
            insert_sql(DbBackend::Sqlite, "t", &["a", "b"], 2),
            r#"INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?)"#
        );
        assert_eq!(
            insert_sql(DbBackend::Postgres, "t", &["a", "b"], 2),
            r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4)"#
        );
    }
}
