//! Access tokens: HS256 JWTs with `exp`, `iat`, `nbf`, `iss`, `aud`, `sub`, `jti` (all required
//! on decode) and `sid`, the session (refresh-token family) they belong to, so that logging out
//! ends them at once.
//!
//! A verified token is kept ([`VERIFIED_CAPACITY`] at most, least recently used dropped first),
//! so that a caller's next requests with it skip decoding: base64, two JSON documents and the
//! HMAC, about 9 µs of a 60-120 µs request on one core (BENCHMARKS.md, session 17). What is
//! kept is only what the token's text alone decides (signature, algorithm, issuer, audience,
//! required claims), so the text is the key; `exp` and `nbf` are checked on every call, and
//! revocation is the session's business (`auth::cache`), not the token's.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lru::LruCache;
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::error::AppError;

pub const ISSUER: &str = "partnergraph";
pub const AUDIENCE: &str = "partnergraph-api";
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;
/// Verified tokens kept at most (a token and its claims: about 500 bytes each).
pub const VERIFIED_CAPACITY: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
}

impl Claims {
    pub fn user_id(&self) -> Result<i64, AppError> {
        self.sub.parse().map_err(|_| AppError::Unauthenticated)
    }
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    verified: Mutex<LruCache<Box<str>, Arc<Claims>>>,
}

impl JwtKeys {
    pub fn new(secret: &Secret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // `exp` and `nbf` are checked in `verify` against the caller's `now`, not against the
        // system clock the library would read.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            verified: Mutex::new(LruCache::new(
                NonZeroUsize::new(VERIFIED_CAPACITY).expect("a capacity above zero"),
            )),
        }
    }

    /// A token for `user_id` in session `session_id`, and when it expires.
    pub fn issue(
        &self,
        user_id: i64,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), AppError> {
        let expires_at = now + ACCESS_TOKEN_TTL;
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_owned(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok((token, expires_at))
    }

    /// Verifies signature, algorithm, issuer, audience and times (`exp` and `nbf` at `now`, with
    /// [`LEEWAY_SECS`]); any failure is UNAUTHENTICATED without saying which check failed.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Arc<Claims>, AppError> {
        let refused = |reason: &dyn std::fmt::Display| {
            tracing::debug!(error = %reason, "access token refused");
            AppError::Unauthenticated
        };
        let claims = match self.verified(token) {
            Some(claims) => claims,
            None => {
                let claims =
                    jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                        .map_err(|err| refused(&err))?
                        .claims;
                let claims = Arc::new(claims);
                self.remember(token, &claims);
                claims
            }
        };
        let leeway = LEEWAY_SECS.cast_signed();
        let now = now.timestamp();
        if claims.exp < now.saturating_sub(leeway) {
            return Err(refused(&"expired"));
        }
        if claims.nbf > now.saturating_add(leeway) {
            return Err(refused(&"not valid yet"));
        }
        Ok(claims)
    }

    /// The claims of `token` if it was verified before.
    fn verified(&self, token: &str) -> Option<Arc<Claims>> {
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        verified.get(token).cloned()
    }

    fn remember(&self, token: &str, claims: &Arc<Claims>) {
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        verified.put(token.into(), Arc::clone(claims));
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&Secret::new("unit-test-secret-unit-test-secret-00"))
    }

    fn sign(claims: &serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    /// A fixed "now" for the tests (the keys never read a clock).
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    fn valid_claims() -> serde_json::Value {
        let now = now().timestamp();
        json!({ "sub": "7", "sid": "s", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600,
                "iat": now, "nbf": now, "jti": "j" })
    }

    const SECRET: &str = "unit-test-secret-unit-test-secret-00";

    #[test]
    fn issued_tokens_verify() {
        let (token, expires_at) = keys().issue(7, "session", now()).unwrap();
        let claims = keys().verify(&token, now()).unwrap();
        assert_eq!(claims.user_id().unwrap(), 7);
        assert_eq!(claims.sid, "session");
        assert_eq!(claims.exp, expires_at.timestamp());
        assert!(keys().verify(&sign(&valid_claims(), SECRET), now()).is_ok());
    }

    #[test]
    fn tokens_expire_and_start_by_the_given_time() {
        let (token, expires_at) = keys().issue(7, "session", now()).unwrap();
        let leeway = Duration::seconds(LEEWAY_SECS.cast_signed());
        assert!(keys().verify(&token, expires_at + leeway).is_ok());
        assert!(
            keys()
                .verify(&token, expires_at + leeway + Duration::seconds(1))
                .is_err()
        );
        assert!(keys().verify(&token, now() - leeway).is_ok());
        assert!(
            keys()
                .verify(&token, now() - leeway - Duration::seconds(1))
                .is_err()
        );
    }

    #[test]
    fn forged_and_stale_tokens_are_refused() {
        let mut cases: Vec<(&str, String)> = Vec::new();
        cases.push((
            "wrong secret",
            sign(&valid_claims(), "another-secret-another-secret-000"),
        ));
        let mut expired = valid_claims();
        expired["exp"] = json!(now().timestamp() - 120);
        cases.push(("expired beyond leeway", sign(&expired, SECRET)));
        let mut wrong_aud = valid_claims();
        wrong_aud["aud"] = json!("someone-else");
        cases.push(("wrong aud", sign(&wrong_aud, SECRET)));
        let mut wrong_iss = valid_claims();
        wrong_iss["iss"] = json!("evil");
        cases.push(("wrong iss", sign(&wrong_iss, SECRET)));
        let mut string_exp = valid_claims();
        string_exp["exp"] = json!((now().timestamp() + 600).to_string());
        cases.push(("exp as string", sign(&string_exp, SECRET)));
        let mut not_yet = valid_claims();
        not_yet["nbf"] = json!(now().timestamp() + 600);
        cases.push(("nbf in the future", sign(&not_yet, SECRET)));
        for missing in ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"] {
            let mut claims = valid_claims();
            claims.as_object_mut().unwrap().remove(missing);
            cases.push(("missing claim", sign(&claims, SECRET)));
        }
        // alg: none, with the payload of a valid token.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(valid_claims().to_string());
        cases.push(("alg none", format!("{header}.{payload}.")));
        // Tampered payload: sub changed after signing.
        let good = sign(&valid_claims(), SECRET);
        let parts: Vec<&str> = good.split('.').collect();
        let mut tampered = valid_claims();
        tampered["sub"] = json!("1");
        let forged_payload = URL_SAFE_NO_PAD.encode(tampered.to_string());
        cases.push((
            "tampered",
            format!("{}.{forged_payload}.{}", parts[0], parts[2]),
        ));
        cases.push(("garbage", "not.a.jwt".into()));
        for (name, token) in cases {
            let err = keys().verify(&token, now()).unwrap_err();
            assert!(matches!(err, AppError::Unauthenticated), "{name}");
        }
    }

    /// The kept verification decides nothing the token's text does not: times are checked on
    /// every call, and a token that differs from a kept one by its payload is verified anew.
    #[test]
    fn a_kept_token_is_still_checked_for_times_and_tampering() {
        let keys = keys();
        let (token, expires_at) = keys.issue(7, "session", now()).unwrap();
        assert!(keys.verify(&token, now()).is_ok());
        assert!(keys.verified(&token).is_some(), "kept after verifying");
        let leeway = Duration::seconds(LEEWAY_SECS.cast_signed());
        let late = expires_at + leeway + Duration::seconds(1);
        assert!(matches!(
            keys.verify(&token, late),
            Err(AppError::Unauthenticated)
        ));
        let early = now() - leeway - Duration::seconds(1);
        assert!(keys.verify(&token, early).is_err());
        assert_eq!(keys.verify(&token, now()).unwrap().sub, "7");

        let parts: Vec<&str> = token.split('.').collect();
        let mut tampered = valid_claims();
        tampered["sub"] = json!("1");
        let payload = URL_SAFE_NO_PAD.encode(tampered.to_string());
        let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
        assert!(keys.verify(&forged, now()).is_err());
        assert!(
            keys.verified(&forged).is_none(),
            "a refused token is not kept"
        );
    }
}
