use async_graphql::{Context, ID, Object};

use super::refresh_cookie;
use super::types::{
    AcceptInviteInput, ApiKey, AuthPayload, ChangePasswordInput, CreateApiKeyInput,
    CreateApiKeyPayload, Invite, InvitePayload, InviteUserInput, RegisterBrandInput,
    ResetPasswordInput, UpdateUserRoleInput, User, UserSession,
};
use crate::auth::Scope;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::id::{self, NodeKind};
use crate::service::{accounts, api_keys, invites, passwords, sessions, users};

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates a brand and its first ADMIN, and signs the ADMIN in.
    async fn register_brand(
        &self,
        ctx: &Context<'_>,
        input: RegisterBrandInput,
    ) -> Result<AuthPayload, AppError> {
        let session = accounts::register_brand(
            context::db(ctx)?,
            context::auth(ctx)?,
            accounts::RegisterBrand {
                brand_name: input.brand_name,
                currency: input.currency_code.0,
                timezone: input.timezone,
                email: input.email,
                password: input.password,
            },
            context::now(ctx),
        )
        .await?;
        Ok(AuthPayload::new(session))
    }

    /// Signs in with email and password. Failures are limited per account and per IP. With
    /// `refreshTokenInCookie: true` (browser front ends, docs/browser.md) the refresh token is
    /// set in an `HttpOnly` cookie and `refreshToken` answers null; the request must come from
    /// an allowed origin.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        #[graphql(secret)] password: String,
        refresh_token_in_cookie: Option<bool>,
    ) -> Result<AuthPayload, AppError> {
        let in_cookie = refresh_token_in_cookie.unwrap_or(false);
        if in_cookie {
            refresh_cookie::require_allowed_origin(ctx)?;
        }
        let session = accounts::login(
            context::db(ctx)?,
            context::auth(ctx)?,
            &email,
            password,
            context::client_ip(ctx),
            context::now(ctx),
        )
        .await?;
        Ok(refresh_cookie::deliver(ctx, session, in_cookie))
    }

    /// Exchanges a refresh token for a new token pair. Each refresh token works once; using one
    /// twice ends the session. Without `refreshToken`, the refresh cookie's token is used
    /// (only from an allowed origin: FORBIDDEN otherwise) and the new one goes back into the
    /// cookie; `refreshTokenInCookie: true` moves a token given as argument into the cookie.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] refresh_token: Option<String>,
        refresh_token_in_cookie: Option<bool>,
    ) -> Result<AuthPayload, AppError> {
        let (token, from_cookie) = match refresh_token {
            Some(token) => (token, false),
            None => (refresh_cookie::take(ctx)?, true),
        };
        let in_cookie = from_cookie || refresh_token_in_cookie.unwrap_or(false);
        if in_cookie && !from_cookie {
            refresh_cookie::require_allowed_origin(ctx)?;
        }
        let auth = context::auth(ctx)?;
        match sessions::refresh(context::db(ctx)?, auth, &token, auth.now()).await {
            Ok(session) => Ok(refresh_cookie::deliver(ctx, session, in_cookie)),
            Err(err) => {
                if from_cookie {
                    // A used, revoked or expired token: the browser need not send it again.
                    refresh_cookie::clear(ctx);
                }
                Err(err)
            }
        }
    }

    /// Ends the caller's session: its access and refresh tokens stop working, and the refresh
    /// cookie, when the request carried one, is cleared.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool, AppError> {
        let now = context::auth(ctx)?.now();
        let ended = sessions::logout(context::db(ctx)?, context::actor(ctx)?, now).await?;
        if refresh_cookie::sent(ctx) {
            refresh_cookie::clear(ctx);
        }
        Ok(ended)
    }

    /// ADMIN invites staff; ADMIN or MANAGER invites a creator to its creator record.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        input: InviteUserInput,
    ) -> Result<InvitePayload, AppError> {
        let actor = context::actor(ctx)?;
        let creator_id = input
            .creator_id
            .as_ref()
            .map(|id| id::decode_as(id, NodeKind::Creator, "creatorId"))
            .transpose()?;
        let issued = invites::invite_user(
            context::db(ctx)?,
            actor,
            context::links(ctx)?,
            invites::InviteUser {
                email: input.email,
                role: input.role.into(),
                creator_id,
            },
            context::now(ctx),
        )
        .await?;
        Ok(InvitePayload {
            invite_token: issued.token,
            expires_at: issued.expires_at.into(),
            invite: Invite(issued.invite),
        })
    }

    /// Accepts an invite and signs in. For a creator who already has an account (same email),
    /// give that account's password: the creator record is linked to it.
    async fn accept_invite(
        &self,
        ctx: &Context<'_>,
        input: AcceptInviteInput,
    ) -> Result<AuthPayload, AppError> {
        let session = accounts::accept_invite(
            context::db(ctx)?,
            context::auth(ctx)?,
            &input.invite_token,
            input.password,
            context::now(ctx),
        )
        .await?;
        Ok(AuthPayload::new(session))
    }

    /// Changes the caller's password (the current one is required). Every other session of
    /// the account ends; the caller's stays.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> Result<bool, AppError> {
        let auth = context::auth(ctx)?;
        passwords::change_password(
            context::db(ctx)?,
            auth,
            context::actor(ctx)?,
            input.old_password,
            input.new_password,
            context::now(ctx),
        )
        .await
    }

    /// Mails a password reset link (valid for an hour, once) to `email` if it is an account's.
    /// The answer is `true` whether or not it is; requests are limited per address and per IP.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> Result<bool, AppError> {
        passwords::request_reset(
            context::db(ctx)?,
            context::auth(ctx)?,
            context::links(ctx)?,
            &email,
            context::client_ip(ctx),
            context::now(ctx),
        )
        .await
    }

    /// Sets a new password with the token of a reset mail, and ends every session of the
    /// account. An unknown, used or expired token gets one answer (BAD_USER_INPUT on `token`).
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> Result<bool, AppError> {
        passwords::reset(
            context::db(ctx)?,
            &input.token,
            input.new_password,
            context::now(ctx),
        )
        .await
    }

    /// ADMIN: a new API key. The secret is in the answer and nowhere else.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload, AppError> {
        let scopes: Vec<Scope> = input.scopes.into_iter().map(Scope::from).collect();
        let created = api_keys::create(
            context::db(ctx)?,
            context::actor(ctx)?,
            &input.name,
            &scopes,
            context::now(ctx),
        )
        .await?;
        Ok(CreateApiKeyPayload {
            secret: created.secret,
            api_key: created.key,
        })
    }

    /// ADMIN: revokes a key; requests with it fail from the next one on.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey, AppError> {
        let key_id = id::decode_as(&id, NodeKind::ApiKey, "id")?;
        let key = api_keys::revoke(
            context::db(ctx)?,
            context::actor(ctx)?,
            key_id,
            context::now(ctx),
        )
        .await?;
        Ok(ApiKey(key))
    }

    /// ADMIN: gives a staff account of the brand another role; it applies from the account's
    /// next request. The brand's last active ADMIN cannot be demoted (CONFLICT).
    async fn update_user_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserRoleInput,
    ) -> Result<User, AppError> {
        let actor = context::actor(ctx)?;
        let user_id = id::decode_as(&input.user_id, NodeKind::User, "userId")?;
        let updated = users::update_role(
            context::db(ctx)?,
            actor,
            user_id,
            input.role.into(),
            context::now(ctx),
        )
        .await?;
        Ok(User::from(updated))
    }

    /// ADMIN: deactivates a staff account of the brand: all its sessions end at once, its
    /// access tokens are refused from the next request on and it cannot sign in. The brand's
    /// last active ADMIN cannot be deactivated (CONFLICT).
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User, AppError> {
        let user_id = id::decode_as(&id, NodeKind::User, "id")?;
        let user = users::deactivate(
            context::db(ctx)?,
            context::actor(ctx)?,
            user_id,
            context::now(ctx),
        )
        .await?;
        Ok(User::from(user))
    }

    /// ADMIN: lets a deactivated account sign in again.
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> Result<User, AppError> {
        let user_id = id::decode_as(&id, NodeKind::User, "id")?;
        let user = users::reactivate(
            context::db(ctx)?,
            context::actor(ctx)?,
            user_id,
            context::now(ctx),
        )
        .await?;
        Ok(User::from(user))
    }

    /// ADMIN: revokes a pending invite; accepting it then fails with a clear BAD_USER_INPUT.
    async fn revoke_invite(&self, ctx: &Context<'_>, id: ID) -> Result<Invite, AppError> {
        let invite_id = id::decode_as(&id, NodeKind::Invite, "id")?;
        let invite = invites::revoke(
            context::db(ctx)?,
            context::actor(ctx)?,
            invite_id,
            context::now(ctx),
        )
        .await?;
        Ok(Invite(invite))
    }

    /// Ends one of the caller's own sessions (see `sessions`): its tokens stop working at once.
    async fn end_session(&self, ctx: &Context<'_>, id: ID) -> Result<UserSession, AppError> {
        let session_id = id::decode_as(&id, NodeKind::Session, "id")?;
        let now = context::auth(ctx)?.now();
        let ended =
            sessions::end_own(context::db(ctx)?, context::actor(ctx)?, session_id, now).await?;
        Ok(UserSession(ended))
    }
}
