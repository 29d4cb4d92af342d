//! Data rights, the pure part: which customer an erasure names, the one-way token that replaces
//! a customer key or email hash, and the placeholders left in an erased creator's record.
//!
//! The token is HMAC-SHA256 of the old value under a key drawn at random for one erasure and
//! never stored ([`EraseKey::random`]). Within that erasure the same value always maps to the
//! same token, so every order of the customer keeps one key and reports (new customers, LTV,
//! repeat purchases) count the customer exactly as before. Once the erasure is done the key is
//! gone: nobody, us included, can tell which token a given customer or email became, which is
//! what makes the result anonymous rather than pseudonymous (a kept secret would let whoever
//! holds it test a guessed email against the tokens).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{email, text};

/// Every token starts with this, so an erased value is recognizable (and never erased twice).
pub const TOKEN_PREFIX: &str = "erased_";

/// The longest customer key ingestion accepts (`recordConversions`).
pub const MAX_CUSTOMER_KEY_LEN: usize = 200;

/// The key of one erasure: 256 random bits, dropped when the erasure ends.
pub struct EraseKey([u8; 32]);

impl EraseKey {
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self(bytes)
    }

    /// A fixed key, for tests.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn token(&self, domain: &str, value: &str) -> String {
        // HMAC takes keys of any length: `new_from_slice` cannot fail for 32 bytes.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC-SHA256 accepts a 32-byte key"),
        };
        // The domain keeps a customer key and an email hash that happen to be equal apart.
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        format!("{TOKEN_PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// What `customer_key` becomes; a token stays as it is.
    pub fn customer_key(&self, customer_key: &str) -> String {
        if is_token(customer_key) {
            return customer_key.to_owned();
        }
        self.token("customer_key", customer_key)
    }

    /// What a stored customer email hash becomes; a token stays as it is.
    pub fn email_hash(&self, email_hash: &str) -> String {
        if is_token(email_hash) {
            return email_hash.to_owned();
        }
        self.token("email_hash", email_hash)
    }
}

/// Whether a stored customer key or email hash is already an erasure token.
pub fn is_token(value: &str) -> bool {
    value.starts_with(TOKEN_PREFIX)
}

/// The customer an `eraseCustomer` names: by the brand's customer key, or by email (stored only
/// as its hash, so it is looked up by the hash ingestion computed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerIdentifier {
    Key(String),
    EmailHash(String),
}

/// Exactly one of `customer_key` and `email`, normalized as ingestion normalized them (a key
/// trimmed, an email trimmed and lower-cased, then hashed); blank counts as not given.
pub fn customer_identifier(
    customer_key: Option<&str>,
    email_address: Option<&str>,
) -> Result<CustomerIdentifier, text::Invalid> {
    let key = text::optional("customerKey", customer_key, MAX_CUSTOMER_KEY_LEN)?;
    let email_address = email_address.map(str::trim).filter(|e| !e.is_empty());
    match (key, email_address) {
        (Some(key), None) => Ok(CustomerIdentifier::Key(key)),
        (None, Some(raw)) => email::hash(raw)
            .map(CustomerIdentifier::EmailHash)
            .ok_or(("email", "must be an email address".to_owned())),
        (Some(_), Some(_)) => Err((
            "customerKey",
            "give either customerKey or email, not both".to_owned(),
        )),
        (None, None) => Err(("customerKey", "give one of customerKey or email".to_owned())),
    }
}

/// The display name an erased creator record keeps: its number, nothing about the person.
pub fn erased_creator_name(creator_id: i64) -> String {
    format!("Erased creator #{creator_id}")
}

/// The address an erased account keeps: unique (the column is), reserved (`.invalid`, RFC 2606)
/// so that no one can receive mail at it or register it.
pub fn erased_user_email(user_id: i64) -> String {
    format!("erased-user-{user_id}@erased.invalid")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(byte: u8) -> EraseKey {
        EraseKey::from_bytes([byte; 32])
    }

    #[test]
    fn the_same_customer_gets_the_same_token_within_an_erasure() {
        let k = key(7);
        assert_eq!(k.customer_key("cust-1"), k.customer_key("cust-1"));
        assert_ne!(k.customer_key("cust-1"), k.customer_key("cust-2"));
        assert!(k.customer_key("cust-1").starts_with(TOKEN_PREFIX));
        assert_eq!(k.customer_key("cust-1").len(), TOKEN_PREFIX.len() + 64);
    }

    #[test]
    fn another_erasure_gives_another_token() {
        assert_ne!(key(1).customer_key("cust-1"), key(2).customer_key("cust-1"));
        let a = EraseKey::random();
        let b = EraseKey::random();
        assert_ne!(a.customer_key("cust-1"), b.customer_key("cust-1"));
    }

    #[test]
    fn keys_and_email_hashes_are_kept_apart_and_tokens_are_kept() {
        let k = key(3);
        assert_ne!(k.customer_key("abc"), k.email_hash("abc"));
        let token = k.customer_key("abc");
        assert_eq!(k.customer_key(&token), token);
        assert_eq!(k.email_hash(&token), token);
        assert!(is_token(&token));
        assert!(!is_token("abc"));
    }

    #[test]
    fn exactly_one_identifier_is_required() {
        assert_eq!(
            customer_identifier(Some(" c-1 "), None),
            Ok(CustomerIdentifier::Key("c-1".into()))
        );
        assert_eq!(
            customer_identifier(None, Some(" Maya@Example.com ")),
            Ok(CustomerIdentifier::EmailHash(
                email::hash("maya@example.com").expect("an email")
            ))
        );
        assert_eq!(
            customer_identifier(Some("c-1"), Some("a@b.co")).map_err(|e| e.0),
            Err("customerKey")
        );
        assert_eq!(
            customer_identifier(None, None).map_err(|e| e.0),
            Err("customerKey")
        );
        assert_eq!(
            customer_identifier(Some("  "), Some("")).map_err(|e| e.0),
            Err("customerKey")
        );
        assert_eq!(
            customer_identifier(None, Some("not-an-email")).map_err(|e| e.0),
            Err("email")
        );
        let long = "k".repeat(MAX_CUSTOMER_KEY_LEN + 1);
        assert_eq!(
            customer_identifier(Some(&long), None).map_err(|e| e.0),
            Err("customerKey")
        );
    }

    #[test]
    fn placeholders_name_nobody() {
        assert_eq!(erased_creator_name(12), "Erased creator #12");
        assert_eq!(
            email::normalize(&erased_user_email(5)),
            Ok("erased-user-5@erased.invalid".to_owned())
        );
    }

    proptest! {
        /// Distinct customers stay distinct (so no two are merged in LTV).
        #[test]
        fn tokens_keep_customers_apart(a in "[a-z0-9@.-]{1,40}", b in "[a-z0-9@.-]{1,40}") {
            let k = key(9);
            prop_assert_eq!(a == b, k.customer_key(&a) == k.customer_key(&b));
        }
    }
}
