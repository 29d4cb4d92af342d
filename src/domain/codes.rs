//! Short-link codes and discount codes: their syntax and normalization.
//!
//! - Link codes: lower-case letters, digits, `-` and `_`, 3 to 64 characters; chosen codes are
//!   lower-cased, and `/r/{code}` matches case-insensitively (a creator saying "Glow-Maya" out
//!   loud still lands). Generated codes are 8 random characters of `[a-z0-9]`.
//! - Discount codes: letters, digits, `-` and `_`, 2 to 40 characters, stored upper-case and
//!   matched case-insensitively (shoppers type them by hand).

use rand::Rng;

use super::text::Invalid;

pub const LINK_CODE_MIN: usize = 3;
pub const LINK_CODE_MAX: usize = 64;
pub const GENERATED_LINK_CODE_LEN: usize = 8;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The normalized link code, or `None` when it cannot be one.
pub fn normalize_link_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_lowercase();
    let len = code.len();
    ((LINK_CODE_MIN..=LINK_CODE_MAX).contains(&len) && code.chars().all(allowed)).then_some(code)
}

pub fn validate_link_code(raw: &str) -> Result<String, Invalid> {
    normalize_link_code(raw).ok_or((
        "code",
        format!("must be {LINK_CODE_MIN} to {LINK_CODE_MAX} letters, digits, '-' or '_'"),
    ))
}

pub fn generate_link_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..GENERATED_LINK_CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

pub fn normalize_discount_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    ((2..=40).contains(&code.len()) && code.chars().all(allowed)).then_some(code)
}

pub fn validate_discount_code(raw: &str) -> Result<String, Invalid> {
    normalize_discount_code(raw).ok_or((
        "code",
        "must be 2 to 40 letters, digits, '-' or '_'".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_are_lower_cased_and_checked() {
        assert_eq!(
            normalize_link_code(" Glow-Maya ").as_deref(),
            Some("glow-maya")
        );
        for bad in ["ab", "has space", "ünï", "a/b", &"x".repeat(65)] {
            assert!(normalize_link_code(bad).is_none(), "{bad}");
        }
        let generated = generate_link_code();
        assert_eq!(normalize_link_code(&generated), Some(generated.clone()));
        assert_eq!(generated.len(), GENERATED_LINK_CODE_LEN);
    }

    #[test]
    fn discount_codes_are_upper_cased() {
        assert_eq!(normalize_discount_code("maya15").as_deref(), Some("MAYA15"));
        assert!(normalize_discount_code("x").is_none());
        assert!(normalize_discount_code("50% OFF").is_none());
    }
}
