//! The keys that verify tokens, each pinned to one algorithm.
//!
//! A token names its algorithm and, optionally, its key (`kid`); neither is trusted:
//! the key is chosen by `kid` (or, without one, among the keys that have none), and the
//! token's `alg` must be the one that key is pinned to. This is what refuses `alg:
//! none`, an RS256 public key used as an HS256 secret, and any other algorithm switch.
//!
//! Several keys may be live at once, so that operators rotate them without downtime:
//! `JWT_SECRET` with `JWT_SECRET_PREVIOUS` (verifying only), a JWKS file with one key
//! per `kid`, and an identity provider's keys fetched by URL ([`super::provider`]). A
//! token without a `kid` is tried against each unnamed key of its algorithm, the current
//! one first. A provider's tokens must carry the provider's issuer; the others carry
//! `JWT_ISSUER`.

use secrecy::ExposeSecret;
use std::fmt;
use std::sync::Arc;

use anyhow::{bail, Context};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::claims::ClaimRules;
use super::provider::{KeySet, ProviderKeys};
use crate::config::AuthSettings;

/// Shortest HS256 secret accepted: 256 bits, the size of the hash.
pub const MIN_SECRET_BYTES: usize = 32;

/// Tolerance for clocks that disagree, on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: u64 = 30;

/// One key that verifies tokens, and the one algorithm it accepts.
pub(super) struct VerifyingKey {
    /// The key id a token names it by; `None` for the HS256 secrets and a single PEM key.
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

impl VerifyingKey {
    /// The public key of one JWK, pinned to its `alg` (or, without one, to the usual
    /// algorithm of its type: RS256, ES256 on P-256, EdDSA). Symmetric keys and other
    /// algorithms are refused.
    pub(super) fn of_jwk(jwk: &Jwk) -> Result<VerifyingKey, String> {
        let kid = jwk.common.key_id.clone();
        let name = kid.as_deref().unwrap_or("without a kid");
        let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
            (_, AlgorithmParameters::OctetKey(_)) => {
                return Err(format!(
                    "key {name}: symmetric keys do not belong in a public key set"
                ))
            }
            (Some(KeyAlgorithm::RS256), _) => Algorithm::RS256,
            (Some(KeyAlgorithm::RS384), _) => Algorithm::RS384,
            (Some(KeyAlgorithm::RS512), _) => Algorithm::RS512,
            (Some(KeyAlgorithm::PS256), _) => Algorithm::PS256,
            (Some(KeyAlgorithm::ES256), _) => Algorithm::ES256,
            (Some(KeyAlgorithm::ES384), _) => Algorithm::ES384,
            (Some(KeyAlgorithm::EdDSA), _) => Algorithm::EdDSA,
            (Some(other), _) => {
                return Err(format!(
                    "key {name}: algorithm {other:?} is not supported (use RS256, ES256 or EdDSA)"
                ))
            }
            (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
            (None, AlgorithmParameters::EllipticCurve(ec)) if ec.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            (None, AlgorithmParameters::OctetKeyPair(_)) => Algorithm::EdDSA,
            (None, _) => {
                return Err(format!(
                    "key {name}: cannot tell its algorithm; give it an `alg`"
                ))
            }
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|_| format!("key {name} is not usable"))?;
        Ok(VerifyingKey {
            kid,
            algorithm,
            key,
        })
    }
}

/// Why a token was refused, in words a client may read; never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub String);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn reject(message: impl Into<String>) -> Rejection {
    Rejection(message.into())
}

/// Every key this server verifies tokens with, the one it signs with, and the `iss` and
/// `aud` its tokens carry. Built once at start from [`AuthSettings`].
pub struct KeyRing {
    /// In order of preference: the current secret before the previous one.
    keys: Vec<VerifyingKey>,
    signing: Option<EncodingKey>,
    issuer: String,
    audience: String,
    claims: ClaimRules,
    /// The identity provider's keys, fetched by URL, when one is configured.
    provider: Option<Arc<ProviderKeys>>,
}

impl KeyRing {
    /// Reads the keys the settings name; refuses a secret shorter than
    /// [`MIN_SECRET_BYTES`], a previous secret without a current one, a key file that
    /// does not parse, and a provider URL [`super::provider::check_url`] refuses. A
    /// provider's keys are fetched once [`Self::start`] runs.
    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<KeyRing> {
        let mut keys = Vec::new();
        let mut signing = None;
        if let Some(secret) = &settings.jwt_secret {
            let bytes = hs256_secret("JWT_SECRET", secret.expose_secret())?;
            keys.push(VerifyingKey {
                kid: None,
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(bytes),
            });
            signing = Some(EncodingKey::from_secret(bytes));
        }
        if let Some(previous) = &settings.jwt_secret_previous {
            if settings.jwt_secret.is_none() {
                bail!("JWT_SECRET_PREVIOUS is set without JWT_SECRET: set the new secret too");
            }
            let bytes = hs256_secret("JWT_SECRET_PREVIOUS", previous.expose_secret())?;
            keys.push(VerifyingKey {
                kid: None,
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(bytes),
            });
        }
        if let Some(path) = &settings.jwt_public_key_file {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("could not read JWT_PUBLIC_KEY_FILE {}", path.display())
            })?;
            keys.extend(
                public_keys(&text)
                    .with_context(|| format!("JWT_PUBLIC_KEY_FILE {}", path.display()))?,
            );
        }
        Ok(KeyRing {
            keys,
            signing,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            claims: ClaimRules::from_settings(settings)?,
            provider: ProviderKeys::from_settings(&settings.provider, &settings.jwt_issuer)?,
        })
    }

    /// Starts fetching the identity provider's keys, if one is configured; see
    /// [`ProviderKeys::start`].
    pub async fn start(&self, metrics: Arc<crate::metrics::Metrics>) -> anyhow::Result<()> {
        match &self.provider {
            Some(provider) => provider.start(metrics).await,
            None => Ok(()),
        }
    }

    /// The identity provider whose keys are fetched by URL, if one is configured.
    pub fn provider(&self) -> Option<&ProviderKeys> {
        self.provider.as_deref()
    }

    /// Whether any user token can be accepted at all.
    pub fn can_verify(&self) -> bool {
        !self.keys.is_empty() || self.provider.is_some()
    }

    /// Whether this server can mint tokens (it needs the HS256 secret).
    pub fn can_sign(&self) -> bool {
        self.signing.is_some()
    }

    /// The `iss` a user token must carry, and the one this server's tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` a user token must carry, and the one this server's tokens carry.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Where a user token carries its role and handle (`JWT_ROLE_CLAIM`, ...).
    pub fn claim_rules(&self) -> &ClaimRules {
        &self.claims
    }

    /// Checks the signature, algorithm, `exp`, `iss`, `aud` and `sub`, and `nbf` and
    /// `iat` when the token carries them, and decodes the claims. A token naming a `kid`
    /// that none of the keys has makes the provider's keys be fetched again first (see
    /// [`ProviderKeys::refetched_for`]).
    ///
    /// `nbf` and `iat` are optional (RFC 7519, section 4.1): most identity providers
    /// issue no `nbf`, and requiring it refused every token they sign. When present, a
    /// token not valid yet, or issued in the future, is refused (beyond the leeway).
    pub async fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, Rejection> {
        if !self.can_verify() {
            return Err(reject(
                "this server accepts no tokens: it has no verification key configured",
            ));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| reject("the token is malformed or names an unsupported algorithm"))?;
        let mut provided = self.provider.as_ref().map(|p| p.keys());
        if let (Some(kid), Some(provider)) = (&header.kid, &self.provider) {
            let known = |set: &Option<Arc<KeySet>>| {
                self.keys
                    .iter()
                    .chain(set.iter().flat_map(|s| s.keys.iter()))
                    .any(|k| k.kid.as_deref() == Some(kid.as_str()))
            };
            if !known(&provided) {
                provided = Some(provider.refetched_for(kid).await);
            }
        }
        self.verify_with(token, &header, provided.as_deref())
    }

    /// [`Self::verify`] with the provider's keys as they are now.
    fn verify_with<C: DeserializeOwned>(
        &self,
        token: &str,
        header: &Header,
        provided: Option<&KeySet>,
    ) -> Result<C, Rejection> {
        // Each key with the issuer its tokens carry.
        let all: Vec<(&VerifyingKey, &str)> = self
            .keys
            .iter()
            .map(|k| (k, self.issuer.as_str()))
            .chain(
                provided
                    .into_iter()
                    .flat_map(|set| set.keys.iter().map(|k| (k, set.issuer.as_str()))),
            )
            .collect();
        let candidates: Vec<(&VerifyingKey, &str)> = match &header.kid {
            Some(kid) => vec![*all
                .iter()
                .find(|(k, _)| k.kid.as_deref() == Some(kid.as_str()))
                .ok_or_else(|| {
                    if provided.is_some_and(|set| set.keys.is_empty()) {
                        reject("the identity provider's keys are not loaded yet; try again shortly")
                    } else {
                        reject("the token's key id (kid) is unknown")
                    }
                })?],
            None => {
                let unnamed: Vec<(&VerifyingKey, &str)> = all
                    .iter()
                    .copied()
                    .filter(|(k, _)| k.kid.is_none())
                    .collect();
                if unnamed.is_empty() {
                    return Err(reject(
                        "the token names no key id (kid), and every key here has one",
                    ));
                }
                let of_algorithm: Vec<(&VerifyingKey, &str)> = unnamed
                    .iter()
                    .copied()
                    .filter(|(k, _)| k.algorithm == header.alg)
                    .collect();
                // No unnamed key of the token's algorithm: the first one's pin refuses it.
                if of_algorithm.is_empty() {
                    vec![unnamed[0]]
                } else {
                    of_algorithm
                }
            }
        };
        let mut refusal = reject("the token's signature does not verify");
        for (key, issuer) in candidates {
            if header.alg != key.algorithm {
                return Err(reject(format!(
                    "the token's algorithm {:?} is not the one its key is pinned to",
                    header.alg
                )));
            }
            let mut validation = Validation::new(key.algorithm);
            validation.leeway = LEEWAY_SECONDS;
            validation.validate_nbf = true;
            validation.set_issuer(&[issuer]);
            validation.set_audience(&[&self.audience]);
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            match jsonwebtoken::decode::<serde_json::Value>(token, &key.key, &validation) {
                Ok(decoded) => {
                    check_issued_at(&decoded.claims, chrono::Utc::now().timestamp())?;
                    return serde_json::from_value(decoded.claims)
                        .map_err(|_| reject("the token's claims are malformed"));
                }
                // Another live key (the previous secret) may have signed it.
                Err(err) if *err.kind() == jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    refusal = reject(describe(err.kind()));
                }
                // The signature held: what failed is the claims, whichever key is tried.
                Err(err) => return Err(reject(describe(err.kind()))),
            }
        }
        Err(refusal)
    }

    /// Signs claims with the HS256 secret.
    pub fn sign<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        let Some(key) = &self.signing else {
            bail!("no signing key: set JWT_SECRET to mint tokens");
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, key)
            .context("could not sign a token")
    }
}

/// The bytes of an HS256 secret, refused when shorter than [`MIN_SECRET_BYTES`].
fn hs256_secret<'a>(name: &str, secret: &'a str) -> anyhow::Result<&'a [u8]> {
    let bytes = secret.as_bytes();
    if bytes.len() < MIN_SECRET_BYTES {
        bail!(
            "{name} is {} bytes long; it must be at least {MIN_SECRET_BYTES} bytes",
            bytes.len()
        );
    }
    Ok(bytes)
}

/// Refuses a token whose `iat` is malformed or in the future beyond the leeway; the
/// verification library checks `exp` and `nbf` but not `iat`. A token without one (or
/// with `null`, as the library treats `nbf`) passes.
fn check_issued_at(claims: &serde_json::Value, now: i64) -> Result<(), Rejection> {
    match claims.get("iat") {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(value) => match value.as_f64() {
            Some(iat) if iat <= (now as f64) + LEEWAY_SECONDS as f64 => Ok(()),
            Some(_) => Err(reject("the token was issued in the future (iat)")),
            None => Err(reject("the token's `iat` claim is malformed")),
        },
    }
}

fn describe(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "the token has expired".into(),
        K::ImmatureSignature => "the token is not valid yet (nbf is in the future)".into(),
        K::InvalidIssuer => "the token's issuer (iss) is not accepted".into(),
        K::InvalidAudience => "the token's audience (aud) is not accepted".into(),
        K::InvalidSubject => "the token's subject (sub) is not accepted".into(),
        K::MissingRequiredClaim(claim) => format!("the token has no `{claim}` claim"),
        K::InvalidClaimFormat(claim) => format!("the token's `{claim}` claim is malformed"),
        K::InvalidSignature => "the token's signature does not verify".into(),
        K::InvalidAlgorithm | K::MissingAlgorithm | K::InvalidAlgorithmName => {
            "the token's algorithm is not accepted".into()
        }
        K::Json(_) => "the token's claims are malformed".into(),
        _ => "the token is malformed".into(),
    }
}

/// Reads a JWKS (JSON with `keys`, each with a `kid`) or a single PEM public key.
fn public_keys(text: &str) -> anyhow::Result<Vec<VerifyingKey>> {
    if text.trim_start().starts_with('{') {
        let set: JwkSet = serde_json::from_str(text).context("not a JWKS document")?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            if jwk.common.key_id.is_none() {
                bail!("every key of a JWKS needs a `kid`");
            }
            keys.push(VerifyingKey::of_jwk(jwk).map_err(anyhow::Error::msg)?);
        }
        if keys.is_empty() {
            bail!("the JWKS holds no keys");
        }
        return Ok(keys);
    }
    let pem = text.as_bytes();
    let (algorithm, key) = if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        (Algorithm::RS256, key)
    } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        (Algorithm::ES256, key)
    } else if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        (Algorithm::EdDSA, key)
    } else {
        bail!("not a PEM public key of type RSA, EC (P-256) or Ed25519, nor a JWKS");
    };
    Ok(vec![VerifyingKey {
        kid: None,
        algorithm,
        key,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_shorter_than_32_bytes_is_refused() {
        let err = KeyRing::from_settings(&AuthSettings::with_secret("too short"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("at least 32 bytes"));
    }

    #[tokio::test]
    async fn a_token_signed_and_verified_with_the_secret_round_trips() {
        #[derive(Serialize, serde::Deserialize)]
        struct Claims {
            sub: String,
            iss: String,
            aud: String,
            exp: i64,
            nbf: i64,
        }
        let ring = KeyRing::from_settings(&AuthSettings::with_secret(&"k".repeat(32))).unwrap();
        let now = chrono::Utc::now().timestamp();
        let token = ring
            .sign(&Claims {
                sub: "merve".into(),
                iss: "fellowship-api".into(),
                aud: "fellowship-api".into(),
                exp: now + 60,
                nbf: now,
            })
            .unwrap();
        let claims: Claims = ring.verify(&token).await.unwrap();
        assert_eq!(claims.sub, "merve");
        let other = KeyRing::from_settings(&AuthSettings::with_secret(&"x".repeat(32))).unwrap();
        assert!(other.verify::<Claims>(&token).await.is_err());
    }

    fn ring(current: &str, previous: Option<&str>) -> anyhow::Result<KeyRing> {
        let mut settings = AuthSettings::with_secret(current);
        settings.jwt_secret_previous = previous.map(Into::into);
        KeyRing::from_settings(&settings)
    }

    fn token_of(ring: &KeyRing) -> String {
        let now = chrono::Utc::now().timestamp();
        ring.sign(&serde_json::json!({
            "sub": "merve", "iss": "fellowship-api", "aud": "fellowship-api", "exp": now + 60,
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn during_a_rotation_the_previous_secret_verifies_and_the_new_one_signs() {
        let (old, new) = ("o".repeat(32), "n".repeat(32));
        let before = ring(&old, None).unwrap();
        let rotating = ring(&new, Some(&old)).unwrap();
        let after = ring(&new, None).unwrap();
        // Tokens signed before the switch still verify while the old key is previous.
        assert!(rotating
            .verify::<serde_json::Value>(&token_of(&before))
            .await
            .is_ok());
        // The new tokens are signed with the new key: the old servers do not take them,
        // the ones after the rotation do.
        let fresh = token_of(&rotating);
        assert!(before.verify::<serde_json::Value>(&fresh).await.is_err());
        assert!(after.verify::<serde_json::Value>(&fresh).await.is_ok());
        // Once the previous key is gone, so are the tokens it signed.
        let refused = after
            .verify::<serde_json::Value>(&token_of(&before))
            .await
            .unwrap_err();
        assert!(refused.0.contains("signature"), "{refused}");
    }

    #[test]
    fn a_previous_secret_is_refused_when_short_or_alone() {
        assert!(ring(&"n".repeat(32), Some("short")).is_err());
        let mut alone = AuthSettings::with_secret(&"n".repeat(32));
        alone.jwt_secret = None;
        alone.jwt_secret_previous = Some("o".repeat(32).into());
        let err = KeyRing::from_settings(&alone).err().unwrap();
        assert!(err.to_string().contains("without JWT_SECRET"), "{err}");
    }

    #[tokio::test]
    async fn a_token_whose_claims_fail_is_refused_for_its_claims_not_its_signature() {
        let (old, new) = ("o".repeat(32), "n".repeat(32));
        let rotating = ring(&new, Some(&old)).unwrap();
        let now = chrono::Utc::now().timestamp();
        let expired = ring(&old, None)
            .unwrap()
            .sign(&serde_json::json!({
                "sub": "merve", "iss": "fellowship-api", "aud": "fellowship-api", "exp": now - 3600,
            }))
            .unwrap();
        let refused = rotating
            .verify::<serde_json::Value>(&expired)
            .await
            .unwrap_err();
        assert!(refused.0.contains("expired"), "{refused}");
    }

    #[test]
    fn an_issued_at_time_is_optional_and_refused_only_in_the_future_beyond_the_leeway() {
        let now = 1_700_000_000;
        let leeway = LEEWAY_SECONDS as i64;
        for (claims, accepted) in [
            (serde_json::json!({}), true),
            (serde_json::json!({ "iat": null }), true),
            (serde_json::json!({ "iat": now - 3600 }), true),
            (serde_json::json!({ "iat": now + leeway }), true),
            (serde_json::json!({ "iat": (now as f64) + 0.5 }), true),
            (serde_json::json!({ "iat": now + leeway + 1 }), false),
            (serde_json::json!({ "iat": now.to_string() }), false),
        ] {
            assert_eq!(check_issued_at(&claims, now).is_ok(), accepted, "{claims}");
        }
    }
}
