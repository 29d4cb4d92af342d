//! Secrets at rest: the signing secrets the server must read back (connector secrets) are stored
//! sealed with `PARTNERGRAPH_SECRET_KEY`, never as plain text.
//!
//! Sealed form: `pgs1:` + base64url (no padding) of a random 24-byte nonce followed by the
//! XChaCha20-Poly1305 ciphertext and tag. The `pgs1` prefix names the scheme and key version, so
//! another scheme or a rotated key can be told apart later. XChaCha20's 192-bit nonces are safe
//! to draw at random for any number of secrets.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The prefix of the current sealed form.
pub const SEALED_PREFIX: &str = "pgs1:";
const NONCE_LEN: usize = 24;

/// The 32-byte key that seals secrets at rest. Never printed.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

/// A sealed value that does not open: another key, tampered, or not a sealed value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sealed secret cannot be opened with this key")]
pub struct OpenError;

impl SealingKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The fixed key of `--dev` and `--demo`, derived from a public phrase: fine for local data,
    /// worthless for real secrets (the README says so).
    pub fn development() -> Self {
        Self(Sha256::digest(b"PartnerGraph development secret key (not secret)").into())
    }

    /// `PARTNERGRAPH_SECRET_KEY`: 32 bytes as 64 hex digits or as base64 (standard or URL-safe,
    /// padded or not).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| e.to_string())?
        } else {
            crate::domain::webhook::signing_key(text)
                .ok_or("must be 32 bytes as 64 hex digits or base64")?
        };
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("must be 32 bytes, not {}", b.len()))?;
        Ok(Self(bytes))
    }

    /// A 32-byte key for `purpose` (e.g. signing export download links), derived from this
    /// key with HMAC-SHA256, so one configured secret keys several uses without one revealing
    /// another.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        crate::domain::webhook::hmac_sha256(&self.0, purpose.as_bytes())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// `plaintext` sealed under a fresh random nonce.
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption fails only for inputs near 256 GiB; secrets are a few dozen bytes.
        let ciphertext = match self
            .cipher()
            .encrypt(&XNonce::from(nonce), plaintext.as_bytes())
        {
            Ok(ciphertext) => ciphertext,
            Err(_) => unreachable!("XChaCha20-Poly1305 seals any secret-sized input"),
        };
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The plaintext of a value [`SealingKey::seal`] made with this key.
    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let encoded = sealed.strip_prefix(SEALED_PREFIX).ok_or(OpenError)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| OpenError)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError)?;
        let plaintext = self
            .cipher()
            .decrypt(&XNonce::from(nonce), ciphertext)
            .map_err(|_| OpenError)?;
        String::from_utf8(plaintext).map_err(|_| OpenError)
    }
}

/// Whether a stored value is sealed (rather than a plain secret stored before sealing existed).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_their_key_only() {
        let key = SealingKey::new([7; 32]);
        let sealed = key.seal("whsec_abc");
        assert!(sealed.starts_with("pgs1:"), "{sealed}");
        assert!(!sealed.contains("whsec_abc"));
        assert!(is_sealed(&sealed));
        assert_eq!(key.open(&sealed).unwrap(), "whsec_abc");
        assert_eq!(SealingKey::new([8; 32]).open(&sealed), Err(OpenError));
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_by_key() {
        let key = SealingKey::new([3; 32]);
        assert_eq!(key.derive("links"), key.derive("links"));
        assert_ne!(key.derive("links"), key.derive("other"));
        assert_ne!(
            key.derive("links"),
            SealingKey::new([4; 32]).derive("links")
        );
        assert_ne!(key.derive("links"), [3; 32]);
    }

    #[test]
    fn each_seal_draws_a_fresh_nonce() {
        let key = SealingKey::development();
        assert_ne!(key.seal("same"), key.seal("same"));
    }

    #[test]
    fn tampered_or_foreign_values_do_not_open() {
        let key = SealingKey::new([1; 32]);
        let sealed = key.seal("secret");
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(key.open(&tampered), Err(OpenError));
        assert_eq!(key.open("whsec_plain"), Err(OpenError));
        assert_eq!(key.open("pgs1:"), Err(OpenError));
        assert_eq!(key.open("pgs1:!!"), Err(OpenError));
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_must_be_32_bytes() {
        let hex_key = "00".repeat(31) + "ff";
        assert!(SealingKey::parse(&hex_key).is_ok());
        let b64 = {
            use base64::engine::general_purpose::STANDARD;
            STANDARD.encode([9u8; 32])
        };
        assert!(SealingKey::parse(&b64).is_ok());
        assert!(SealingKey::parse(b64.trim_end_matches('=')).is_ok());
        assert!(
            SealingKey::parse("c2hvcnQ=")
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(SealingKey::parse("not a key!").is_err());
        assert!(SealingKey::parse("").is_err());
        assert_eq!(
            format!("{:?}", SealingKey::new([0; 32])),
            "SealingKey([redacted])"
        );
    }
}
