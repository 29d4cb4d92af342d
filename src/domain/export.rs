//! Bulk exports (issue #22), the pure parts: kinds, formats and statuses; which filter fields
//! apply to which kind; the columns of each kind; how a row is written as CSV or JSONL; and the
//! signature of a download link.
//!
//! - **Cells.** A row is a list of [`Cell`]s in the kind's column order. CSV (RFC 4180, the
//!   `csv` crate's quoting) writes every cell as text: money as a decimal string (`"12.50"`,
//!   beside a currency column), times as RFC 3339 UTC, booleans `true`/`false`, lists joined
//!   with `;`, null as an empty field. JSONL writes one object per line with the same keys in
//!   the same order: money and decimals stay strings (never a float), counts are numbers, lists
//!   arrays, null `null`.
//! - **Links.** A download link is `/exports/{id}/download?expires={unix}&signature={sig}` with
//!   `sig` = base64url (no padding) of HMAC-SHA256(key, `"partnergraph-export:{id}:{expires}"`),
//!   the key derived from the server's `PARTNERGRAPH_SECRET_KEY`; it is checked in constant
//!   time.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::stored_enum;
use super::webhook::{constant_time_eq, hmac_sha256};

/// How long a completed export's file (and its link) lives.
pub const LINK_TTL_HOURS: i64 = 24;

/// What the key that signs download links is derived for (from `PARTNERGRAPH_SECRET_KEY`).
pub const LINK_KEY_PURPOSE: &str = "partnergraph export download links v1";

/// Exports of one brand (or one creator account) that may wait or run at once.
pub const MAX_ACTIVE: u64 = 5;

stored_enum! {
    /// What an export holds.
    pub enum Kind {
        Conversions => "CONVERSIONS",
        Clicks => "CLICKS",
        Commissions => "COMMISSIONS",
        Creators => "CREATORS",
        Performance => "PERFORMANCE",
    }
}

stored_enum! {
    /// How the file is written.
    pub enum Format {
        Csv => "CSV",
        Jsonl => "JSONL",
    }
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Jsonl => "application/x-ndjson",
        }
    }
}

stored_enum! {
    /// QUEUED -> RUNNING -> COMPLETED (-> EXPIRED once its file is deleted), or FAILED.
    pub enum Status {
        Queued => "QUEUED",
        Running => "RUNNING",
        Completed => "COMPLETED",
        Failed => "FAILED",
        Expired => "EXPIRED",
    }
}

/// The filter of an export, as validated and stored (ids are database ids). `group_by` holds
/// performance dimension names (`DAY`, `CAMPAIGN`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
}

/// A filter field that does not fit the kind, or a bad range: the field (as the API names it)
/// and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub field: &'static str,
    pub message: String,
}

/// The default grouping of a PERFORMANCE export: one row per day, campaign and creator.
pub const DEFAULT_PERFORMANCE_GROUPING: [&str; 3] = ["DAY", "CAMPAIGN", "CREATOR"];

/// Which filter fields `kind` takes: `(from/to, campaignId, creatorId, groupBy)`.
fn accepts(kind: Kind) -> (bool, bool, bool, bool) {
    match kind {
        Kind::Conversions | Kind::Clicks | Kind::Commissions => (true, true, true, false),
        Kind::Creators => (false, true, false, false),
        Kind::Performance => (true, true, true, true),
    }
}

/// Checks that every field given applies to `kind` and that the range is a range. A
/// PERFORMANCE export needs both `from` and `to` (its report's range).
pub fn check_filter(kind: Kind, filter: &Filter) -> Result<(), FilterError> {
    let (range, campaign, creator, group_by) = accepts(kind);
    let refuse = |field: &'static str| FilterError {
        field,
        message: format!("does not apply to {} exports", kind.as_str()),
    };
    if !range && filter.from.is_some() {
        return Err(refuse("from"));
    }
    if !range && filter.to.is_some() {
        return Err(refuse("to"));
    }
    if !campaign && filter.campaign_id.is_some() {
        return Err(refuse("campaignId"));
    }
    if !creator && filter.creator_id.is_some() {
        return Err(refuse("creatorId"));
    }
    if !group_by && filter.group_by.is_some() {
        return Err(refuse("groupBy"));
    }
    if kind == Kind::Performance {
        for (field, value) in [("from", filter.from), ("to", filter.to)] {
            if value.is_none() {
                return Err(FilterError {
                    field,
                    message: "is required for PERFORMANCE exports".into(),
                });
            }
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(FilterError {
            field: "to",
            message: "must be after from".into(),
        });
    }
    Ok(())
}

/// The columns of a kind, in file order (CSV header, JSONL keys).
pub fn columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Conversions => &[
            "id",
            "externalId",
            "kind",
            "status",
            "occurredAt",
            "amount",
            "currencyCode",
            "brandAmount",
            "brandCurrencyCode",
            "exchangeRate",
            "refundedAmount",
            "brandRefundedAmount",
            "newCustomer",
            "customerKey",
            "region",
            "clickId",
            "discountCode",
            "attributionMethod",
            "selfReferral",
            "enrollmentId",
            "campaignId",
            "creatorId",
            "offerId",
            "createdAt",
        ],
        Kind::Clicks => &[
            "clickId",
            "occurredAt",
            "linkId",
            "linkCode",
            "enrollmentId",
            "campaignId",
            "creatorId",
            "isBot",
            "country",
            "referrerHost",
            "userAgentClass",
            "source",
        ],
        Kind::Commissions => &[
            "id",
            "kind",
            "status",
            "amount",
            "currencyCode",
            "occurredAt",
            "holdUntil",
            "conversionId",
            "enrollmentId",
            "campaignId",
            "creatorId",
            "brandId",
            "payoutId",
            "reason",
            "createdAt",
        ],
        Kind::Creators => &[
            "id",
            "displayName",
            "email",
            "country",
            "niches",
            "stage",
            "vettingStatus",
            "brandSafetyScore",
            "followers",
            "tier",
            "primaryPlatform",
            "erasedAt",
            "createdAt",
            "updatedAt",
        ],
        Kind::Performance => &[
            "period",
            "periodStart",
            "campaignId",
            "creatorId",
            "platform",
            "offerId",
            "currencyCode",
            "clicks",
            "uniqueClicks",
            "impressions",
            "sales",
            "leads",
            "newCustomers",
            "revenue",
            "commissions",
            "otherCosts",
            "spend",
            "ctr",
            "conversionRate",
            "aov",
            "cpa",
            "cac",
            "roas",
            "roi",
            "epc",
        ],
    }
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    /// An exact decimal (money amounts, rates), written as its string in both formats.
    Decimal(String),
    /// A ratio that is not money (CTR, ROAS...): a JSON number, plain digits in CSV.
    Ratio(f64),
    Time(DateTime<Utc>),
    List(Vec<String>),
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Self {
        Self::Text(value.into())
    }

    pub fn opt_text(value: Option<impl Into<String>>) -> Self {
        value.map_or(Self::Null, |v| Self::Text(v.into()))
    }

    pub fn opt_time(value: Option<DateTime<Utc>>) -> Self {
        value.map_or(Self::Null, Self::Time)
    }

    /// The CSV field.
    pub fn csv(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Text(s) | Self::Decimal(s) => s.clone(),
            Self::Int(i) => i.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Ratio(r) if r.is_finite() => r.to_string(),
            Self::Ratio(_) => String::new(),
            Self::Time(t) => rfc3339(*t),
            Self::List(items) => items.join(";"),
        }
    }

    /// The JSON value.
    pub fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Text(s) | Self::Decimal(s) => Value::String(s.clone()),
            Self::Int(i) => Value::from(*i),
            Self::Bool(b) => Value::Bool(*b),
            Self::Ratio(r) => serde_json::Number::from_f64(*r).map_or(Value::Null, Value::Number),
            Self::Time(t) => Value::String(rfc3339(*t)),
            Self::List(items) => Value::from(items.clone()),
        }
    }
}

/// RFC 3339 in UTC with `Z`, like the API's `DateTime`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The bytes that open a file: the CSV header row; nothing for JSONL.
pub fn header(format: Format, columns: &[&str]) -> Vec<u8> {
    match format {
        Format::Csv => csv_bytes(std::iter::once(
            columns.iter().map(|c| (*c).to_owned()).collect(),
        )),
        Format::Jsonl => Vec::new(),
    }
}

/// `rows` (each in `columns` order) as CSV records or JSONL lines.
pub fn encode(format: Format, columns: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    match format {
        Format::Csv => csv_bytes(rows.iter().map(|row| row.iter().map(Cell::csv).collect())),
        Format::Jsonl => {
            let mut out = Vec::with_capacity(rows.len() * 256);
            for row in rows {
                out.extend_from_slice(json_line(columns, row).as_bytes());
                out.push(b'\n');
            }
            out
        }
    }
}

/// One JSON object, keys in column order (serde_json's map would sort them).
fn json_line(columns: &[&str], row: &[Cell]) -> String {
    let mut line = String::from("{");
    for (i, (column, cell)) in columns.iter().zip(row).enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&serde_json::Value::from(*column).to_string());
        line.push(':');
        line.push_str(&cell.json().to_string());
    }
    line.push('}');
    line
}

fn csv_bytes(records: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in records {
        // Writing to a Vec cannot fail but for a record of another length, which the callers
        // never build (every row has the kind's columns).
        if writer.write_record(&record).is_err() {
            continue;
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// The message signed for a link to export `id` valid until `expires` (unix seconds).
fn link_message(id: i64, expires: i64) -> String {
    format!("partnergraph-export:{id}:{expires}")
}

/// The `signature` of a download link: base64url (no padding) of HMAC-SHA256.
pub fn link_signature(key: &[u8], id: i64, expires: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(hmac_sha256(key, link_message(id, expires).as_bytes()))
}

/// Whether `signature` signs a link to export `id` valid until `expires` (constant time).
pub fn verify_link(key: &[u8], id: i64, expires: i64, signature: &str) -> bool {
    let expected = link_signature(key, id, expires);
    constant_time_eq(signature.as_bytes(), expected.as_bytes())
}

/// The query string of a download link.
pub fn link_query(key: &[u8], id: i64, expires: i64) -> String {
    format!(
        "expires={expires}&signature={}",
        link_signature(key, id, expires)
    )
}

/// The file name shown to the downloader: `partnergraph-conversions-42.csv`.
pub fn download_name(kind: Kind, format: Format, id: i64) -> String {
    format!(
        "partnergraph-{}-{id}.{}",
        kind.as_str().to_ascii_lowercase(),
        format.extension()
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap()
    }

    #[test]
    fn csv_rows_are_quoted_and_typed() {
        let columns = ["id", "name", "amount", "bot", "at", "tags", "none"];
        let row = vec![
            Cell::Int(7),
            Cell::text("Glow, \"the\" shop\nline two"),
            Cell::Decimal("12.50".into()),
            Cell::Bool(false),
            Cell::Time(at(9)),
            Cell::List(vec!["beauty".into(), "skin care".into()]),
            Cell::Null,
        ];
        let mut bytes = header(Format::Csv, &columns);
        bytes.extend(encode(Format::Csv, &columns, &[row]));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "id,name,amount,bot,at,tags,none\r\n\
             7,\"Glow, \"\"the\"\" shop\nline two\",12.50,false,2026-11-30T09:00:00Z,beauty;skin care,\r\n"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[1], "Glow, \"the\" shop\nline two");
        assert_eq!(&record[6], "");
    }

    #[test]
    fn jsonl_lines_keep_column_order_and_money_as_strings() {
        let columns = ["id", "amount", "ratio", "at", "tags", "none", "inf"];
        let row = vec![
            Cell::text("Q29udmVyc2lvbjox"),
            Cell::Decimal("0.10".into()),
            Cell::Ratio(0.25),
            Cell::Time(at(0)),
            Cell::List(vec!["a".into()]),
            Cell::Null,
            Cell::Ratio(f64::INFINITY),
        ];
        assert!(header(Format::Jsonl, &columns).is_empty());
        let text = String::from_utf8(encode(Format::Jsonl, &columns, &[row.clone(), row])).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            r#"{"id":"Q29udmVyc2lvbjox","amount":"0.10","ratio":0.25,"at":"2026-11-30T00:00:00Z","tags":["a"],"none":null,"inf":null}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(parsed["amount"], "0.10");
    }

    #[test]
    fn links_verify_only_for_their_export_expiry_and_key() {
        let key = [7u8; 32];
        let signature = link_signature(&key, 42, 1_800_000_000);
        assert!(!signature.contains('=') && !signature.contains('+'));
        assert!(verify_link(&key, 42, 1_800_000_000, &signature));
        assert!(!verify_link(&key, 43, 1_800_000_000, &signature));
        assert!(!verify_link(&key, 42, 1_800_000_001, &signature));
        assert!(!verify_link(&[8u8; 32], 42, 1_800_000_000, &signature));
        assert!(!verify_link(&key, 42, 1_800_000_000, ""));
        let mut tampered = signature.clone().into_bytes();
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(!verify_link(&key, 42, 1_800_000_000, &tampered));
        assert_eq!(
            link_query(&key, 42, 5),
            format!("expires=5&signature={}", link_signature(&key, 42, 5))
        );
    }

    #[test]
    fn filters_are_checked_per_kind() {
        let ok = Filter {
            from: Some(at(0)),
            to: Some(at(1)),
            campaign_id: Some(1),
            creator_id: Some(2),
            group_by: None,
        };
        for kind in [Kind::Conversions, Kind::Clicks, Kind::Commissions] {
            assert_eq!(check_filter(kind, &ok), Ok(()));
        }
        assert_eq!(check_filter(Kind::Creators, &ok).unwrap_err().field, "from");
        let creators = Filter {
            campaign_id: Some(1),
            ..Filter::default()
        };
        assert_eq!(check_filter(Kind::Creators, &creators), Ok(()));
        let by_creator = Filter {
            creator_id: Some(1),
            ..Filter::default()
        };
        let err = check_filter(Kind::Creators, &by_creator).unwrap_err();
        assert_eq!(err.field, "creatorId");
        assert!(err.message.contains("CREATORS"), "{}", err.message);
        let grouped = Filter {
            group_by: Some(vec!["DAY".into()]),
            ..Filter::default()
        };
        assert_eq!(
            check_filter(Kind::Conversions, &grouped).unwrap_err().field,
            "groupBy"
        );
        assert_eq!(
            check_filter(Kind::Performance, &grouped).unwrap_err().field,
            "from"
        );
        let backwards = Filter {
            from: Some(at(2)),
            to: Some(at(1)),
            ..Filter::default()
        };
        assert_eq!(
            check_filter(Kind::Clicks, &backwards).unwrap_err().field,
            "to"
        );
    }

    #[test]
    fn filters_round_trip_as_json() {
        let filter = Filter {
            from: Some(at(0)),
            campaign_id: Some(3),
            group_by: Some(vec!["DAY".into()]),
            ..Filter::default()
        };
        let json = serde_json::to_string(&filter).unwrap();
        assert_eq!(
            json,
            r#"{"from":"2026-11-30T00:00:00Z","campaignId":3,"groupBy":["DAY"]}"#
        );
        assert_eq!(serde_json::from_str::<Filter>(&json).unwrap(), filter);
        assert_eq!(
            serde_json::from_str::<Filter>("{}").unwrap(),
            Filter::default()
        );
    }

    #[test]
    fn names_and_media_types() {
        assert_eq!(
            download_name(Kind::Conversions, Format::Csv, 42),
            "partnergraph-conversions-42.csv"
        );
        assert_eq!(Format::Jsonl.content_type(), "application/x-ndjson");
        for kind in Kind::ALL {
            assert!(!columns(*kind).is_empty());
        }
    }
}
