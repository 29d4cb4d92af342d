//! CSV rows as the inputs of the single-item services, in plain functions: the header names
//! the columns (by name, in any order; an unknown, repeated or missing required column refuses
//! the file), each row becomes a [`CreatorInput`] or a [`ConversionItem`] or a rejection that
//! names its column. Values are read as the GraphQL inputs read them (RFC 3339 date-times,
//! decimal strings, ISO codes), so a row means what the same object sent to `createCreator`
//! or `recordConversions` means.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::conversion::Kind;
use crate::domain::money::Currency;
use crate::domain::roster::Platform;
use crate::error::AppError;
use crate::service::creators::{CreatorInput, NewChannel};
use crate::service::ingest::conversions::ConversionItem;

/// The columns of a creators file; `displayName` is required.
pub const CREATOR_COLUMNS: &[&str] = &["displayName", "email", "country", "niches", "channels"];
const CREATOR_REQUIRED: &[&str] = &["displayName"];

/// The columns of a conversions file (the fields of `ConversionInput`); `externalId` and
/// `occurredAt` are required, `kind` defaults to SALE.
pub const CONVERSION_COLUMNS: &[&str] = &[
    "externalId",
    "kind",
    "occurredAt",
    "amount",
    "currencyCode",
    "customerKey",
    "customerEmail",
    "newCustomer",
    "clickId",
    "discountCode",
    "region",
];
const CONVERSION_REQUIRED: &[&str] = &["externalId", "occurredAt"];

/// Separates the entries of a list cell (`niches`, `channels`).
const LIST_SEPARATOR: char = ';';

/// Which column each position of the file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    columns: Vec<&'static str>,
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Creators,
    Conversions,
}

impl FileKind {
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Creators => CREATOR_COLUMNS,
            Self::Conversions => CONVERSION_COLUMNS,
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Creators => CREATOR_REQUIRED,
            Self::Conversions => CONVERSION_REQUIRED,
        }
    }
}

impl Header {
    /// Reads the header row. Names are matched without regard to case or surrounding space
    /// (and a UTF-8 byte-order mark); anything else refuses the whole file as BAD_USER_INPUT on
    /// `file`, before a row is read.
    pub fn parse(kind: FileKind, names: &[&str]) -> Result<Self, AppError> {
        let refuse = |message: String| AppError::bad_input("file", format!("line 1: {message}"));
        if names.iter().all(|n| n.trim().is_empty()) {
            return Err(refuse(format!(
                "a header row naming the columns is required ({})",
                kind.columns().join(", ")
            )));
        }
        let mut columns = Vec::with_capacity(names.len());
        for raw in names {
            let name = raw.trim_start_matches('\u{feff}').trim();
            let Some(column) = kind.columns().iter().find(|c| c.eq_ignore_ascii_case(name)) else {
                return Err(refuse(format!(
                    "unknown column \"{}\"; the columns are {}",
                    name.chars().take(60).collect::<String>(),
                    kind.columns().join(", ")
                )));
            };
            if columns.contains(column) {
                return Err(refuse(format!("column \"{column}\" appears twice")));
            }
            columns.push(*column);
        }
        for required in kind.required() {
            if !columns.contains(required) {
                return Err(refuse(format!("the column \"{required}\" is required")));
            }
        }
        Ok(Self { columns })
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// One row's cells by column name: trimmed, an empty cell is no value.
    fn row<'a>(&'a self, fields: &'a [&'a str]) -> Result<Row<'a>, AppError> {
        if fields.len() != self.columns.len() {
            return Err(AppError::bad_input(
                "",
                format!(
                    "the row has {} fields, the header {}",
                    fields.len(),
                    self.columns.len()
                ),
            ));
        }
        Ok(Row {
            header: self,
            fields,
        })
    }
}

struct Row<'a> {
    header: &'a Header,
    fields: &'a [&'a str],
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        let at = self.header.columns.iter().position(|c| *c == column)?;
        Some(self.fields[at].trim()).filter(|v| !v.is_empty())
    }

    fn text(&self, column: &str) -> Option<String> {
        self.get(column).map(str::to_owned)
    }
}

/// A creators row as the input of `createCreator`.
pub fn creator_input(header: &Header, fields: &[&str]) -> Result<CreatorInput, AppError> {
    let row = header.row(fields)?;
    Ok(CreatorInput {
        display_name: row.text("displayName").unwrap_or_default(),
        email: row.text("email"),
        country: row.text("country"),
        niches: row.get("niches").map(list).unwrap_or_default(),
        channels: row
            .get("channels")
            .map(channels)
            .transpose()?
            .unwrap_or_default(),
    })
}

/// A conversions row as an item of `recordConversions`.
pub fn conversion_item(header: &Header, fields: &[&str]) -> Result<ConversionItem, AppError> {
    let row = header.row(fields)?;
    let kind = match row.get("kind") {
        None => Kind::Sale,
        Some(raw) => Kind::parse(&raw.to_ascii_uppercase())
            .ok_or_else(|| AppError::bad_input("kind", "must be SALE or LEAD"))?,
    };
    Ok(ConversionItem {
        external_id: row.text("externalId").unwrap_or_default(),
        kind,
        occurred_at: date_time("occurredAt", row.get("occurredAt"))?,
        amount: row
            .get("amount")
            .map(|raw| decimal("amount", raw))
            .transpose()?,
        currency: row
            .get("currencyCode")
            .map(|raw| {
                Currency::parse(raw).map_err(|e| AppError::bad_input("currencyCode", e.to_string()))
            })
            .transpose()?,
        customer_key: row.text("customerKey"),
        customer_email: row.text("customerEmail"),
        new_customer: row
            .get("newCustomer")
            .map(|raw| boolean("newCustomer", raw))
            .transpose()?,
        click_id: row.text("clickId"),
        discount_code: row.text("discountCode"),
        region: row.text("region"),
    })
}

fn list(raw: &str) -> Vec<String> {
    raw.split(LIST_SEPARATOR)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `PLATFORM:handle[:followers]` entries separated by `;`, e.g.
/// `INSTAGRAM:@maya:120000;TIKTOK:@maya.tt:45000`.
fn channels(raw: &str) -> Result<Vec<NewChannel>, AppError> {
    let bad = |message: String| AppError::bad_input("channels", message);
    list(raw)
        .iter()
        .map(|entry| {
            let mut parts = entry.splitn(3, ':').map(str::trim);
            let platform = parts.next().unwrap_or_default();
            let platform = Platform::parse(&platform.to_ascii_uppercase()).ok_or_else(|| {
                bad(format!(
                    "\"{}\": the platform must be one of {}",
                    clip(entry),
                    Platform::ALL
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let handle = parts.next().filter(|h| !h.is_empty()).ok_or_else(|| {
                bad(format!(
                    "\"{}\": write PLATFORM:handle or PLATFORM:handle:followers",
                    clip(entry)
                ))
            })?;
            let followers = match parts.next() {
                None | Some("") => 0,
                Some(count) => count
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        bad(format!(
                            "\"{}\": followers must be a whole number of 0 or more",
                            clip(entry)
                        ))
                    })?,
            };
            Ok(NewChannel {
                platform,
                handle: handle.to_owned(),
                url: None,
                followers,
                avg_views: None,
                engagement_rate: None,
                audience_countries: Vec::new(),
            })
        })
        .collect()
}

fn date_time(field: &'static str, raw: Option<&str>) -> Result<DateTime<Utc>, AppError> {
    let raw = raw.ok_or_else(|| AppError::bad_input(field, "is required"))?;
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            AppError::bad_input(
                field,
                "expected an RFC 3339 date-time such as \"2026-01-31T12:00:00Z\"",
            )
        })
}

fn decimal(field: &'static str, raw: &str) -> Result<Decimal, AppError> {
    Decimal::from_str(raw)
        .map_err(|_| AppError::bad_input(field, "expected a decimal number such as \"12.50\""))
}

fn boolean(field: &'static str, raw: &str) -> Result<bool, AppError> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(AppError::bad_input(field, "expected true or false")),
    }
}

/// A cell quoted back in a message, cut short.
fn clip(value: &str) -> String {
    value.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: FileKind, names: &[&str]) -> Header {
        Header::parse(kind, names).unwrap()
    }

    fn field_of(err: AppError) -> String {
        err.field().unwrap_or("<none>").to_owned()
    }

    #[test]
    fn the_header_names_known_columns_in_any_order_and_case() {
        let h = header(
            FileKind::Conversions,
            &["\u{feff}OccurredAt", " externalid ", "amount"],
        );
        assert_eq!(h.columns, ["occurredAt", "externalId", "amount"]);
    }

    #[test]
    fn unknown_repeated_or_missing_columns_refuse_the_file() {
        for names in [
            &["externalId", "occurredAt", "price"][..],
            &["externalId", "occurredAt", "externalId"][..],
            &["externalId", "amount"][..],
            &[""][..],
        ] {
            let err = Header::parse(FileKind::Conversions, names).unwrap_err();
            assert_eq!(err.field(), Some("file"), "{names:?}");
            assert!(err.to_string().contains("line 1"), "{err}");
        }
        let err = Header::parse(FileKind::Creators, &["email"]).unwrap_err();
        assert!(err.to_string().contains("displayName"), "{err}");
    }

    #[test]
    fn a_conversion_row_reads_like_a_conversion_input() {
        let h = header(
            FileKind::Conversions,
            &[
                "externalId",
                "kind",
                "occurredAt",
                "amount",
                "currencyCode",
                "newCustomer",
                "clickId",
                "discountCode",
                "customerKey",
            ],
        );
        let item = conversion_item(
            &h,
            &[
                " ord-1 ",
                "lead",
                "2026-03-01T10:00:00+01:00",
                "19.90",
                "EUR",
                "yes",
                "",
                "GLOW10",
                "c-9",
            ],
        )
        .unwrap();
        assert_eq!(item.external_id, "ord-1");
        assert_eq!(item.kind, Kind::Lead);
        assert_eq!(item.occurred_at.to_rfc3339(), "2026-03-01T09:00:00+00:00");
        assert_eq!(item.amount, Some(Decimal::new(1990, 2)));
        assert_eq!(item.currency.map(|c| c.code()), Some("EUR"));
        assert_eq!(item.new_customer, Some(true));
        assert_eq!(item.click_id, None);
        assert_eq!(item.discount_code.as_deref(), Some("GLOW10"));
        assert_eq!(item.customer_key.as_deref(), Some("c-9"));
    }

    #[test]
    fn a_bad_conversion_value_names_its_column() {
        let h = header(
            FileKind::Conversions,
            &["externalId", "occurredAt", "amount", "currencyCode", "kind"],
        );
        let cases: [(&[&str], &str); 6] = [
            (&["o", "yesterday", "1", "", ""], "occurredAt"),
            (&["o", "", "1", "", ""], "occurredAt"),
            (&["o", "2026-01-01T00:00:00Z", "12,5", "", ""], "amount"),
            (
                &["o", "2026-01-01T00:00:00Z", "1", "EURO", ""],
                "currencyCode",
            ),
            (&["o", "2026-01-01T00:00:00Z", "1", "", "REFUND"], "kind"),
            (&["o", "2026-01-01T00:00:00Z", "1"], ""),
        ];
        for (fields, column) in cases {
            let err = conversion_item(&h, fields).err().expect("rejected");
            assert_eq!(field_of(err), column, "{fields:?}");
        }
        let item = conversion_item(&h, &["o", "2026-01-01T00:00:00Z", "", "", ""]).unwrap();
        assert_eq!(item.kind, Kind::Sale);
        assert_eq!(item.amount, None);
    }

    #[test]
    fn a_creator_row_reads_its_channels_and_niches() {
        let h = header(
            FileKind::Creators,
            &["displayName", "email", "country", "niches", "channels"],
        );
        let input = creator_input(
            &h,
            &[
                "Maya Lin",
                "maya@example.com",
                "us",
                "skincare; wellness",
                "INSTAGRAM:@maya:120000; tiktok:@maya.tt ;",
            ],
        )
        .unwrap();
        assert_eq!(input.display_name, "Maya Lin");
        assert_eq!(input.country.as_deref(), Some("us"));
        assert_eq!(input.niches, ["skincare", "wellness"]);
        let channels: Vec<_> = input
            .channels
            .iter()
            .map(|c| (c.platform, c.handle.as_str(), c.followers))
            .collect();
        assert_eq!(
            channels,
            [
                (Platform::Instagram, "@maya", 120_000),
                (Platform::Tiktok, "@maya.tt", 0)
            ]
        );
    }

    #[test]
    fn a_bad_channel_names_the_channels_column() {
        let h = header(FileKind::Creators, &["displayName", "channels"]);
        for bad in [
            "MYSPACE:@x:1",
            "INSTAGRAM",
            "INSTAGRAM::5",
            "TIKTOK:@x:-3",
            "X:@x:lots",
        ] {
            let err = creator_input(&h, &["Maya", bad]).err().expect("rejected");
            assert_eq!(field_of(err), "channels", "{bad}");
        }
    }

    #[test]
    fn booleans_read_the_usual_spellings() {
        for (raw, value) in [("TRUE", true), ("1", true), ("no", false), ("False", false)] {
            assert_eq!(boolean("newCustomer", raw).unwrap(), value);
        }
        assert!(boolean("newCustomer", "maybe").is_err());
    }
}
