//! Email addresses as identities: normalized (trimmed, lower-cased) before they are stored,
//! compared or hashed.

use sha2::{Digest, Sha256};

pub const MAX_LEN: usize = 254;

/// The normalized address, or why it is not one. Deliberately permissive (a full RFC 5322 parser
/// rejects real addresses); the invite or login proves the mailbox.
pub fn normalize(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() || email.len() > MAX_LEN {
        return Err("must be an email address of at most 254 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces");
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            Ok(email)
        }
        _ => Err("must be an email address like name@example.com"),
    }
}

/// SHA-256 hex of the normalized address: how customers and creators are compared for
/// self-referral without storing a customer's email.
pub fn hash(raw: &str) -> Option<String> {
    normalize(raw)
        .ok()
        .map(|email| hex::encode(Sha256::digest(email.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize("  Maya@Example.COM ").unwrap(),
            "maya@example.com"
        );
    }

    #[test]
    fn non_addresses_are_refused() {
        for bad in [
            "",
            "maya",
            "@example.com",
            "maya@",
            "maya@example",
            "a b@example.com",
            "a@b@c.com",
            "maya@.com",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
        assert!(normalize(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn hashes_ignore_case_and_spaces() {
        assert_eq!(hash("Maya@Example.com"), hash(" maya@example.com"));
        assert_eq!(hash("nope"), None);
    }
}
