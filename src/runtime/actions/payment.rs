//! SPEC §5.4 Payment: `create payment link`, `create from source`.

use indexmap::IndexMap;

use super::super::effects::{EffectKind, PaymentLinkInfo};
use super::super::exec::{Ctx, RtError, RtResult};
use super::super::value::{EntityRef, Value};
use super::super::Engine;
use crate::model::Call;

/// `create payment link [{ order }]` → PaymentLink { url, amount }: the url is
/// `https://bp.invalid/pay/KIND/N/M` where M counts the item's links; the amount is the
/// order's when given, else the item's.
pub(super) fn create_payment_link(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let amount = match engine.arg_value(ctx, call, "order")? {
        Some(Value::Entity(order)) => engine.read_field(order, "amount").unwrap_or(Value::None),
        _ => engine.read_field(item, "amount").unwrap_or(Value::None),
    };
    let amount = match amount {
        Value::Number(d) => Value::Money(d),
        other => other,
    };
    let m = match engine.state.live_mut(item) {
        Some(row) => {
            row.links += 1;
            row.links
        }
        None => return Err(RtError::new("the item was deleted")),
    };
    let kind = &engine.model.entity(item.entity).item_name;
    let url = format!("https://bp.invalid/pay/{kind}/{}/{m}", item.n);
    let info = PaymentLinkInfo { url: url.clone(), amount: amount.clone() };
    engine.log(Some(item), EffectKind::PaymentLink(Box::new(info)));
    let link =
        IndexMap::from([("url".to_string(), Value::Text(url)), ("amount".to_string(), amount)]);
    Ok(Some(Value::record(link)))
}

/// `create from source invoice | quote [, …] { responsible }`: an invoice or quote for the
/// item's amount, linked to it (its `deal`), each logged as `entity_created`.
pub(super) fn create_from_source(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let sources: Vec<String> = match engine.arg_value(ctx, call, "sources")? {
        Some(Value::List(items)) => items.iter().map(|v| engine.render_value(v)).collect(),
        Some(v) if !v.is_none() => vec![engine.render_value(&v)],
        _ => Vec::new(),
    };
    let amount = match engine.read_field(item, "amount") {
        Some(Value::None) | None => Value::Money(rust_decimal::Decimal::ZERO),
        Some(v) => v,
    };
    let mut created = Vec::new();
    for source in sources {
        let kind_name = match source.as_str() {
            "invoice" => "Invoice",
            "quote" => "Quote",
            other => return Err(RtError::new(format!("cannot create from source `{other}`"))),
        };
        let kind = engine
            .model
            .entity_id(kind_name)
            .ok_or_else(|| RtError::new(format!("the stdlib has no `{kind_name}` entity")))?;
        let def = engine.model.entity(kind);
        let mut given = IndexMap::new();
        if let Some(field) = def.fields.get("deal") {
            if matches!(field.ty.base(), crate::types::Type::Entity(e) if *e == item.entity) {
                given.insert("deal".to_string(), Value::Entity(item));
            }
        }
        if def.fields.contains_key("amount") {
            given.insert("amount".to_string(), amount.clone());
        }
        if def.fields.contains_key("responsible") {
            if let Some(Value::User(u)) = engine.arg_value(ctx, call, "responsible")? {
                given.insert("responsible".to_string(), Value::User(u));
            }
        }
        let (row, _) = engine.instantiate(kind, given, None, None).map_err(RtError)?;
        let r = EntityRef::new(kind, engine.state.count(kind) + 1);
        engine.insert_entity(r, row, None);
        engine.queue_create_processes(r);
        created.push(Value::Entity(r));
    }
    Ok(Some(Value::List(created)))
}
