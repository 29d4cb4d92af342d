//! Passwords: argon2id with the OWASP minimum (m=19456 KiB, t=2, p=1), hashed and verified on
//! the blocking pool so that the async workers keep serving.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

use crate::error::AppError;

pub use crate::domain::password::{MAX_LEN, MIN_LEN};

fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19_456, 2, 1, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The password policy ([`crate::domain::password`]) for the input field `password`.
pub fn validate(password: &str) -> Result<(), AppError> {
    validate_field("password", password)
}

/// The password policy, as BAD_USER_INPUT about `field` (`password`, `newPassword`).
pub fn validate_field(field: &str, password: &str) -> Result<(), AppError> {
    crate::domain::password::check(password).map_err(|message| AppError::bad_input(field, message))
}

pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
        hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

/// True when `password` matches `stored`. A malformed stored hash is an internal error.
pub async fn verify(password: String, stored: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        Ok(hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

/// Spends the time of one verification, so that an unknown email answers as slowly as a wrong
/// password.
pub async fn verify_dummy(password: String) {
    let _ = verify(password, DUMMY_HASH.to_owned()).await;
}

/// What an erased account keeps instead of its password hash: well-formed (so nothing that
/// reads the column fails) and of nothing anyone knows. Sign-in refuses an erased account before
/// verifying anyway.
pub fn unusable_hash() -> String {
    DUMMY_HASH.to_owned()
}

/// A well-formed hash of nothing anyone knows, with the real parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$U4yFrLhZlCQQd3E0r6qzv8i6ZrQfBZ2sQ0QdSmbsm0s";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hashed = hash("correct horse battery".into()).await.unwrap();
        assert!(
            hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hashed}"
        );
        assert!(
            verify("correct horse battery".into(), hashed.clone())
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery".into(), hashed).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_parses_so_that_it_costs_a_full_verification() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
    }

    #[test]
    fn policy_is_about_length_and_common_passwords() {
        assert!(validate("short").is_err());
        assert_eq!(
            validate_field("newPassword", "qwerty123456")
                .unwrap_err()
                .field(),
            Some("newPassword")
        );
        assert!(validate(&"x".repeat(MIN_LEN)).is_ok());
        assert!(validate(&"x".repeat(MAX_LEN + 1)).is_err());
        assert_eq!(validate("short").unwrap_err().field(), Some("password"));
    }
}
