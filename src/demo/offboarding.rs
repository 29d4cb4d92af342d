//! Offboarding and editing at work, through the services as the demo ADMIN, after the traffic
//! (which is history: it was recorded while everything was live): the link `glow-jonas` is
//! PAUSED, the code `ETHAN20` deactivated, [`super::FORMER_STAFF`] deactivated and an invite to
//! an agency revoked.

use super::{Demo, LoadError, StepContext};
use crate::auth::Role;
use crate::db::entity::{discount_code, tracking_link};
use crate::domain::lifecycle::LinkState;
use crate::service::mail::Links;
use crate::service::{invites, links, users};

/// The link the demo pauses and the discount code it deactivates.
pub(super) const PAUSED_LINK: &str = "glow-jonas";
pub(super) const DEACTIVATED_CODE: &str = "ETHAN20";
/// The address of the invite the demo revokes.
pub(super) const REVOKED_INVITE: &str = "agency@partner.example";

pub(super) async fn load(
    demo: &Demo<'_>,
    mail_links: &Links,
    former_staff_id: i64,
) -> Result<(), LoadError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let link = tracking_link::Entity::find()
        .filter(tracking_link::Column::BrandId.eq(demo.brand_id))
        .filter(tracking_link::Column::Code.eq(PAUSED_LINK))
        .one(demo.db)
        .await?
        .ok_or_else(|| LoadError::Step {
            step: "pause link".into(),
            detail: format!("{PAUSED_LINK} is not in the plan"),
        })?;
    let change = links::LinkChange {
        state: Some(LinkState::Paused),
        ..Default::default()
    };
    links::update_link(demo.db, &demo.admin, link.id, change, demo.now)
        .await
        .step(|| format!("pause {PAUSED_LINK}"))?;

    let code = discount_code::Entity::find()
        .filter(discount_code::Column::BrandId.eq(demo.brand_id))
        .filter(discount_code::Column::Code.eq(DEACTIVATED_CODE))
        .one(demo.db)
        .await?
        .ok_or_else(|| LoadError::Step {
            step: "deactivate code".into(),
            detail: format!("{DEACTIVATED_CODE} is not in the plan"),
        })?;
    links::deactivate_discount_code(demo.db, &demo.admin, code.id, demo.now)
        .await
        .step(|| format!("deactivate {DEACTIVATED_CODE}"))?;

    users::deactivate(demo.db, &demo.admin, former_staff_id, demo.now)
        .await
        .step(|| "deactivate the former manager".into())?;

    let issued = invites::invite_user(
        demo.db,
        &demo.admin,
        mail_links,
        invites::InviteUser {
            email: REVOKED_INVITE.into(),
            role: Role::Analyst,
            creator_id: None,
        },
        demo.now,
    )
    .await
    .step(|| "invite the agency".into())?;
    invites::revoke(demo.db, &demo.admin, issued.invite.id, demo.now)
        .await
        .step(|| "revoke the agency's invite".into())?;
    Ok(())
}
