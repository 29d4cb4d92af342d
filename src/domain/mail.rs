//! Outgoing mail: what each kind of message says, in plain text and HTML. Every value put into
//! the HTML is escaped; links are built by the caller from the configured app URL and a token.

use super::stored_enum;

stored_enum! {
    /// Why a message is sent.
    pub enum MailKind {
        Invite => "INVITE",
        PasswordReset => "PASSWORD_RESET",
        PayoutPaid => "PAYOUT_PAID",
        CommissionApproved => "COMMISSION_APPROVED",
    }
}

stored_enum! {
    /// Where a message is in the outbox (`CANCELLED`: withdrawn before it went out, an invite
    /// revoked while its mail waited).
    pub enum MailStatus {
        Pending => "PENDING",
        Sent => "SENT",
        Failed => "FAILED",
        Cancelled => "CANCELLED",
    }
}

impl MailKind {
    /// Whether the message carries a secret link (its bodies are cleared once sent).
    pub fn has_secret_link(self) -> bool {
        matches!(self, Self::Invite | Self::PasswordReset)
    }
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `value` safe inside HTML text and attribute values.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A subject line: one line, no control characters (no header injection), at most 200 chars.
fn subject(raw: String) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

fn html_page(paragraphs: &[String], link: Option<(&str, &str)>) -> String {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str("<p>");
        body.push_str(&escape_html(p));
        body.push_str("</p>\n");
    }
    if let Some((label, url)) = link {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape_html(url),
            escape_html(label)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n{body}<p style=\"color: #666\">PartnerGraph</p>\n</body></html>\n"
    )
}

fn text_page(paragraphs: &[String], link: Option<(&str, &str)>) -> String {
    let mut text = paragraphs.join("\n\n");
    if let Some((label, url)) = link {
        text.push_str(&format!("\n\n{label}: {url}"));
    }
    text.push_str("\n\n-- \nPartnerGraph\n");
    text
}

fn render(subject_line: String, paragraphs: Vec<String>, link: Option<(&str, &str)>) -> Rendered {
    Rendered {
        subject: subject(subject_line),
        text: text_page(&paragraphs, link),
        html: html_page(&paragraphs, link),
    }
}

/// An invite to join `brand` as `role` (`CREATOR` or a staff role), valid until `expires`.
pub fn invite(brand: &str, role: &str, link: &str, expires: &str) -> Rendered {
    let as_what = if role == "CREATOR" {
        "as a creator partner".to_owned()
    } else {
        format!("as {}", role.to_lowercase())
    };
    render(
        format!("You are invited to join {brand} on PartnerGraph"),
        vec![
            format!("You have been invited to join {brand} on PartnerGraph {as_what}."),
            format!("The invite works once and until {expires}."),
            "If you did not expect this invitation, ignore this message.".into(),
        ],
        Some(("Accept the invite", link)),
    )
}

/// A password reset link, valid until `expires`.
pub fn password_reset(link: &str, expires: &str) -> Rendered {
    render(
        "Reset your PartnerGraph password".into(),
        vec![
            "Someone (we hope you) asked to reset the password of your PartnerGraph account."
                .into(),
            format!(
                "The link works once and until {expires}; it ends every session of the account."
            ),
            "If you did not ask for it, ignore this message: your password stays as it is.".into(),
        ],
        Some(("Choose a new password", link)),
    )
}

/// A payout of `amount` (formatted with its currency) by `brand` was paid.
pub fn payout_paid(brand: &str, amount: &str, reference: &str) -> Rendered {
    render(
        format!("{brand} paid you {amount}"),
        vec![
            format!("{brand} marked a payout of {amount} to you as paid."),
            format!("Payment reference: {reference}"),
        ],
        None,
    )
}

/// `count` commission lines totalling `amount` were approved by `brand`.
pub fn commission_approved(
    brand: &str,
    count: usize,
    amount: &str,
    settings_hint: &str,
) -> Rendered {
    let lines = if count == 1 {
        "1 commission".to_owned()
    } else {
        format!("{count} commissions")
    };
    render(
        format!("{lines} approved by {brand}: {amount}"),
        vec![
            format!(
                "{lines} from {brand}, {amount} in all, passed their hold period and are approved for your next payout."
            ),
            settings_hint.to_owned(),
        ],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        let mail = invite(
            "<script>alert(1)</script>",
            "MANAGER",
            "https://app.test/accept-invite?token=a&b=\"c\"",
            "2026-12-12",
        );
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(
            mail.html
                .contains("href=\"https://app.test/accept-invite?token=a&amp;b=&quot;c&quot;\"")
        );
        // Plain text is not escaped.
        assert!(mail.text.contains("<script>alert(1)</script>"));
        assert!(
            mail.text
                .contains("https://app.test/accept-invite?token=a&b=\"c\"")
        );
    }

    #[test]
    fn subjects_are_one_line() {
        let mail = payout_paid("Evil\r\nBcc: x@y.test", "USD 1.00", "ref");
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
    }

    #[test]
    fn each_template_names_its_link_or_amount() {
        let reset = password_reset("https://app.test/reset-password?token=t", "12:00 UTC");
        assert!(
            reset
                .text
                .contains("https://app.test/reset-password?token=t")
        );
        assert!(
            reset
                .html
                .contains("https://app.test/reset-password?token=t")
        );
        let invite = invite("Glow", "CREATOR", "https://x.test/i", "soon");
        assert!(invite.text.contains("as a creator partner"));
        let approved = commission_approved("Glow", 2, "USD 12.50", "hint");
        assert!(approved.subject.contains("2 commissions"));
        assert!(approved.text.contains("USD 12.50"));
    }

    #[test]
    fn only_invites_and_resets_carry_secrets() {
        assert!(MailKind::Invite.has_secret_link());
        assert!(MailKind::PasswordReset.has_secret_link());
        assert!(!MailKind::PayoutPaid.has_secret_link());
        assert!(!MailKind::CommissionApproved.has_secret_link());
    }
}
