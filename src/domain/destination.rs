//! Where a redirect sends the visitor: the link's destination with its UTM parameters, plus the
//! click id. Existing query parameters are kept byte for byte (only those we set are replaced),
//! so a landing page that reads its own parameters sees them as the brand wrote them.

use url::Url;
use url::form_urlencoded;

/// The query parameter carrying the click id to the landing page.
pub const CLICK_PARAM: &str = "pg_click";

/// The UTM values of a link; `None` leaves the destination's own value (if any) alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub content: Option<String>,
}

impl Utm {
    fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("utm_source", &self.source),
            ("utm_medium", &self.medium),
            ("utm_campaign", &self.campaign),
            ("utm_content", &self.content),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|v| (key, v)))
    }
}

/// Parses a stored destination and applies the UTM values; `None` for anything that is not an
/// absolute http(s) URL (a redirect must never lead elsewhere).
pub fn with_utm(destination: &str, utm: &Utm) -> Option<Url> {
    let mut url = Url::parse(destination).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    let replaced: Vec<&str> = utm
        .pairs()
        .map(|(key, _)| key)
        .chain([CLICK_PARAM])
        .collect();
    let mut query: Vec<String> = url
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|segment| !segment.is_empty())
        .filter(|segment| !replaced.contains(&decoded_key(segment).as_str()))
        .map(str::to_owned)
        .collect();
    query.extend(utm.pairs().map(|(key, value)| encode_pair(key, value)));
    set_query(&mut url, &query.join("&"));
    Some(url)
}

/// The final `Location`: the prepared destination plus `pg_click=<click_id>`.
pub fn with_click_id(prepared: &Url, click_id: &str) -> Url {
    let mut url = prepared.clone();
    let pair = encode_pair(CLICK_PARAM, click_id);
    let query = match url.query() {
        Some(existing) if !existing.is_empty() => format!("{existing}&{pair}"),
        _ => pair,
    };
    url.set_query(Some(&query));
    url
}

fn decoded_key(segment: &str) -> String {
    form_urlencoded::parse(segment.as_bytes())
        .next()
        .map(|(key, _)| key.into_owned())
        .unwrap_or_default()
}

fn encode_pair(key: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .finish()
}

fn set_query(url: &mut Url, query: &str) {
    url.set_query((!query.is_empty()).then_some(query));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm(source: Option<&str>, campaign: Option<&str>) -> Utm {
        Utm {
            source: source.map(Into::into),
            medium: None,
            campaign: campaign.map(Into::into),
            content: None,
        }
    }

    #[test]
    fn adds_only_the_utm_values_that_are_set() {
        let url = with_utm("https://shop.test/p", &utm(Some("tiktok"), None)).unwrap();
        assert_eq!(url.as_str(), "https://shop.test/p?utm_source=tiktok");
        let bare = with_utm("https://shop.test/p", &Utm::default()).unwrap();
        assert_eq!(bare.as_str(), "https://shop.test/p");
    }

    #[test]
    fn keeps_other_parameters_verbatim_and_replaces_ours() {
        let url = with_utm(
            "https://shop.test/p?ref=a%20b&utm_source=old&flag&utm_medium=email#top",
            &utm(Some("tik tok"), Some("spring&sale")),
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://shop.test/p?ref=a%20b&flag&utm_medium=email&utm_source=tik+tok\
             &utm_campaign=spring%26sale#top"
        );
    }

    #[test]
    fn the_click_id_is_appended_and_a_stale_one_dropped() {
        let prepared = with_utm("https://shop.test/?pg_click=stale&a=1", &Utm::default()).unwrap();
        let url = with_click_id(&prepared, "abc123");
        assert_eq!(url.as_str(), "https://shop.test/?a=1&pg_click=abc123");
        let bare = with_utm("https://shop.test/x#frag", &Utm::default()).unwrap();
        assert_eq!(
            with_click_id(&bare, "abc123").as_str(),
            "https://shop.test/x?pg_click=abc123#frag"
        );
    }

    #[test]
    fn refuses_what_is_not_an_absolute_http_url() {
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "ftp://x.test/",
            "not a url",
            "data:text/html,hi",
        ] {
            assert!(with_utm(bad, &Utm::default()).is_none(), "{bad}");
        }
    }
}
