//! Validation of free-text and URL input shared by every area.

/// A rule broken by an input value: the field and what is wrong.
pub type Invalid = (&'static str, String);

/// Trimmed text of 1..=`max` characters.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err((field, format!("must be 1 to {max} characters")));
    }
    no_nul(field, value)?;
    Ok(value.to_owned())
}

/// PostgreSQL text cannot hold U+0000: refused as input rather than failing in the database.
fn no_nul(field: &'static str, value: &str) -> Result<(), Invalid> {
    if value.contains('\0') {
        return Err((field, "must not contain a NUL character".to_owned()));
    }
    Ok(())
}

/// Optional trimmed text: blank becomes `None`.
pub fn optional(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => {
            Err((field, format!("must be at most {max} characters")))
        }
        Some(v) => no_nul(field, v).map(|()| Some(v.to_owned())),
    }
}

/// An absolute http or https URL.
pub fn http_url(field: &'static str, value: &str) -> Result<String, Invalid> {
    let trimmed = value.trim();
    match url::Url::parse(trimmed) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() =>
        {
            if trimmed.len() > 2048 {
                Err((field, "must be at most 2048 characters".to_owned()))
            } else {
                Ok(parsed.to_string())
            }
        }
        _ => Err((field, "must be an http or https URL".to_owned())),
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-cased ("us" -> "US").
pub fn country(field: &'static str, value: &str) -> Result<String, Invalid> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err((
            field,
            "must be a two-letter country code such as \"US\"".to_owned(),
        ))
    }
}

/// A list of short labels: trimmed, lower-cased, de-duplicated, bounded.
pub fn labels(
    field: &'static str,
    values: &[String],
    max_items: usize,
    max_len: usize,
) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let label = value.trim().to_lowercase();
        if label.is_empty() || label.chars().count() > max_len || label.contains('"') {
            return Err((
                field,
                format!("each entry must be 1 to {max_len} characters, without quotes"),
            ));
        }
        no_nul(field, &label)?;
        if !out.contains(&label) {
            out.push(label);
        }
    }
    if out.len() > max_items {
        return Err((field, format!("at most {max_items} entries")));
    }
    Ok(out)
}

/// A list of free-text lines (brief messages, do's and don'ts): trimmed, blank lines dropped.
pub fn lines(
    field: &'static str,
    values: &[String],
    max_items: usize,
    max_len: usize,
) -> Result<Vec<String>, Invalid> {
    let out: Vec<String> = values
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if out.len() > max_items || out.iter().any(|v| v.chars().count() > max_len) {
        return Err((
            field,
            format!("at most {max_items} entries of at most {max_len} characters"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_and_optional_text() {
        assert_eq!(required("name", "  Maya ", 10).unwrap(), "Maya");
        assert!(required("name", "   ", 10).is_err());
        assert!(required("name", "abcdefghijk", 10).is_err());
        assert_eq!(optional("notes", Some("  "), 10).unwrap(), None);
        assert_eq!(
            optional("notes", Some(" x "), 10).unwrap(),
            Some("x".into())
        );
        assert!(required("id", "a\0b", 10).is_err());
        assert!(optional("notes", Some("\0"), 10).is_err());
        assert!(labels("niches", &["be\0auty".into()], 5, 40).is_err());
    }

    #[test]
    fn urls_must_be_http() {
        assert!(http_url("url", "https://shop.example.com/a?b=1").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.com",
            "/relative",
            "https://",
            "not a url",
        ] {
            assert!(http_url("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries_and_labels() {
        assert_eq!(country("country", "us").unwrap(), "US");
        assert!(country("country", "USA").is_err());
        assert_eq!(
            labels(
                "niches",
                &["Beauty".into(), "beauty".into(), " skin ".into()],
                5,
                20
            )
            .unwrap(),
            vec!["beauty", "skin"]
        );
        assert!(labels("niches", &["".into()], 5, 20).is_err());
        assert!(labels("niches", &["a\"b".into()], 5, 20).is_err());
    }
}
