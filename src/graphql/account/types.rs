//! Resolvers that read the database box that read (`Box::pin`), as in the creator and campaign
//! types: each field's future of `User` is as large as its largest field, and `viewer` is on
//! every front end's first request (docs/architecture.md, "Future sizes").

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use crate::auth::{Role as AuthRole, Scope};
use crate::db::entity::{api_key, invite, refresh_token, user};
use crate::error::AppError;
use crate::graphql::brand::types::Brand;
use crate::graphql::context;
use crate::graphql::creator::types::Creator;
use crate::graphql::id::{self, NodeKind};
use crate::graphql::scalars::{CurrencyCode, DateTime};
use crate::service::invites::{self, InviteStatus as ServiceInviteStatus};
use crate::service::{self, actors, sessions::Session};

/// A user's role. API keys are not users: they act as integrators with scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum Role {
    Admin,
    Manager,
    Analyst,
    Creator,
}

impl From<Role> for AuthRole {
    fn from(value: Role) -> Self {
        match value {
            Role::Admin => AuthRole::Admin,
            Role::Manager => AuthRole::Manager,
            Role::Analyst => AuthRole::Analyst,
            Role::Creator => AuthRole::Creator,
        }
    }
}

impl Role {
    fn from_stored(value: &str) -> Result<Self, AppError> {
        match AuthRole::from_stored(value) {
            Some(AuthRole::Admin) => Ok(Self::Admin),
            Some(AuthRole::Manager) => Ok(Self::Manager),
            Some(AuthRole::Analyst) => Ok(Self::Analyst),
            Some(AuthRole::Creator) => Ok(Self::Creator),
            _ => Err(AppError::internal(format!("stored role {value:?}"))),
        }
    }
}

/// What an API key may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum ApiKeyScope {
    /// Record clicks, conversions and refunds.
    Ingest,
    /// Read tracking links and discount codes.
    ReadLinks,
    /// Read the conversion change feed.
    ReadChanges,
}

impl From<ApiKeyScope> for Scope {
    fn from(value: ApiKeyScope) -> Self {
        match value {
            ApiKeyScope::Ingest => Scope::Ingest,
            ApiKeyScope::ReadLinks => Scope::ReadLinks,
            ApiKeyScope::ReadChanges => Scope::ReadChanges,
        }
    }
}

impl From<Scope> for ApiKeyScope {
    fn from(value: Scope) -> Self {
        match value {
            Scope::Ingest => ApiKeyScope::Ingest,
            Scope::ReadLinks => ApiKeyScope::ReadLinks,
            Scope::ReadChanges => ApiKeyScope::ReadChanges,
        }
    }
}

/// A person who signs in: brand staff, or a creator (linked to creator records of one or more
/// brands).
pub struct User(pub Arc<user::Model>);

impl From<user::Model> for User {
    fn from(user: user::Model) -> Self {
        Self(Arc::new(user))
    }
}

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::User, self.0.id)
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn role(&self) -> Result<Role, AppError> {
        Role::from_stored(&self.0.role)
    }

    /// The staff member's brand; null for creator accounts (see `creators`).
    async fn brand(&self, ctx: &Context<'_>) -> Result<Option<Brand>, AppError> {
        let Some(brand_id) = self.0.brand_id else {
            return Ok(None);
        };
        let brand = Box::pin(context::loaders(ctx)?.brands().load_one(brand_id))
            .await
            .map_err(AppError::internal)?;
        Ok(brand.map(Brand))
    }

    /// For creator accounts: their creator record at each brand they work with.
    async fn creators(&self, ctx: &Context<'_>) -> Result<Vec<Creator>, AppError> {
        if self.0.brand_id.is_some() {
            return Ok(Vec::new());
        }
        let records = Box::pin(service::users::creator_records(
            context::db(ctx)?,
            self.0.id,
        ))
        .await?;
        Ok(records.into_iter().map(Creator::from).collect())
    }

    async fn last_login_at(&self) -> Option<DateTime> {
        self.0.last_login_at.map(DateTime)
    }

    /// False while the account is deactivated (it cannot sign in; `reactivateUser` undoes it).
    async fn active(&self) -> bool {
        self.0.deactivated_at.is_none()
    }

    async fn deactivated_at(&self) -> Option<DateTime> {
        self.0.deactivated_at.map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// A signed-in session. Keep the refresh token secret: it is shown only here (or set in the
/// refresh cookie instead, see `refreshTokenInCookie`).
pub struct AuthPayload {
    session: Session,
    refresh_token_in_body: bool,
}

impl AuthPayload {
    /// Both tokens in the answer.
    pub fn new(session: Session) -> Self {
        Self {
            session,
            refresh_token_in_body: true,
        }
    }

    /// The refresh token went into the cookie: `refreshToken` answers null.
    pub fn refresh_token_in_cookie(session: Session) -> Self {
        Self {
            session,
            refresh_token_in_body: false,
        }
    }
}

#[Object]
impl AuthPayload {
    /// Bearer token for `Authorization: Bearer ...`, valid until `expiresAt`. A browser keeps
    /// it in memory only.
    async fn access_token(&self) -> &str {
        &self.session.access_token
    }

    /// Single-use: exchange it with `refreshSession` for a new pair. Null when it was set in
    /// the `HttpOnly` refresh cookie instead (`refreshTokenInCookie: true`, or a refresh with
    /// the cookie).
    async fn refresh_token(&self) -> Option<&str> {
        self.refresh_token_in_body
            .then_some(self.session.refresh_token.as_str())
    }

    /// When the access token expires.
    async fn expires_at(&self) -> DateTime {
        self.session.expires_at.into()
    }

    async fn user(&self) -> User {
        User::from(self.session.user.clone())
    }
}

#[derive(SimpleObject)]
pub struct InvitePayload {
    /// Single-use; send it to the invitee. Shown only here.
    pub invite_token: String,
    pub expires_at: DateTime,
    /// The invite (to list or revoke it later); never its token.
    pub invite: Invite,
}

/// Where an invite stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum InviteStatus {
    /// Can be accepted until `expiresAt`.
    Pending,
    Accepted,
    /// Revoked by an ADMIN: accepting it answers that it was revoked.
    Revoked,
    Expired,
}

impl From<ServiceInviteStatus> for InviteStatus {
    fn from(value: ServiceInviteStatus) -> Self {
        match value {
            ServiceInviteStatus::Pending => Self::Pending,
            ServiceInviteStatus::Accepted => Self::Accepted,
            ServiceInviteStatus::Revoked => Self::Revoked,
            ServiceInviteStatus::Expired => Self::Expired,
        }
    }
}

/// An invitation to join the brand as staff or as a creator's account. The token is shown
/// once, when it is issued.
pub struct Invite(pub invite::Model);

#[Object]
impl Invite {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Invite, self.0.id)
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn role(&self) -> Result<Role, AppError> {
        Role::from_stored(&self.0.role)
    }

    async fn status(&self, ctx: &Context<'_>) -> InviteStatus {
        invites::status(&self.0, context::now(ctx)).into()
    }

    async fn expires_at(&self) -> DateTime {
        self.0.expires_at.into()
    }

    async fn accepted_at(&self) -> Option<DateTime> {
        self.0.accepted_at.map(DateTime)
    }

    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// One of the caller's signed-in sessions (a login, kept alive by refreshing).
pub struct UserSession(pub refresh_token::Model);

#[Object(name = "Session")]
impl UserSession {
    /// Stays the same however often the session is refreshed.
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::Session, self.0.id)
    }

    /// When the session signed in.
    async fn started_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Whether this is the session of the request's own access token.
    async fn current(&self, ctx: &Context<'_>) -> Result<bool, AppError> {
        Ok(context::actor(ctx)?.session_id.as_deref() == Some(self.0.family_id.as_str()))
    }

    /// When the session was ended (`endSession`, `logout`, reuse of a refresh token, or the
    /// account's deactivation); null while it is live.
    async fn ended_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }
}

/// An integrator's key. The secret itself is shown once, at creation.
pub struct ApiKey(pub api_key::Model);

#[Object]
impl ApiKey {
    pub async fn id(&self) -> ID {
        id::encode(NodeKind::ApiKey, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The first characters of the secret, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    async fn scopes(&self) -> Vec<ApiKeyScope> {
        actors::parse_scopes(&self.0.scopes)
            .into_iter()
            .map(ApiKeyScope::from)
            .collect()
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(DateTime)
    }

    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }
}

pub struct CreateApiKeyPayload {
    pub secret: String,
    pub api_key: api_key::Model,
}

#[Object]
impl CreateApiKeyPayload {
    /// The key to send as `Authorization: Bearer ...`. Shown only here: store it now.
    async fn secret(&self) -> &str {
        &self.secret
    }

    async fn api_key(&self) -> ApiKey {
        ApiKey(self.api_key.clone())
    }
}

#[derive(InputObject)]
pub struct RegisterBrandInput {
    pub brand_name: String,
    /// The brand's reporting currency.
    pub currency_code: CurrencyCode,
    /// IANA timezone, e.g. "Europe/Berlin".
    pub timezone: String,
    /// The first ADMIN's email.
    pub email: String,
    /// At least 12 characters, and not one of the most common passwords.
    #[graphql(secret)]
    pub password: String,
}

#[derive(InputObject)]
pub struct InviteUserInput {
    pub email: String,
    pub role: Role,
    /// Required for role CREATOR: the creator record the account will be linked to.
    pub creator_id: Option<ID>,
}

#[derive(InputObject)]
pub struct AcceptInviteInput {
    #[graphql(secret)]
    pub invite_token: String,
    /// The new account's password, or the existing creator account's password (to link it).
    #[graphql(secret)]
    pub password: String,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    #[graphql(secret)]
    pub old_password: String,
    /// At least 12 characters, and not one of the most common passwords.
    #[graphql(secret)]
    pub new_password: String,
}

#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token from the reset mail's link.
    #[graphql(secret)]
    pub token: String,
    /// At least 12 characters, and not one of the most common passwords.
    #[graphql(secret)]
    pub new_password: String,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub name: String,
    pub scopes: Vec<ApiKeyScope>,
}

#[derive(InputObject)]
pub struct UpdateUserRoleInput {
    /// A staff account of the brand.
    pub user_id: ID,
    /// ADMIN, MANAGER or ANALYST.
    pub role: Role,
}
