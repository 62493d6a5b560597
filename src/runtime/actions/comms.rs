//! SPEC §5.2 Client communication: `send email`, `send sms`, `add comment`.
//!
//! `to: contact` (the default) means the item's contact's email (phone for SMS), `to: company`
//! the company's; an expression gives the address itself. No address: an error, nothing sent.

use super::super::effects::{EffectKind, EmailInfo, SmsInfo};
use super::super::exec::{Ctx, RtError, RtResult};
use super::super::value::{EntityRef, Value};
use super::super::Engine;
use crate::model::Call;

/// `send email SUBJECT { body, to, from, format, attachments }` → Email
pub(super) fn send_email(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let subject = engine.text_arg(ctx, call, "subject")?.unwrap_or_default();
    let body = engine.text_arg(ctx, call, "body")?.unwrap_or_default();
    let to = engine.address(ctx, call, item, "email", "send email")?;
    let email = engine.new_record(
        "Email",
        vec![
            ("item", Value::Entity(item)),
            ("to", Value::Text(to.clone())),
            ("subject", Value::Text(subject.clone())),
            ("body", Value::Text(body.clone())),
        ],
    )?;
    engine.mark_automation(email, item, false);
    let info = EmailInfo { email, to, subject, body };
    engine.log(Some(item), EffectKind::Email(Box::new(info)));
    Ok(Some(Value::Entity(email)))
}

/// `send sms TEXT { to, provider }`
pub(super) fn send_sms(engine: &mut Engine, ctx: &mut Ctx, call: &Call) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let text = engine.text_arg(ctx, call, "text")?.unwrap_or_default();
    let to = engine.address(ctx, call, item, "phone", "send sms")?;
    engine.log(Some(item), EffectKind::Sms(Box::new(SmsInfo { to, text })));
    Ok(None)
}

/// `add comment TEXT [by USER]`
pub(super) fn add_comment(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let text = engine.text_arg(ctx, call, "text")?.unwrap_or_default();
    let author = match call.args.get("author") {
        Some(_) => Some(engine.user_arg(ctx, call, "author", "add comment")?),
        None => engine.responsible_of(item).map(|u| engine.user_arc(&u)),
    };
    engine.log(Some(item), EffectKind::Comment { text: text.into_boxed_str(), author });
    Ok(None)
}

impl Engine {
    /// The address (`email` or `phone`) a message goes to.
    fn address(
        &self,
        ctx: &Ctx,
        call: &Call,
        item: EntityRef,
        channel: &str,
        action: &str,
    ) -> RtResult<String> {
        let target = match self.keyword(call, "to") {
            Some(k) => k.to_string(),
            None => match self.arg_value(ctx, call, "to")? {
                Some(Value::Text(t)) if !t.is_empty() => return Ok(t),
                Some(Value::Entity(r)) => return self.channel_of(r, channel, action),
                Some(Value::Text(_)) | Some(Value::None) => {
                    return Err(RtError::new(format!("cannot {action}: the address is empty")))
                }
                Some(other) => return Ok(self.render_value(&other)),
                None => "contact".to_string(),
            },
        };
        let Some(Value::Entity(r)) = self.read_field(item, &target) else {
            return Err(RtError::new(format!(
                "cannot {action}: {} has no {target}",
                self.describe_entity(item)
            )));
        };
        if self.state.live(r).is_none() {
            return Err(RtError::new(format!(
                "cannot {action}: {} has no {target}",
                self.describe_entity(item)
            )));
        }
        self.channel_of(r, channel, action)
    }

    /// A contact's or company's email or phone.
    fn channel_of(&self, r: EntityRef, channel: &str, action: &str) -> RtResult<String> {
        match self.read_field(r, channel) {
            Some(Value::Text(t)) if !t.is_empty() => Ok(t),
            _ => {
                let what = if channel == "email" { "email address" } else { "phone number" };
                Err(RtError::new(format!(
                    "cannot {action}: {} has no {what}",
                    self.describe_entity(r)
                )))
            }
        }
    }
}
