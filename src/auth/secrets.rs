//! Random secrets and their stored form. Secrets (API keys, refresh tokens, invite tokens) are
//! shown once and stored only as SHA-256 digests: they carry 256 random bits, so a fast hash is
//! enough (no dictionary to attack), and lookups by digest stay indexable.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const API_KEY_PREFIX: &str = "pg_";
pub const REFRESH_TOKEN_PREFIX: &str = "pgr_";
pub const INVITE_TOKEN_PREFIX: &str = "pgi_";
pub const RESET_TOKEN_PREFIX: &str = "pgp_";

/// `prefix` + 256 random bits, base64url without padding (43 characters).
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// 32 random bytes: the key material of signing secrets (webhook endpoints, connectors).
pub fn random_key() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// Lower-case hex SHA-256, the stored form of a secret.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let a = random_token(API_KEY_PREFIX);
        let b = random_token(API_KEY_PREFIX);
        assert!(a.starts_with("pg_"));
        assert_eq!(a.len(), 3 + 43);
        assert_ne!(a, b);
    }

    #[test]
    fn digests_are_stable_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
