//! The mail step: Leo opts out of the "commission approved" mail, a pending invite for a new
//! analyst is queued, and the commission lines of every creator but Maya and Leo count as
//! announced. So the first polls of the mail worker log (or, with SMTP set, send) the invite,
//! the payout mail queued by the finance step and one "commission approved" summary for Maya,
//! and none for Leo; lines whose hold ends later are announced as it does.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter,
};

use super::{Demo, LoadError, StepContext};
use crate::auth::{Actor, Principal, Role};
use crate::db::entity::{commission, mail_message, user};
use crate::service::{invites, mail::Links, notifications};

/// The creator account that opted out of the "commission approved" mail.
pub const OPTED_OUT_LOGIN: &str = "leo@example.com";
/// Creators whose approved lines are announced by mail on the first polls.
const ANNOUNCED: [&str; 2] = ["maya", "leo"];
/// The staff member invited (mail queued, invite not accepted).
pub const INVITED_EMAIL: &str = "new.analyst@glow.example";

pub(super) async fn load(demo: &Demo<'_>, links: &Links) -> Result<(), LoadError> {
    let leo = user::Entity::find()
        .filter(user::Column::Email.eq(OPTED_OUT_LOGIN))
        .one(demo.db)
        .await?
        .ok_or_else(|| LoadError::Step {
            step: "mail".into(),
            detail: format!("no account {OPTED_OUT_LOGIN}"),
        })?;
    let as_leo = Actor {
        principal: Principal::User(leo.id),
        role: Role::Creator,
        brand_id: None,
        creator_ids: vec![],
        scopes: vec![],
        session_id: None,
    };
    notifications::update(demo.db, &as_leo, Some(false), demo.now)
        .await
        .step(|| "mail: opt-out".into())?;
    invites::invite_user(
        demo.db,
        &demo.admin,
        links,
        invites::InviteUser {
            email: INVITED_EMAIL.into(),
            role: Role::Analyst,
            creator_id: None,
        },
        demo.now,
    )
    .await
    .step(|| "mail: invite".into())?;
    let keep: Vec<i64> = ANNOUNCED
        .iter()
        .filter_map(|slug| demo.creators.get(*slug).copied())
        .collect();
    let mark = Query::update()
        .table(commission::Entity)
        .value(
            Alias::new("mail_notified_at"),
            Expr::col(commission::Column::CreatedAt),
        )
        .and_where(Expr::col(commission::Column::BrandId).eq(demo.brand_id))
        .and_where(Expr::col(commission::Column::CreatorId).is_not_in(keep))
        .to_owned();
    demo.db.execute(&mark).await?;
    Ok(())
}

/// The mail queued during the load names the brand by its loading name: give it the final one.
pub(super) async fn rename_brand_in_queued_mail(
    db: &DatabaseConnection,
    brand_id: i64,
) -> Result<(), DbErr> {
    let queued = mail_message::Entity::find()
        .filter(mail_message::Column::BrandId.eq(brand_id))
        .all(db)
        .await?;
    for row in queued {
        let rename = |text: &str| text.replace(super::LOADING_BRAND, super::DEMO_BRAND);
        let (subject, text, html) = (
            rename(&row.subject),
            rename(&row.text_body),
            rename(&row.html_body),
        );
        let mut active = row.into_active_model();
        active.subject = Set(subject);
        active.text_body = Set(text);
        active.html_body = Set(html);
        active.update(db).await?;
    }
    Ok(())
}
