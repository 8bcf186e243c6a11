//! The generic PlanResourceChange logic, driven by the schema: defaults, unknown computed
//! values, use_state_for_unknown, requires_replace, and a check that the plan obeys
//! Terraform's rules (so a provider bug shows as a clear error, not a Terraform crash).

use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Attribute, BlockNesting, NestedBlock, ObjectNesting, Schema};

/// What Terraform sent to PlanResourceChange.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// Null when the resource is being created.
    pub prior_state: Value,
    /// Terraform's proposal: config values, prior values for unset computed attributes.
    /// Null when the resource is being destroyed.
    pub proposed_new_state: Value,
    /// Null when the resource is being destroyed.
    pub config: Value,
    pub prior_private: Vec<u8>,
}

impl PlanRequest {
    pub fn is_create(&self) -> bool {
        self.prior_state.is_null() && !self.proposed_new_state.is_null()
    }

    pub fn is_destroy(&self) -> bool {
        self.proposed_new_state.is_null()
    }
}

/// The plan being built; resource hooks may change it.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub planned_state: Value,
    /// Attributes whose change forces replacement (Terraform ignores unchanged ones).
    pub requires_replace: Vec<AttributePath>,
}

/// The generic plan: the proposal with defaults applied and, when anything changes,
/// computed attributes left out of the config made unknown (or kept from the prior
/// state for `use_state_for_unknown`). Destroy plans pass through as null.
pub fn plan_resource(schema: &Schema, req: &PlanRequest) -> Plan {
    let mut planned = req.proposed_new_state.clone();
    if !planned.is_null() {
        let block = &schema.block;
        apply_defaults(&block.attributes, &block.blocks, &req.config, &mut planned);
        if req.prior_state.is_null() || planned != req.prior_state {
            mark_unknowns(
                &block.attributes,
                &block.blocks,
                &req.config,
                &req.prior_state,
                &mut planned,
            );
        }
    }
    Plan {
        planned_state: planned,
        requires_replace: Vec::new(),
    }
}

/// Paths of `requires_replace` attributes whose planned value differs from the prior one
/// (none on create or destroy).
pub fn replacement_paths(schema: &Schema, prior: &Value, planned: &Value) -> Vec<AttributePath> {
    let mut out = Vec::new();
    if prior.is_null() || planned.is_null() {
        return out;
    }
    let block = &schema.block;
    replace_in_object(
        &block.attributes,
        &block.blocks,
        prior,
        planned,
        &AttributePath::root(),
        &mut out,
    );
    out
}

/// Terraform's rules for a planned value: a non-computed attribute's planned value equals
/// its config value; an optional+computed attribute set in config is planned as configured
/// (or kept at its prior value); only computed attributes may be filled in; write-only
/// attributes are planned null.
pub fn check_plan(schema: &Schema, prior: &Value, config: &Value, planned: &Value) -> Diagnostics {
    let mut problems = Vec::new();
    if planned.is_null() {
        if !config.is_null() {
            problems.push((
                AttributePath::root(),
                "planned to destroy a resource that is configured",
            ));
        }
    } else {
        let block = &schema.block;
        check_object(
            &block.attributes,
            &block.blocks,
            prior,
            config,
            planned,
            &AttributePath::root(),
            &mut problems,
        );
    }
    problems
        .into_iter()
        .map(|(path, problem)| {
            let d = Diagnostic::error(
                "Provider produced an invalid plan",
                format!(
                    "{}{problem}. This is a bug in the provider.",
                    if path.is_root() {
                        String::new()
                    } else {
                        format!("{path}: ")
                    }
                ),
            );
            if path.is_root() {
                d
            } else {
                d.at(path)
            }
        })
        .collect()
}

/// Object-shaped parts of a nested attribute or block value, paired with the config and
/// prior parts they correspond to.
fn for_each_object(
    nesting: ObjectNesting,
    config: &Value,
    prior: &Value,
    planned: &mut Value,
    non_computed: &[&str],
    mut f: impl FnMut(&Value, &Value, &mut Value),
) {
    static NULL: Value = Value::Null;
    let element = |v: &Value, i: usize| -> Value {
        v.as_elements()
            .and_then(|items| items.get(i))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match (nesting, planned) {
        (ObjectNesting::Single, planned @ Value::Object(_)) => f(config, prior, planned),
        (ObjectNesting::List, Value::List(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                f(&element(config, i), &element(prior, i), item);
            }
        }
        (ObjectNesting::Map, Value::Map(entries)) => {
            for (key, item) in entries.iter_mut() {
                let c = config
                    .as_entries()
                    .and_then(|m| m.get(key))
                    .unwrap_or(&NULL);
                let p = prior.as_entries().and_then(|m| m.get(key)).unwrap_or(&NULL);
                f(c, p, item);
            }
        }
        (ObjectNesting::Set, Value::Set(items)) => {
            // Set elements have no address: pair each planned element with the config
            // element that agrees on every non-computed attribute. Prior set elements
            // cannot be matched reliably, so they are not used.
            let configs = config.as_elements().unwrap_or(&[]);
            let mut used = vec![false; configs.len()];
            for item in items.iter_mut() {
                let matched = configs.iter().enumerate().position(|(i, c)| {
                    !used[i]
                        && non_computed
                            .iter()
                            .all(|name| c.attr(name) == item.attr(name))
                });
                let c = match matched {
                    Some(i) => {
                        used[i] = true;
                        configs[i].clone()
                    }
                    None => item.clone(),
                };
                f(&c, &NULL, item);
            }
        }
        _ => {}
    }
}

fn block_nesting(nesting: BlockNesting) -> ObjectNesting {
    match nesting {
        BlockNesting::Single | BlockNesting::Group => ObjectNesting::Single,
        BlockNesting::List => ObjectNesting::List,
        BlockNesting::Set => ObjectNesting::Set,
        BlockNesting::Map => ObjectNesting::Map,
    }
}

fn non_computed_names(attributes: &[Attribute]) -> Vec<&str> {
    attributes
        .iter()
        .filter(|a| !a.computed)
        .map(|a| a.name.as_str())
        .collect()
}

fn apply_defaults(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    config: &Value,
    planned: &mut Value,
) {
    for a in attributes {
        let cfg = config.attr(&a.name);
        let Some(slot) = planned.attr_mut(&a.name) else {
            return;
        };
        if cfg.is_null() {
            if let Some(default) = &a.default {
                *slot = default.clone();
            }
        } else if let Some(nested) = a.nested_type() {
            let keys = non_computed_names(&nested.attributes);
            for_each_object(nested.nesting, cfg, &Value::Null, slot, &keys, |c, _, p| {
                apply_defaults(&nested.attributes, &[], c, p)
            });
        }
    }
    for b in blocks {
        let cfg = config.attr(&b.type_name);
        let Some(slot) = planned.attr_mut(&b.type_name) else {
            return;
        };
        let keys = non_computed_names(&b.block.attributes);
        for_each_object(
            block_nesting(b.nesting),
            cfg,
            &Value::Null,
            slot,
            &keys,
            |c, _, p| apply_defaults(&b.block.attributes, &b.block.blocks, c, p),
        );
    }
}

fn mark_unknowns(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    config: &Value,
    prior: &Value,
    planned: &mut Value,
) {
    for a in attributes {
        let cfg = config.attr(&a.name);
        let pr = prior.attr(&a.name);
        let Some(slot) = planned.attr_mut(&a.name) else {
            return;
        };
        if cfg.is_null() {
            if a.computed && a.default.is_none() && !slot.is_unknown() {
                *slot = if a.use_state_for_unknown && !pr.is_null() {
                    pr.clone()
                } else {
                    Value::Unknown
                };
            }
        } else if let (Some(nested), false) = (a.nested_type(), cfg.is_unknown()) {
            let keys = non_computed_names(&nested.attributes);
            for_each_object(nested.nesting, cfg, pr, slot, &keys, |c, p, s| {
                mark_unknowns(&nested.attributes, &[], c, p, s)
            });
        }
    }
    for b in blocks {
        let cfg = config.attr(&b.type_name);
        let pr = prior.attr(&b.type_name);
        let Some(slot) = planned.attr_mut(&b.type_name) else {
            return;
        };
        let keys = non_computed_names(&b.block.attributes);
        for_each_object(block_nesting(b.nesting), cfg, pr, slot, &keys, |c, p, s| {
            mark_unknowns(&b.block.attributes, &b.block.blocks, c, p, s)
        });
    }
}

fn has_requires_replace(attributes: &[Attribute]) -> bool {
    attributes.iter().any(|a| {
        a.requires_replace
            || a.nested_type()
                .is_some_and(|n| has_requires_replace(&n.attributes))
    })
}

fn replace_in_object(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in attributes {
        let (p, n) = (prior.attr(&a.name), planned.attr(&a.name));
        let here = path.clone().attribute(&a.name);
        if p == n {
            continue;
        }
        if a.requires_replace {
            out.push(here);
        } else if let Some(nested) = a.nested_type() {
            replace_in_nested(nested.nesting, &nested.attributes, &[], p, n, here, out);
        }
    }
    for b in blocks {
        let (p, n) = (prior.attr(&b.type_name), planned.attr(&b.type_name));
        if p != n {
            let here = path.clone().attribute(&b.type_name);
            let nesting = block_nesting(b.nesting);
            replace_in_nested(
                nesting,
                &b.block.attributes,
                &b.block.blocks,
                p,
                n,
                here,
                out,
            );
        }
    }
}

fn replace_in_nested(
    nesting: ObjectNesting,
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    prior: &Value,
    planned: &Value,
    path: AttributePath,
    out: &mut Vec<AttributePath>,
) {
    let any_inner = has_requires_replace(attributes)
        || blocks
            .iter()
            .any(|b| has_requires_replace(&b.block.attributes));
    if !any_inner {
        return;
    }
    match (nesting, prior, planned) {
        (ObjectNesting::Single, Value::Object(_), Value::Object(_)) => {
            replace_in_object(attributes, blocks, prior, planned, &path, out)
        }
        (ObjectNesting::List, Value::List(ps), Value::List(ns)) => {
            for (i, (p, n)) in ps.iter().zip(ns).enumerate() {
                let here = path.clone().index(i as i64);
                replace_in_object(attributes, blocks, p, n, &here, out);
            }
            if ps.len() != ns.len() {
                out.push(path);
            }
        }
        (ObjectNesting::Map, Value::Map(ps), Value::Map(ns)) => {
            for (key, n) in ns {
                match ps.get(key) {
                    Some(p) => {
                        let here = path.clone().key(key);
                        replace_in_object(attributes, blocks, p, n, &here, out);
                    }
                    None => out.push(path.clone().key(key)),
                }
            }
        }
        // Sets, objects appearing or disappearing, unknown values: the whole attribute.
        _ => out.push(path),
    }
}

type Problems = Vec<(AttributePath, &'static str)>;

fn check_object(
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if planned.is_unknown() || config.is_unknown() {
        return;
    }
    for a in attributes {
        let here = path.clone().attribute(&a.name);
        check_attribute(
            a,
            prior.attr(&a.name),
            config.attr(&a.name),
            planned.attr(&a.name),
            &here,
            problems,
        );
    }
    for b in blocks {
        let here = path.clone().attribute(&b.type_name);
        let (p, c, n) = (
            prior.attr(&b.type_name),
            config.attr(&b.type_name),
            planned.attr(&b.type_name),
        );
        check_nested(
            block_nesting(b.nesting),
            &b.block.attributes,
            &b.block.blocks,
            p,
            c,
            n,
            &here,
            problems,
        );
    }
}

fn check_attribute(
    a: &Attribute,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if a.write_only {
        if !planned.is_null() {
            problems.push((path.clone(), "planned a value for a write-only attribute"));
        }
        return;
    }
    if planned == config || (!prior.is_null() && !config.is_null() && planned == prior) {
        return;
    }
    if a.computed && (!a.optional || config.is_null()) {
        return;
    }
    if config.is_null() {
        problems.push((path.clone(), "planned a value for a non-computed attribute"));
        return;
    }
    if let Some(nested) = a.nested_type() {
        check_nested(
            nested.nesting,
            &nested.attributes,
            &[],
            prior,
            config,
            planned,
            path,
            problems,
        );
        return;
    }
    problems.push((
        path.clone(),
        "planned value does not match the configured value",
    ));
}

#[allow(clippy::too_many_arguments)]
fn check_nested(
    nesting: ObjectNesting,
    attributes: &[Attribute],
    blocks: &[NestedBlock],
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    problems: &mut Problems,
) {
    if config.is_unknown() || planned.is_unknown() {
        return;
    }
    if config.is_null() != planned.is_null() {
        problems.push((
            path.clone(),
            "planned value does not match the configured value",
        ));
        return;
    }
    let element = |v: &Value, i: usize| {
        v.as_elements()
            .and_then(|e| e.get(i))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match (nesting, config, planned) {
        (ObjectNesting::Single, _, _) => {
            check_object(attributes, blocks, prior, config, planned, path, problems)
        }
        (ObjectNesting::List, Value::List(cs), Value::List(ns)) => {
            if cs.len() != ns.len() {
                problems.push((
                    path.clone(),
                    "planned a different number of elements than configured",
                ));
                return;
            }
            for (i, (c, n)) in cs.iter().zip(ns).enumerate() {
                let here = path.clone().index(i as i64);
                check_object(
                    attributes,
                    blocks,
                    &element(prior, i),
                    c,
                    n,
                    &here,
                    problems,
                );
            }
        }
        (ObjectNesting::Map, Value::Map(cs), Value::Map(ns)) => {
            if cs.keys().ne(ns.keys()) {
                problems.push((path.clone(), "planned different map keys than configured"));
                return;
            }
            for (key, c) in cs {
                let here = path.clone().key(key);
                let p = prior
                    .as_entries()
                    .and_then(|m| m.get(key))
                    .cloned()
                    .unwrap_or(Value::Null);
                if let Some(n) = ns.get(key) {
                    check_object(attributes, blocks, &p, c, n, &here, problems);
                }
            }
        }
        // Set elements have no address to compare by; Terraform checks those itself.
        (ObjectNesting::Set, Value::Set(_), Value::Set(_)) => {}
        _ => problems.push((
            path.clone(),
            "planned value does not match the configured value",
        )),
    }
}
