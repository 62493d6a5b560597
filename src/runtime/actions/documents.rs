//! SPEC §5.3 Documents: `create document`, `send for signing`, `edit details of`,
//! `get details of`.
//!
//! Documents get `url` = `https://bp.invalid/document/N.pdf` and, with `public_link: true`,
//! `public_url` = `https://bp.invalid/public/document/N` (SPEC §8 "Generated values").
//! Details are stored per (contact or company, template); the address fields per address kind.

use indexmap::IndexMap;

use super::super::effects::{DetailsInfo, DocumentInfo, EffectKind};
use super::super::exec::{Ctx, RtError, RtResult};
use super::super::value::{EntityRef, Value};
use super::super::Engine;
use crate::model::Call;

/// The `Details` fields kept per address kind.
const ADDRESS_FIELDS: &[&str] = &["address", "city", "postal_code", "country"];

/// `create document TEMPLATE { public_link, fields, … }` → Document
pub(super) fn create_document(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let public = engine.bool_arg(ctx, call, "public_link", false)?;
    // The field values are computed (an error in one is the statement's error).
    engine.arg_value(ctx, call, "fields")?;
    let (document, info) = make_document(engine, ctx, call, public)?;
    engine.log(ctx.item, EffectKind::DocumentCreated(Box::new(info)));
    Ok(Some(Value::Entity(document)))
}

/// `send for signing TEMPLATE { signer }` → Document
pub(super) fn send_for_signing(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let (document, info) = make_document(engine, ctx, call, false)?;
    engine.log(ctx.item, EffectKind::SignRequested(Box::new(info)));
    Ok(Some(Value::Entity(document)))
}

fn make_document(
    engine: &mut Engine,
    ctx: &Ctx,
    call: &Call,
    public: bool,
) -> RtResult<(EntityRef, DocumentInfo)> {
    let item = engine.item(ctx)?;
    let template = engine.text_arg(ctx, call, "template")?.unwrap_or_default();
    let kind = engine
        .model
        .entity_id("Document")
        .ok_or_else(|| RtError::new("the stdlib has no `Document` entity"))?;
    let n = engine.state.count(kind) + 1;
    let url = format!("https://bp.invalid/document/{n}.pdf");
    let public_url = public.then(|| Value::Text(format!("https://bp.invalid/public/document/{n}")));
    let document = engine.new_record(
        "Document",
        vec![
            ("item", Value::Entity(item)),
            ("template", Value::Text(template.clone())),
            ("url", Value::Text(url.clone())),
            ("public_url", public_url.unwrap_or(Value::None)),
        ],
    )?;
    engine.mark_automation(document, item, false);
    Ok((document, DocumentInfo { document, template, url }))
}

/// `edit details of contact|company { template, address, set: { … } }`
pub(super) fn edit_details(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let target = engine.details_target(ctx, call, "edit details")?;
    let template = engine.text_arg(ctx, call, "template")?;
    let address = engine.keyword(call, "address").unwrap_or("legal").to_string();
    let fields = match engine.arg_value(ctx, call, "set")? {
        Some(Value::Record(map)) => *map,
        _ => IndexMap::new(),
    };
    let key = details_key(engine, target, template.as_deref());
    let entry = engine.state.details.entry(key).or_default();
    for (name, value) in &fields {
        if ADDRESS_FIELDS.contains(&name.as_str()) {
            entry.addresses.entry(address.clone()).or_default().insert(name.clone(), value.clone());
        } else {
            entry.general.insert(name.clone(), value.clone());
        }
    }
    let info = DetailsInfo { target, template, address, fields };
    engine.log(ctx.item, EffectKind::DetailsChanged(Box::new(info)));
    Ok(None)
}

/// `get details of contact|company { template, address }` → Details. With nothing stored,
/// every field is missing except `address`, which falls back to the entity's own `address`.
pub(super) fn get_details(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let target = engine.details_target(ctx, call, "get details")?;
    let template = engine.text_arg(ctx, call, "template")?;
    let address = engine.keyword(call, "address").unwrap_or("legal");
    let key = details_key(engine, target, template.as_deref());
    let stored = engine.state.details.get(&key);
    let names: Vec<String> = match engine.model.records.get("Details") {
        Some(def) => def.fields.keys().cloned().collect(),
        None => ["name", "address", "city", "postal_code", "country", "tax_id", "bank_account"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let mut out = IndexMap::new();
    for name in names {
        let value = stored.and_then(|d| {
            if ADDRESS_FIELDS.contains(&name.as_str()) {
                d.addresses.get(address).and_then(|a| a.get(&name)).cloned()
            } else {
                d.general.get(&name).cloned()
            }
        });
        let value = match value {
            Some(v) if !v.is_none() => v,
            _ if name == "address" => engine.read_field(target, "address").unwrap_or(Value::None),
            _ => Value::None,
        };
        out.insert(name, value);
    }
    Ok(Some(Value::record(out)))
}

fn details_key(engine: &Engine, target: EntityRef, template: Option<&str>) -> String {
    format!("{}/{}", target.id(&engine.model), template.unwrap_or(""))
}

impl Engine {
    /// The item's contact or company named by the `target` keyword.
    fn details_target(&self, ctx: &Ctx, call: &Call, action: &str) -> RtResult<EntityRef> {
        let item = self.item(ctx)?;
        let which = self.keyword(call, "target").unwrap_or("contact");
        match self.read_field(item, which) {
            Some(Value::Entity(r)) if self.state.live(r).is_some() => Ok(r),
            _ => Err(RtError::new(format!(
                "cannot {action}: {} has no {which}",
                self.describe_entity(item)
            ))),
        }
    }
}
