//! The requests compared: groupings x ranges, a tail around the new year, an empty week, and
//! filters.

use serde_json::{Value, json};

use super::data_set::{AVA, DataSet, FINN, GIA};
use super::oracle::{Dim, Query};
use super::{ranges, ts};
use crate::helpers::world::db_id;

pub struct Case {
    pub label: String,
    pub query: Query,
    variables: Value,
}

impl Case {
    pub fn variables(&self) -> Value {
        self.variables.clone()
    }
}

struct Filter<'a> {
    campaigns: Option<&'a [usize]>,
    creators: Option<&'a [usize]>,
    platforms: Option<&'a [&'a str]>,
}

const NO_FILTER: Filter<'static> = Filter {
    campaigns: None,
    creators: None,
    platforms: None,
};

fn case(
    set: &DataSet,
    range_name: &str,
    range: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
    group_by: Option<&[Dim]>,
    filter: Filter<'_>,
) -> Case {
    let pick = |all: &[String], chosen: Option<&[usize]>| -> Option<Vec<String>> {
        chosen.map(|c| c.iter().map(|&i| all[i].clone()).collect())
    };
    let campaigns = pick(&set.campaigns, filter.campaigns);
    let creators = pick(&set.creators, filter.creators);
    let platforms: Option<Vec<String>> = filter
        .platforms
        .map(|p| p.iter().map(|s| (*s).to_owned()).collect());
    let mut variables = json!({ "filter": { "from": ts(range.0), "to": ts(range.1) } });
    if let Some(ids) = &campaigns {
        variables["filter"]["campaignIds"] = json!(ids);
    }
    if let Some(ids) = &creators {
        variables["filter"]["creatorIds"] = json!(ids);
    }
    if let Some(platforms) = &platforms {
        variables["filter"]["platforms"] = json!(platforms);
    }
    if let Some(group_by) = group_by {
        let names: Vec<&str> = group_by.iter().map(|d| d.name()).collect();
        variables["groupBy"] = json!(names);
    }
    let db_ids = |ids: Option<Vec<String>>| -> Option<Vec<i64>> {
        ids.map(|ids| ids.iter().map(|id| db_id(id)).collect())
    };
    let label = format!(
        "range {range_name} [{}, {}), groupBy {}, filter {}",
        ts(range.0),
        ts(range.1),
        variables.get("groupBy").unwrap_or(&json!("omitted")),
        variables["filter"]
            .as_object()
            .map(|f| {
                f.iter()
                    .filter(|(k, _)| *k != "from" && *k != "to")
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "none".into()),
    );
    Case {
        label,
        query: Query {
            from: range.0,
            to: range.1,
            group_by: group_by.map(<[Dim]>::to_vec),
            campaigns: db_ids(campaigns),
            creators: db_ids(creators),
            platforms,
        },
        variables,
    }
}

pub fn all(set: &DataSet) -> Vec<Case> {
    use Dim::*;
    let r = ranges();
    let groupings: [&[Dim]; 10] = [
        &[],
        &[Campaign],
        &[Creator],
        &[Platform],
        &[Offer],
        &[Day],
        &[Week],
        &[Month],
        &[Campaign, Creator, Week],
        &[Platform, Day],
    ];
    let mut cases = Vec::new();
    for (name, range) in [("whole", r.whole), ("midnight", r.midnight), ("odd", r.odd)] {
        for group_by in groupings {
            cases.push(case(set, name, range, Some(group_by), NO_FILTER));
        }
    }
    for group_by in [&[Week][..], &[Day], &[Month], &[Campaign, Creator, Week]] {
        cases.push(case(set, "tail", r.tail, Some(group_by), NO_FILTER));
    }
    cases.push(case(set, "whole", r.whole, None, NO_FILTER));
    cases.push(case(set, "gap", r.gap, None, NO_FILTER));
    cases.push(case(set, "gap", r.gap, Some(&[Day]), NO_FILTER));
    let filtered: [(&str, _, &[Dim], Filter<'_>); 9] = [
        // Grouped by time alone and filtered: one campaign's or creators' visitors per
        // period (the dashboard's campaign by DAY).
        (
            "midnight",
            r.midnight,
            &[Day],
            Filter {
                campaigns: Some(&[0]),
                ..NO_FILTER
            },
        ),
        (
            "whole",
            r.whole,
            &[Week],
            Filter {
                creators: Some(&[AVA, GIA]),
                ..NO_FILTER
            },
        ),
        (
            "whole",
            r.whole,
            &[Creator, Month],
            Filter {
                campaigns: Some(&[0, 2]),
                ..NO_FILTER
            },
        ),
        (
            "midnight",
            r.midnight,
            &[Campaign, Offer],
            Filter {
                creators: Some(&[AVA, FINN, GIA]),
                ..NO_FILTER
            },
        ),
        (
            "odd",
            r.odd,
            &[Platform, Week],
            Filter {
                platforms: Some(&["TIKTOK", "YOUTUBE"]),
                ..NO_FILTER
            },
        ),
        (
            "whole",
            r.whole,
            &[Creator, Day],
            Filter {
                campaigns: Some(&[1]),
                creators: Some(&[AVA, FINN]),
                platforms: Some(&["TIKTOK"]),
            },
        ),
        (
            "whole",
            r.whole,
            &[],
            Filter {
                platforms: Some(&["INSTAGRAM"]),
                ..NO_FILTER
            },
        ),
        (
            "whole",
            r.whole,
            &[Platform, Campaign],
            Filter {
                creators: Some(&[FINN]),
                ..NO_FILTER
            },
        ),
        (
            "odd",
            r.odd,
            &[Creator, Week],
            Filter {
                creators: Some(&[AVA, GIA]),
                ..NO_FILTER
            },
        ),
    ];
    for (name, range, group_by, filter) in filtered {
        cases.push(case(set, name, range, Some(group_by), filter));
    }
    cases
}
