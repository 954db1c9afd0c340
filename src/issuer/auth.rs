//! Who may call the service. A lane presents its own token, issued by `lanedesk issuer
//! lanes add` for one checkpoint and lane and kept only as a hash; a request that names
//! another lane is refused (403). A holder's phone presents its card's holder secret to
//! get a code. The one shared lane token and open minting exist only in demo mode
//! (`issuer serve --demo`), for the demo, training, tests and the load tool.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Extension, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Issuer;
use super::problem::{ApiError, ApiResult};
use super::store::credentials::{same_hash, secret_hash};
use super::store::{LaneCredential, Store, StoreError};
use crate::api::LaneIdentity;
use crate::domain::checkpoint::Checkpoint;
use crate::domain::credential::CardRef;

/// How long a lane token's lookup is remembered: a revocation takes effect within this.
pub const LANE_CACHE_FOR: Duration = Duration::from_secs(5);
/// Lookups remembered at most (unknown tokens included), so garbage tokens cannot grow it.
const LANE_CACHE_MAX: usize = 10_000;

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    same_hash(a, b)
}

/// The secret after `scheme` in the Authorization header; the scheme's case does not
/// matter (RFC 9110), and a missing header is `None`.
pub fn credential<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, secret) = value.trim().split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| secret.trim())
        .filter(|s| !s.is_empty())
}

/// Who a lane request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The demo's shared token: any lane.
    AnyLane,
    /// One lane's own token.
    Lane { checkpoint: String, lane: String },
}

impl Caller {
    /// Refuses (403) a request that names a lane other than the token's.
    pub fn may_act_for(&self, checkpoint: &str, lane: &str) -> ApiResult<()> {
        match self {
            Caller::AnyLane => Ok(()),
            Caller::Lane {
                checkpoint: c,
                lane: l,
            } if c == checkpoint && l == lane => Ok(()),
            Caller::Lane {
                checkpoint: c,
                lane: l,
            } => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "lane-mismatch",
                "Token of another lane",
                format!(
                    "This lane token belongs to lane {l} at {c}; the request names lane {lane} at {checkpoint}. Give each lane its own token (`lanedesk issuer lanes add`)."
                ),
            )),
        }
    }
}

/// What a token's hash was found to be, and when it was looked up.
type Seen = HashMap<[u8; 32], (Option<LaneCredential>, Instant)>;

/// Lane token lookups, remembered for [`LANE_CACHE_FOR`].
#[derive(Default)]
pub struct LaneCache {
    seen: Mutex<Seen>,
}

impl LaneCache {
    pub async fn find(
        &self,
        store: &dyn Store,
        token: &str,
    ) -> Result<Option<LaneCredential>, StoreError> {
        let hash = secret_hash(token);
        if let Some((found, at)) = self.lock().get(&hash) {
            if at.elapsed() < LANE_CACHE_FOR {
                return Ok(found.clone());
            }
        }
        let found = store.lane_for(hash).await?;
        let mut seen = self.lock();
        if seen.len() >= LANE_CACHE_MAX {
            seen.clear();
        }
        seen.insert(hash, (found.clone(), Instant::now()));
        Ok(found)
    }

    /// Forgets every lookup (after `lanes revoke` in this process).
    pub fn forget(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn refused(code: &str, title: &str, detail: &str) -> Response {
    ApiError::new(StatusCode::UNAUTHORIZED, code, title, detail).into_response()
}

/// The lane routes' gate: a lane's own token (or, in demo mode, the shared one). The
/// caller is handed to the route, which checks the lane the request names.
pub async fn require_lane(
    State(issuer): State<Arc<Issuer>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = credential(request.headers(), "Bearer") else {
        return refused(
            "lane-token-missing",
            "Lane token missing",
            "Send the lane token as 'Authorization: Bearer TOKEN'.",
        );
    };
    let shared = issuer.demo
        && issuer
            .lane_token
            .as_deref()
            .is_some_and(|t| same_secret(token.as_bytes(), t.as_bytes()));
    let caller = if shared {
        Caller::AnyLane
    } else {
        match issuer.lanes.find(&*issuer.store, token).await {
            Ok(Some(c)) if c.revoked_at.is_none() => Caller::Lane {
                checkpoint: c.checkpoint,
                lane: c.lane,
            },
            Ok(Some(_)) => {
                return refused(
                    "lane-token-revoked",
                    "Lane token revoked",
                    "This lane token was revoked. Ask the service desk for a new one (`lanedesk issuer lanes add`).",
                );
            }
            Ok(None) => {
                return refused(
                    "lane-token-refused",
                    "Lane token refused",
                    "The lane token is not valid for this service.",
                );
            }
            Err(e) => return ApiError::store(e).into_response(),
        }
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// `GET /v1/lanes/{checkpoint}/{lane}`: 200 with the lane when the token is this lane's
/// (or the demo's shared one), 403 for another lane's; `require_lane` answers 401 for an
/// unknown or revoked token. Nothing is recorded: a lane may ask at every health check.
pub async fn lane_identity(
    Extension(caller): Extension<Caller>,
    Path((checkpoint, lane)): Path<(String, String)>,
) -> ApiResult<Json<LaneIdentity>> {
    let checkpoint = Checkpoint::find(&checkpoint).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unknown-checkpoint",
            "Unknown checkpoint",
            e,
        )
    })?;
    caller.may_act_for(checkpoint.slug, &lane)?;
    Ok(Json(LaneIdentity {
        checkpoint: checkpoint.slug.to_owned(),
        lane,
        shared: caller == Caller::AnyLane,
    }))
}

/// Minting's gate: outside demo mode, the card's holder secret
/// (`Authorization: Holder SECRET`). A wrong secret and an unknown card get the same
/// answer, so the route tells no one which cards exist.
pub async fn check_holder(issuer: &Issuer, headers: &HeaderMap, card: CardRef) -> ApiResult<()> {
    if issuer.demo {
        return Ok(());
    }
    let Some(secret) = credential(headers, "Holder") else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "holder-credential-missing",
            "Holder credential missing",
            "Codes are given to the card's holder only: send the holder secret as 'Authorization: Holder SECRET'.",
        ));
    };
    let held = issuer
        .store
        .holder_secret(card)
        .await
        .map_err(ApiError::store)?;
    match held {
        Some(hash) if same_hash(&hash, &secret_hash(secret)) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "holder-credential-refused",
            "Holder credential refused",
            "The holder secret does not match this card.",
        )),
    }
}

/// Routes that exist only in demo mode answer 404 otherwise, as if they were not there.
pub fn demo_only(issuer: &Issuer) -> ApiResult<()> {
    if issuer.demo {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such resource",
            "The card list exists only on a service started with --demo.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_content_and_length() {
        assert!(same_secret(b"lane-7", b"lane-7"));
        assert!(!same_secret(b"lane-7", b"lane-8"));
        assert!(!same_secret(b"lane-7", b"lane-77"));
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_the_secret_trimmed() {
        let mut h = HeaderMap::new();
        assert_eq!(credential(&h, "Bearer"), None);
        for value in [
            "Bearer s3cret",
            "bearer s3cret",
            "BEARER  s3cret ",
            "bEaReR s3cret",
        ] {
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(credential(&h, "Bearer"), Some("s3cret"), "{value:?}");
            assert_eq!(credential(&h, "Holder"), None, "{value:?}");
        }
        h.insert(header::AUTHORIZATION, "Bearer".parse().unwrap());
        assert_eq!(credential(&h, "Bearer"), None);
        h.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(credential(&h, "Bearer"), None);
    }

    #[test]
    fn a_lane_token_acts_only_for_its_own_lane() {
        let caller = Caller::Lane {
            checkpoint: "lo-wu".into(),
            lane: "L1".into(),
        };
        assert!(caller.may_act_for("lo-wu", "L1").is_ok());
        for (c, l) in [("lo-wu", "L2"), ("futian", "L1")] {
            let err = caller.may_act_for(c, l).unwrap_err();
            assert_eq!(err.0.status, 403);
            assert!(
                err.0.detail.contains("lane L1 at lo-wu"),
                "{}",
                err.0.detail
            );
        }
        assert!(Caller::AnyLane.may_act_for("futian", "9").is_ok());
    }
}
