//! The employee-token extractor: a team-API handler that takes a [`TeamMember`] runs only for a
//! valid bearer token of an active employee of an active company.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};
use lead_auth::{authorize_employee, EmployeeToken, TokenKind};
use lead_store::{Member, Store};

use crate::limits::RateLimits;
use crate::request::blocking;
use crate::ApiError;

/// The authenticated employee; everything it touches is scoped to its company.
#[derive(Debug, Clone, Copy)]
pub struct TeamMember(pub Member);

impl FromRequest for TeamMember {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<TeamMember, ApiError>>>>;

    /// Reads `Authorization: Bearer …` and looks the token up. API keys are never accepted:
    /// they live in another table, so their hash is simply not found here.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = EmployeeToken::from_authorization(req.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes()));
        let store = req.app_data::<web::Data<Store>>().cloned();
        let limits = writes(req);
        Box::pin(async move {
            let store = store.ok_or_else(|| ApiError::Internal("the store is not configured".into()))?;
            let member = member_of(&store, token.as_ref(), TokenKind::Api).await?;
            if let Some(limits) = limits {
                limits.check_writes(member.token_id)?;
            }
            Ok(TeamMember(member))
        })
    }
}

/// The rate limits a request is held by as a write (any method but `GET`, `HEAD` and
/// `OPTIONS`): `None` for a read.
pub(crate) fn writes(req: &HttpRequest) -> Option<web::Data<RateLimits>> {
    let method = req.method();
    let read = method == Method::GET || method == Method::HEAD || method == Method::OPTIONS;
    if read {
        return None;
    }
    req.app_data::<web::Data<RateLimits>>().cloned()
}

/// The member `token` belongs to, if it is a credential of `kind` and may act
/// ([`authorize_employee`]): 401 without a token or for an unknown, revoked or other kind of
/// one, 403 for an inactive company. The one check of a team-API bearer token (`Api`) and of
/// a dashboard session (`Session`).
pub(crate) async fn member_of(
    store: &web::Data<Store>,
    token: Option<&EmployeeToken>,
    kind: TokenKind,
) -> Result<Member, ApiError> {
    let found = match token {
        None => None,
        Some(token) => {
            let hash = token.hash();
            blocking(store, move |store| store.access().find_token_of_kind(&hash, kind)).await?
        }
    };
    Ok(authorize_employee(
        token,
        found.map(|lookup| (lookup.member, lookup.state)),
    )?)
}
