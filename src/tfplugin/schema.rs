//! Schemas: what a provider, resource or data source accepts, declared once. Besides the
//! protocol's flags, each attribute carries the framework's plan behaviour
//! (`requires_replace`, `use_state_for_unknown`, `default`) and its validators.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::framework::validators::Validator;
use crate::tfplugin::proto::tfplugin6 as pb;

/// A versioned schema (the version is the resource's state schema version).
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

/// The attributes and nested blocks of an object.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: Description,
    pub deprecated: bool,
    pub deprecation_message: String,
}

/// Documentation text, plain or Markdown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Description {
    pub text: String,
    pub markdown: bool,
}

/// The type of an attribute: a cty type, or nested attributes (protocol 6).
#[derive(Clone, Debug)]
pub enum AttributeType {
    Type(Type),
    Nested(NestedType),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectNesting {
    Single,
    List,
    Set,
    Map,
}

/// Nested attributes: an object (or collection of objects) whose attributes have flags.
#[derive(Clone, Debug)]
pub struct NestedType {
    pub nesting: ObjectNesting,
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockNesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: BlockNesting,
    pub min_items: i64,
    pub max_items: i64,
}

/// One attribute and its behaviour.
#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub kind: AttributeType,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    /// Shown to users who still set the attribute.
    pub deprecation_message: String,
    pub description: Description,
    /// A change to this attribute replaces the resource.
    pub requires_replace: bool,
    /// When the plan would show "(known after apply)", keep the prior state value instead.
    pub use_state_for_unknown: bool,
    /// The planned value when the configuration leaves the attribute out (optional+computed).
    pub default: Option<Value>,
    /// Checks of configured values (skipped for null and unknown values).
    pub validators: Vec<Arc<dyn Validator>>,
    /// Write-only (Terraform 1.11+): the configured value reaches create and update, and
    /// is null in every plan and state. See [`Attribute::write_only`].
    pub write_only: bool,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("sensitive", &self.sensitive)
            .field("requires_replace", &self.requires_replace)
            .field("use_state_for_unknown", &self.use_state_for_unknown)
            .field("has_default", &self.default.is_some())
            .field("validators", &self.validators.len())
            .field("write_only", &self.write_only)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// An attribute of a cty type; pick `required()`, `optional()` and/or `computed()`.
    pub fn new(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute::with_kind(name, AttributeType::Type(ty))
    }

    pub fn string(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::String)
    }

    pub fn number(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Number)
    }

    pub fn bool(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Bool)
    }

    /// Nested attributes (protocol 6), e.g. `timeouts = { create = "10m" }`.
    pub fn nested(name: impl Into<String>, nested: NestedType) -> Attribute {
        Attribute::with_kind(name, AttributeType::Nested(nested))
    }

    fn with_kind(name: impl Into<String>, kind: AttributeType) -> Attribute {
        Attribute {
            name: name.into(),
            kind,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            deprecation_message: String::new(),
            description: Description::default(),
            requires_replace: false,
            use_state_for_unknown: false,
            default: None,
            validators: Vec::new(),
            write_only: false,
        }
    }

    pub fn required(mut self) -> Attribute {
        self.required = true;
        self
    }

    pub fn optional(mut self) -> Attribute {
        self.optional = true;
        self
    }

    pub fn computed(mut self) -> Attribute {
        self.computed = true;
        self
    }

    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    /// Marks the attribute deprecated; configs that set it get a warning with `message`.
    pub fn deprecated(mut self, message: impl Into<String>) -> Attribute {
        self.deprecated = true;
        self.deprecation_message = message.into();
        self
    }

    pub fn description(mut self, text: impl Into<String>) -> Attribute {
        self.description = Description::plain(text);
        self
    }

    pub fn markdown_description(mut self, text: impl Into<String>) -> Attribute {
        self.description = Description::markdown(text);
        self
    }

    pub fn requires_replace(mut self) -> Attribute {
        self.requires_replace = true;
        self
    }

    pub fn use_state_for_unknown(mut self) -> Attribute {
        self.use_state_for_unknown = true;
        self
    }

    /// A static default; the attribute must be optional and computed.
    pub fn default(mut self, value: impl Into<Value>) -> Attribute {
        self.default = Some(value.into());
        self
    }

    /// Write-only (Terraform 1.11+, e.g. `password_wo`): the configured value is handed to
    /// create and update, and is null in plans, states and every read, import, move and
    /// upgrade result, so it is never stored. The attribute must be optional (not
    /// required, computed, defaulted or requires_replace), outside set nesting; pair it
    /// with an ordinary `*_version` attribute whose change triggers the update.
    ///
    /// Terraform before 1.11 does not know the flag and sees an optional attribute: the
    /// framework refuses a value for it there (the client does not announce
    /// `write_only_attributes_allowed`), with an error that names the attribute.
    pub fn write_only(mut self) -> Attribute {
        self.write_only = true;
        self
    }

    pub fn validator(mut self, validator: impl Validator + 'static) -> Attribute {
        self.validators.push(Arc::new(validator));
        self
    }

    /// The cty type of the attribute's value.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeType::Type(ty) => ty.clone(),
            AttributeType::Nested(nested) => nested.value_type(),
        }
    }

    pub fn nested_type(&self) -> Option<&NestedType> {
        match &self.kind {
            AttributeType::Nested(nested) => Some(nested),
            AttributeType::Type(_) => None,
        }
    }

    pub fn to_proto(&self) -> pb::schema::Attribute {
        let (ty, nested_type) = match &self.kind {
            AttributeType::Type(ty) => (ty.to_json_bytes(), None),
            AttributeType::Nested(nested) => (Vec::new(), Some(nested.to_proto())),
        };
        pb::schema::Attribute {
            name: self.name.clone(),
            r#type: ty,
            nested_type,
            description: self.description.text.clone(),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: self.description.kind_proto() as i32,
            deprecated: self.deprecated,
            write_only: self.write_only,
            deprecation_message: self.deprecation_message.clone(),
        }
    }
}

impl Description {
    pub fn plain(text: impl Into<String>) -> Description {
        Description {
            text: text.into(),
            markdown: false,
        }
    }

    pub fn markdown(text: impl Into<String>) -> Description {
        Description {
            text: text.into(),
            markdown: true,
        }
    }

    fn kind_proto(&self) -> pb::StringKind {
        if self.markdown {
            pb::StringKind::Markdown
        } else {
            pb::StringKind::Plain
        }
    }
}

impl NestedType {
    pub fn single(attributes: Vec<Attribute>) -> NestedType {
        NestedType {
            nesting: ObjectNesting::Single,
            attributes,
        }
    }

    pub fn list(attributes: Vec<Attribute>) -> NestedType {
        NestedType {
            nesting: ObjectNesting::List,
            attributes,
        }
    }

    pub fn set(attributes: Vec<Attribute>) -> NestedType {
        NestedType {
            nesting: ObjectNesting::Set,
            attributes,
        }
    }

    pub fn map(attributes: Vec<Attribute>) -> NestedType {
        NestedType {
            nesting: ObjectNesting::Map,
            attributes,
        }
    }

    /// The type of one nested object.
    pub fn object_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.value_type())),
        )
    }

    pub fn value_type(&self) -> Type {
        let object = self.object_type();
        match self.nesting {
            ObjectNesting::Single => object,
            ObjectNesting::List => Type::list(object),
            ObjectNesting::Set => Type::set(object),
            ObjectNesting::Map => Type::map(object),
        }
    }

    pub fn to_proto(&self) -> pb::schema::Object {
        use pb::schema::object::NestingMode;
        #[allow(deprecated)] // min/max_items are deprecated in the protocol; left zero.
        pb::schema::Object {
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            nesting: match self.nesting {
                ObjectNesting::Single => NestingMode::Single,
                ObjectNesting::List => NestingMode::List,
                ObjectNesting::Set => NestingMode::Set,
                ObjectNesting::Map => NestingMode::Map,
            } as i32,
            min_items: 0,
            max_items: 0,
        }
    }
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: BlockNesting, block: Block) -> NestedBlock {
        NestedBlock {
            type_name: type_name.into(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }

    pub fn min_items(mut self, n: i64) -> NestedBlock {
        self.min_items = n;
        self
    }

    pub fn max_items(mut self, n: i64) -> NestedBlock {
        self.max_items = n;
        self
    }

    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            BlockNesting::Single | BlockNesting::Group => object,
            BlockNesting::List => Type::list(object),
            BlockNesting::Set => Type::set(object),
            BlockNesting::Map => Type::map(object),
        }
    }

    pub fn to_proto(&self) -> pb::schema::NestedBlock {
        use pb::schema::nested_block::NestingMode;
        pb::schema::NestedBlock {
            type_name: self.type_name.clone(),
            block: Some(self.block.to_proto(0)),
            nesting: match self.nesting {
                BlockNesting::Single => NestingMode::Single,
                BlockNesting::List => NestingMode::List,
                BlockNesting::Set => NestingMode::Set,
                BlockNesting::Map => NestingMode::Map,
                BlockNesting::Group => NestingMode::Group,
            } as i32,
            min_items: self.min_items,
            max_items: self.max_items,
        }
    }
}

impl Block {
    pub fn new(attributes: Vec<Attribute>) -> Block {
        Block {
            attributes,
            ..Block::default()
        }
    }

    pub fn with_block(mut self, block: NestedBlock) -> Block {
        self.blocks.push(block);
        self
    }

    pub fn description(mut self, description: Description) -> Block {
        self.description = description;
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn nested_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The object type of values of this block.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.value_type()))
                .chain(
                    self.blocks
                        .iter()
                        .map(|b| (b.type_name.clone(), b.value_type())),
                ),
        )
    }

    pub fn to_proto(&self, version: i64) -> pb::schema::Block {
        pb::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self.blocks.iter().map(NestedBlock::to_proto).collect(),
            description: self.description.text.clone(),
            description_kind: self.description.kind_proto() as i32,
            deprecated: self.deprecated,
            deprecation_message: self.deprecation_message.clone(),
        }
    }
}

impl Schema {
    /// A version 0 schema with these top-level attributes.
    pub fn new(attributes: Vec<Attribute>) -> Schema {
        Schema {
            version: 0,
            block: Block::new(attributes),
        }
    }

    pub fn version(mut self, version: i64) -> Schema {
        self.version = version;
        self
    }

    pub fn with_block(mut self, block: NestedBlock) -> Schema {
        self.block.blocks.push(block);
        self
    }

    pub fn description(mut self, description: Description) -> Schema {
        self.block.description = description;
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.block.attribute(name)
    }

    /// The cty type of the whole object (config, plan and state values).
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }

    /// Mistakes in the schema declaration, one message each (empty when sound). Terraform
    /// would reject or misbehave on such schemas, so the server reports them up front.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        check_block(&self.block, "", false, &mut problems);
        problems
    }
}

/// The identity of a managed resource type (Terraform 1.12+): a small, versioned object
/// that names one remote object, e.g. `{ instance_id, topic }`. Terraform keeps it beside
/// the state, imports by it (`import { identity = {...} }`) and lists by it
/// (`terraform query`). It never changes for the life of an object.
#[derive(Clone, Debug, Default)]
pub struct IdentitySchema {
    /// Bumped when stored identities need UpgradeResourceIdentity.
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

/// One attribute of an identity. Exactly one of `required_for_import` and
/// `optional_for_import` is set.
#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub required_for_import: bool,
    pub optional_for_import: bool,
    pub description: String,
}

impl IdentityAttribute {
    pub fn new(name: impl Into<String>, ty: Type) -> IdentityAttribute {
        IdentityAttribute {
            name: name.into(),
            ty,
            required_for_import: false,
            optional_for_import: false,
            description: String::new(),
        }
    }

    pub fn string(name: impl Into<String>) -> IdentityAttribute {
        IdentityAttribute::new(name, Type::String)
    }

    /// `import { identity = {...} }` must set it.
    pub fn required_for_import(mut self) -> IdentityAttribute {
        self.required_for_import = true;
        self
    }

    /// `import { identity = {...} }` may leave it out.
    pub fn optional_for_import(mut self) -> IdentityAttribute {
        self.optional_for_import = true;
        self
    }

    pub fn description(mut self, text: impl Into<String>) -> IdentityAttribute {
        self.description = text.into();
        self
    }

    pub fn to_proto(&self) -> pb::resource_identity_schema::IdentityAttribute {
        pb::resource_identity_schema::IdentityAttribute {
            name: self.name.clone(),
            r#type: self.ty.to_json_bytes(),
            required_for_import: self.required_for_import,
            optional_for_import: self.optional_for_import,
            description: self.description.clone(),
        }
    }
}

impl IdentitySchema {
    /// A version 0 identity with these attributes.
    pub fn new(attributes: Vec<IdentityAttribute>) -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes,
        }
    }

    pub fn version(mut self, version: i64) -> IdentitySchema {
        self.version = version;
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&IdentityAttribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The object type of identity values.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self.attributes.iter().map(|a| a.to_proto()).collect(),
        }
    }

    /// Mistakes in the declaration, one message each (empty when sound).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.attributes.is_empty() {
            problems.push("identity: an identity needs at least one attribute".to_owned());
        }
        let mut seen = BTreeSet::new();
        for a in &self.attributes {
            let name = format!("identity.{}", a.name);
            if !valid_name(&a.name) {
                problems.push(format!("{name}: names use only a-z, 0-9 and _"));
            }
            if !seen.insert(a.name.as_str()) {
                problems.push(format!("{name}: declared twice"));
            }
            if a.required_for_import == a.optional_for_import {
                problems.push(format!(
                    "{name}: must be either required_for_import or optional_for_import"
                ));
            }
            let primitive = |t: &Type| matches!(t, Type::String | Type::Number | Type::Bool);
            let fits = match &a.ty {
                Type::List(element) => primitive(element),
                other => primitive(other),
            };
            if !fits {
                problems.push(format!(
                    "{name}: identity attributes are strings, numbers, bools or lists of those"
                ));
            }
        }
        problems
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_block(block: &Block, prefix: &str, in_set: bool, problems: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    let names = block
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .chain(block.blocks.iter().map(|b| b.type_name.as_str()));
    for name in names {
        if !valid_name(name) {
            problems.push(format!("{prefix}{name}: names use only a-z, 0-9 and _"));
        }
        if !seen.insert(name) {
            problems.push(format!("{prefix}{name}: declared twice"));
        }
    }
    for attribute in &block.attributes {
        check_attribute(attribute, prefix, in_set, problems);
    }
    for nested in &block.blocks {
        let inner = format!("{prefix}{}.", nested.type_name);
        if nested.max_items > 0 && nested.min_items > nested.max_items {
            problems.push(format!(
                "{prefix}{}: min_items above max_items",
                nested.type_name
            ));
        }
        let in_set = in_set || nested.nesting == BlockNesting::Set;
        check_block(&nested.block, &inner, in_set, problems);
    }
}

fn check_attribute(a: &Attribute, prefix: &str, in_set: bool, problems: &mut Vec<String>) {
    let name = format!("{prefix}{}", a.name);
    match (a.required, a.optional, a.computed) {
        (true, false, false) | (false, true, _) | (false, false, true) => {}
        _ => problems.push(format!(
            "{name}: must be required, optional, computed, or optional and computed"
        )),
    }
    if let Some(default) = &a.default {
        if !(a.optional && a.computed) {
            problems.push(format!("{name}: a default needs optional and computed"));
        }
        if let Err(e) = default.conforms_to(&a.value_type()) {
            problems.push(format!("{name}: default does not fit the type: {e}"));
        }
    }
    if a.use_state_for_unknown && !a.computed {
        problems.push(format!("{name}: use_state_for_unknown needs computed"));
    }
    if a.write_only {
        check_write_only(a, &name, in_set, problems);
    }
    if let AttributeType::Nested(nested) = &a.kind {
        let inner = Block::new(nested.attributes.clone());
        let in_set = in_set || nested.nesting == ObjectNesting::Set;
        check_block(&inner, &format!("{name}."), in_set, problems);
    }
}

/// Terraform's rules for write-only attributes, plus one of ours: not required, so that
/// a Terraform older than 1.11 (which cannot send the value) can still use the resource.
fn check_write_only(a: &Attribute, name: &str, in_set: bool, problems: &mut Vec<String>) {
    if in_set {
        problems.push(format!(
            "{name}: write-only attributes are not allowed inside set nesting"
        ));
    }
    if !a.optional || a.computed {
        problems.push(format!(
            "{name}: a write-only attribute must be optional, neither required (Terraform \
             before 1.11 could not use the resource) nor computed"
        ));
    }
    if a.default.is_some() || a.use_state_for_unknown || a.requires_replace {
        problems.push(format!(
            "{name}: a write-only attribute has no stored value, so no default, \
             use_state_for_unknown or requires_replace"
        ));
    }
    if a.nested_type().is_some() {
        problems.push(format!(
            "{name}: mark the nested attributes write-only, not the nested attribute"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn topic_schema() -> Schema {
        Schema::new(vec![
            Attribute::string("id").computed().use_state_for_unknown(),
            Attribute::string("topic").required().requires_replace(),
            Attribute::number("partition_num")
                .optional()
                .computed()
                .default(12),
            Attribute::new("tags", Type::map(Type::String)).optional(),
            Attribute::nested(
                "timeouts",
                NestedType::single(vec![Attribute::string("create").optional()]),
            )
            .optional(),
        ])
        .version(1)
        .with_block(NestedBlock::new(
            "rule",
            BlockNesting::List,
            Block::new(vec![Attribute::string("name").required()]),
        ))
    }

    #[test]
    fn value_type_covers_attributes_and_blocks() {
        assert_eq!(
            topic_schema().value_type().to_json(),
            json!(["object", {
                "id": "string",
                "topic": "string",
                "partition_num": "number",
                "tags": ["map", "string"],
                "timeouts": ["object", {"create": "string"}],
                "rule": ["list", ["object", {"name": "string"}]],
            }])
        );
    }

    #[test]
    fn converts_to_proto() {
        let p = topic_schema().to_proto();
        assert_eq!(p.version, 1);
        let block = p.block.expect("block");
        assert_eq!(block.version, 1);
        let topic = block
            .attributes
            .iter()
            .find(|a| a.name == "topic")
            .expect("topic");
        assert!(topic.required && !topic.optional && !topic.computed);
        assert_eq!(topic.r#type, br#""string""#.to_vec());
        let timeouts = block
            .attributes
            .iter()
            .find(|a| a.name == "timeouts")
            .expect("timeouts");
        assert!(timeouts.r#type.is_empty());
        let nested = timeouts.nested_type.as_ref().expect("nested type");
        assert_eq!(
            nested.nesting,
            pb::schema::object::NestingMode::Single as i32
        );
        assert_eq!(nested.attributes[0].name, "create");
        assert_eq!(block.block_types[0].type_name, "rule");
        assert_eq!(
            block.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::List as i32
        );
        let described = Attribute::string("x")
            .optional()
            .markdown_description("**x**")
            .to_proto();
        assert_eq!(described.description_kind, pb::StringKind::Markdown as i32);
        assert_eq!(described.description, "**x**");
    }

    #[test]
    fn problems_are_found() {
        assert!(
            topic_schema().problems().is_empty(),
            "{:?}",
            topic_schema().problems()
        );
        let bad = Schema::new(vec![
            Attribute::string("a"),
            Attribute::string("b").required().computed(),
            Attribute::string("c").optional().default("x"),
            Attribute::string("d").optional().computed().default(1),
            Attribute::string("e").optional().use_state_for_unknown(),
            Attribute::string("Bad").optional(),
            Attribute::string("f").optional(),
            Attribute::string("f").optional(),
        ]);
        let problems = bad.problems();
        for expected in [
            "a: must",
            "b: must",
            "c: a default",
            "d: default does not fit",
            "e: use_state",
            "Bad: names",
            "f: declared twice",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "{expected}: {problems:?}"
            );
        }
    }
}
