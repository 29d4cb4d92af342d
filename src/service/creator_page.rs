//! A page of the creators list with its creators' channels in the same statement: the page
//! (sorted, limited, with its count) joined to the channels of its rows, so that the list and
//! its channels take one round trip instead of two (BENCHMARKS.md, session 22). Both read only
//! the columns asked for ([`projection`]).

use sea_orm::{ConnectionTrait, EntityName, IdenStatic, QueryResult, Statement};

use super::page::PageQuery;
use crate::db::entity::{channel, creator};
use crate::db::projection::{self, Columns};
use crate::error::AppError;

/// The columns a list of creators reads: of each creator, and of their channels when the list
/// reads those too.
#[derive(Clone, Copy, Debug)]
pub struct ListColumns {
    pub creators: Columns<creator::Column>,
    pub channels: Option<Columns<channel::Column>>,
}

/// A creator of a list, with its channels (largest first) when the list read them.
#[derive(Clone, Debug)]
pub struct Listed {
    pub creator: creator::Model,
    pub channels: Option<Vec<channel::Model>>,
}

/// The page's alias in the statement that joins it to the channels.
const PAGE: &str = "listed";

/// Runs `page`, joined to the channels of its rows when `channels` are asked for, and reads each
/// creator with its channels.
pub async fn read<Db: ConnectionTrait>(
    db: &Db,
    page: &PageQuery<creator::Column>,
    channels: Option<Columns<channel::Column>>,
) -> Result<(Vec<Listed>, u64), AppError> {
    let Some(channels) = channels else {
        let (rows, count) = page.rows(db, page.statement.clone()).await?;
        let listed = rows
            .iter()
            .map(|row| {
                Ok(Listed {
                    creator: projection::read(row, &page.columns)?,
                    channels: None,
                })
            })
            .collect::<Result<_, sea_orm::DbErr>>()?;
        return Ok((listed, count));
    };
    let channels = channels.with(channel::Column::CreatorId);
    let statement = joined(page, channels);
    let (rows, count) = page.rows(db, statement).await?;
    Ok((grouped(&rows, page, channels)?, count))
}

/// `page`'s columns and count, then `channels`' columns, one row per channel of each of its
/// rows (one row with no channel when it has none), in the page's order, then each creator's
/// channels largest first.
///
/// Written as text around the page's statement (whose `LIMIT` is a literal, see
/// [`super::page::sorted_query`]): only the page's statement carries values, and every name
/// here is a table's or a column's (double quotes, as both PostgreSQL and SQLite quote them).
fn joined(page: &PageQuery<creator::Column>, channels: Columns<channel::Column>) -> Statement {
    use channel::Column as C;
    let order = if page.descending { "DESC" } else { "ASC" };
    let table = channel::Entity.table_name();
    let listed = page
        .selected()
        .map(|column| format!("\"{PAGE}\".\"{column}\""));
    let joined = channels
        .iter()
        .map(|column| format!("\"{table}\".\"{}\"", column.as_str()));
    let columns = listed.chain(joined).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns} FROM ({page}) AS \"{PAGE}\" \
         LEFT JOIN \"{table}\" ON \"{table}\".\"{owner}\" = \"{PAGE}\".\"{id}\" \
         ORDER BY \"{PAGE}\".\"{sort}\" {order}, \"{PAGE}\".\"{id}\" {order}, \
         \"{table}\".\"{followers}\" DESC, \"{table}\".\"{channel_id}\" ASC",
        page = page.statement.sql,
        owner = C::CreatorId.as_str(),
        id = creator::Column::Id.as_str(),
        sort = page.sort.as_str(),
        followers = C::Followers.as_str(),
        channel_id = C::Id.as_str(),
    );
    Statement {
        sql,
        values: page.statement.values.clone(),
        db_backend: page.statement.db_backend,
    }
}

/// The creators of the joined `rows`, each read once, with their channels.
fn grouped(
    rows: &[QueryResult],
    page: &PageQuery<creator::Column>,
    channels: Columns<channel::Column>,
) -> Result<Vec<Listed>, sea_orm::DbErr> {
    let id_at = page.columns.position(creator::Column::Id).unwrap_or(0);
    let first_channel = page.width();
    let channel_owner_at = first_channel
        + channels
            .position(channel::Column::CreatorId)
            .unwrap_or_default();
    let mut listed: Vec<Listed> = Vec::new();
    for row in rows {
        let id: i64 = row.try_get_by_index(id_at)?;
        let same = listed.last().is_some_and(|last| last.creator.id == id);
        if !same {
            listed.push(Listed {
                creator: projection::read(row, &page.columns)?,
                channels: Some(Vec::new()),
            });
        }
        // No channel: the join's columns are null.
        let owner: Option<i64> = row.try_get_by_index(channel_owner_at)?;
        if owner.is_some()
            && let Some(Listed {
                channels: Some(of_creator),
                ..
            }) = listed.last_mut()
        {
            of_creator.push(projection::read_at(row, &channels, first_channel)?);
        }
    }
    Ok(listed)
}
