//! Which browser origins may call the API from another origin: `PARTNERGRAPH_CORS_ORIGINS`
//! (docs/browser.md). Parsed by a pure function so that every malformed value is refused at
//! start-up with the value named.

/// Origins allowed to call `POST /graphql` from a page of another origin (CORS), to open
/// `GET /graphql/ws`, and to use the refresh-token cookie. The server's own origin is always
/// allowed the last two; it needs no CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No variable, no `--dev`: same-origin only, no CORS header is ever sent.
    SameOriginOnly,
    /// Exact origins (`scheme://host[:port]`, as browsers send them in `Origin`).
    List(Vec<String>),
    /// `--dev`/`--demo` without the variable: any `http(s)://localhost`, `127.0.0.1` or `[::1]`
    /// origin, whatever its port (a front end's dev server on this machine).
    Loopback,
    /// `*`, only with `--dev`: any origin may read answers, without credentials (browsers refuse
    /// `Access-Control-Allow-Origin: *` with cookies), so the refresh cookie stays same-origin.
    Any,
}

/// The variable's value as settings: `raw` is its text (`None` when unset), `dev` whether
/// `--dev` or `--demo` is on. The error names the offending entry and says how to write it.
pub fn parse_cors_origins(raw: Option<&str>, dev: bool) -> Result<CorsOrigins, String> {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Ok(if dev {
            CorsOrigins::Loopback
        } else {
            CorsOrigins::SameOriginOnly
        });
    }
    if raw == "*" {
        return if dev {
            Ok(CorsOrigins::Any)
        } else {
            Err("`*` (any origin) is allowed only with --dev; list the front ends' origins".into())
        };
    }
    let mut origins = Vec::new();
    for entry in raw.split(',').map(str::trim) {
        let origin = parse_origin(entry)?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(CorsOrigins::List(origins))
}

/// One entry: exactly an origin as a browser serializes it (lower case, no default port, no
/// path, no trailing slash).
fn parse_origin(entry: &str) -> Result<String, String> {
    const SHAPE: &str = "an origin is scheme://host[:port] with http or https, no path and no \
                         trailing slash, e.g. https://app.example.com";
    if entry.is_empty() {
        return Err(format!("an entry is empty; {SHAPE}"));
    }
    if entry == "*" {
        return Err("`*` cannot be combined with other origins".into());
    }
    let parsed =
        url::Url::parse(entry).map_err(|_| format!("`{entry}` is not an origin: {SHAPE}"))?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(format!("`{entry}` is not an origin: {SHAPE}"));
    }
    let canonical = parsed.origin().ascii_serialization();
    if canonical != entry {
        return Err(format!(
            "`{entry}` is not an origin as browsers send it: write `{canonical}` ({SHAPE})"
        ));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(origins: &[&str]) -> CorsOrigins {
        CorsOrigins::List(origins.iter().map(|o| (*o).to_owned()).collect())
    }

    #[test]
    fn unset_means_same_origin_only_and_loopback_in_dev() {
        assert_eq!(
            parse_cors_origins(None, false),
            Ok(CorsOrigins::SameOriginOnly)
        );
        assert_eq!(
            parse_cors_origins(Some("  "), false),
            Ok(CorsOrigins::SameOriginOnly)
        );
        assert_eq!(parse_cors_origins(None, true), Ok(CorsOrigins::Loopback));
    }

    #[test]
    fn exact_origins_are_kept_once_each() {
        let parsed = parse_cors_origins(
            Some("https://app.example.com, http://127.0.0.1:5173,https://app.example.com"),
            false,
        );
        assert_eq!(
            parsed,
            Ok(list(&["https://app.example.com", "http://127.0.0.1:5173"]))
        );
        assert_eq!(
            parse_cors_origins(Some("http://[::1]:3000"), false),
            Ok(list(&["http://[::1]:3000"]))
        );
    }

    #[test]
    fn the_wildcard_needs_dev_and_stands_alone() {
        assert_eq!(parse_cors_origins(Some("*"), true), Ok(CorsOrigins::Any));
        let err = parse_cors_origins(Some("*"), false).unwrap_err();
        assert!(err.contains("--dev"), "{err}");
        let err = parse_cors_origins(Some("https://a.example.com,*"), true).unwrap_err();
        assert!(err.contains("cannot be combined"), "{err}");
    }

    #[test]
    fn malformed_origins_are_refused_by_name() {
        for (entry, hint) in [
            ("app.example.com", "is not an origin"),
            ("localhost:3000", "is not an origin"),
            ("ftp://app.example.com", "is not an origin"),
            ("https://user:pw@app.example.com", "is not an origin"),
            (
                "https://app.example.com/",
                "write `https://app.example.com`",
            ),
            (
                "https://app.example.com/app",
                "write `https://app.example.com`",
            ),
            ("https://App.Example.com", "write `https://app.example.com`"),
            (
                "https://app.example.com:443",
                "write `https://app.example.com`",
            ),
            (
                "https://app.example.com?x=1",
                "write `https://app.example.com`",
            ),
            ("null", "is not an origin"),
        ] {
            let err = parse_cors_origins(Some(entry), false).unwrap_err();
            assert!(err.contains(&format!("`{entry}`")), "{entry}: {err}");
            assert!(err.contains(hint), "{entry}: {err}");
        }
        let err = parse_cors_origins(Some("https://a.example.com,,https://b.example.com"), false)
            .unwrap_err();
        assert!(err.contains("empty"), "{err}");
    }
}
