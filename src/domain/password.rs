//! The password policy (NIST SP 800-63B): a length range and no password from a list of the
//! most common ones. Nothing about character classes.
//!
//! `common_passwords.txt` is the first 10,000 lines (most common first) of Django's
//! `django/contrib/auth/common-passwords.txt.gz` (BSD-3-Clause; compiled by Royce Williams from
//! leaked password sets). It is compared lower-cased, as the list is.

use std::collections::HashSet;
use std::sync::LazyLock;

pub const MIN_LEN: usize = 12;
/// Bounded so that a huge password cannot make hashing a denial of service.
pub const MAX_LEN: usize = 128;

static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(|line| line.trim().to_lowercase())
        .filter(|line| !line.is_empty())
        .collect()
});

/// `Ok` when `password` meets the policy, else why not (a message for the user).
pub fn check(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!("must be at least {MIN_LEN} characters"));
    }
    if len > MAX_LEN {
        return Err(format!("must be at most {MAX_LEN} characters"));
    }
    if is_common(password) {
        return Err("is one of the most common passwords; choose another".into());
    }
    Ok(())
}

/// Whether `password` is on the list of common passwords, ignoring case.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(&password.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds_are_inclusive() {
        assert!(check(&"x".repeat(MIN_LEN - 1)).is_err());
        assert!(check("correct horse battery").is_ok());
        assert!(check(&"xq".repeat(MAX_LEN / 2)).is_ok());
        assert!(check(&"x".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 12 characters, 24 bytes.
        assert!(check("éèéèéèéèéèéè").is_ok());
        assert!(check("ééééééééééé").is_err());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert!(is_common("password"));
        assert!(is_common("qwerty123456"));
        assert!(is_common("QWERTY123456"));
        assert!(is_common("Q1w2e3r4t5y6"));
        let err = check("Qwerty123456").unwrap_err();
        assert!(err.contains("common"), "{err}");
        assert!(!is_common("correct-horse-battery-staple"));
    }

    #[test]
    fn the_shipped_list_is_loaded() {
        assert!(COMMON.len() > 9_000, "{}", COMMON.len());
    }
}
