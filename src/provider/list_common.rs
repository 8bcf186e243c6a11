//! What the list resources (`terraform query`, Terraform 1.14+) share: one generic list
//! resource, [`ListOf`], over any listed kind that says how to list a whole instance
//! ([`Queryable`]). Each object is sent with the state an import of it would end with —
//! the resource's own [`Listed::state_from`] mapping, from an import's starting state, plus
//! whatever the resource's first read after an import adds — so the identity Terraform
//! records, the configuration it generates and the state the import writes all agree, and
//! applying the generated configuration plans nothing.
//!
//! Objects come from the provider's shared per-instance lists ([`Kafka::lists`]): listing
//! an instance's topics costs one GetTopicList (all its pages), and the imports that apply
//! the generated configuration read the same list again only once.

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;

use super::data_source_common::{instance_id_attribute, read_error, valid_regex, NameFilter};
use super::kafka::{Kafka, Scope};
use super::lifecycle::{Item, Listed};
use super::support;
use super::tags::Tagged;
use super::Shared;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, ListItem, ListRequest, ListResource, ListSink};
use crate::tfplugin::schema::{Attribute, Description, Schema};

/// A listed kind that `terraform query` can list, a whole instance at a time.
#[async_trait]
pub trait Queryable: Listed {
    /// What the states of an instance's objects need beyond each listed item (say, the
    /// instance's message retention, to tell a topic's defaults from its own settings).
    type Adoption: Send + Sync;

    /// The plural in descriptions: `topics`.
    const PLURAL: &'static str;

    /// The list holding every object of `instance_id`.
    fn instance_list(instance_id: &str) -> Self::Query;

    /// The object's name on its instance: shown by `terraform query`, matched by
    /// `name_regex`.
    fn name(item: &Item<Self>) -> &str;

    /// Looked up once per listing.
    async fn adoption(ctx: &Context, kafka: &Kafka, instance_id: &str) -> Self::Adoption;

    /// The state an import of `item` ends with; `base` is the state an import starts from.
    fn adopted_state(
        base: &Value,
        item: &Item<Self>,
        scope: &Scope,
        adoption: &Self::Adoption,
    ) -> Value {
        let _ = adoption;
        Self::state_from(base, item, scope)
    }
}

/// The list resource of kind `L`.
pub struct ListOf<L: Queryable> {
    shared: Shared,
    /// The managed resource's schema: the shape of every state sent.
    resource: Schema,
    kind: PhantomData<L>,
}

impl<L: Queryable> ListOf<L> {
    pub fn new(shared: Shared, resource: Schema) -> Arc<ListOf<L>> {
        Arc::new(ListOf {
            shared,
            resource,
            kind: PhantomData,
        })
    }
}

/// The `config` block: the instance, and filters by name and (for a `tagged` kind) tags.
pub fn config_schema(plural: &str, type_name: &str, tagged: bool) -> Schema {
    let mut attributes = vec![
        instance_id_attribute(&format!("whose {plural} are listed")),
        Attribute::string("name_regex")
            .optional()
            .validator(valid_regex)
            .markdown_description(format!(
                "Only the {plural} whose name matches this regular expression ([Rust `regex` \
                 syntax](https://docs.rs/regex/latest/regex/#syntax), unanchored). An \
                 invalid expression is an error before anything is listed."
            )),
    ];
    if tagged {
        attributes.push(
            Attribute::new("tags", Type::map(Type::String))
                .optional()
                .markdown_description(format!(
                    "Only the {plural} that carry all these tags, each with the given value."
                )),
        );
    }
    Schema::new(attributes).description(Description::markdown(format!(
        "Lists the {plural} of a Message Queue for Apache Kafka instance for `terraform \
         query`, each with its identity and, when asked (as `-generate-config-out` does), the \
         state an import of it would write: a `{type_name}` resource block and an `import` \
         block for each."
    )))
}

#[async_trait]
impl<L: Queryable> ListResource for ListOf<L>
where
    Item<L>: Tagged,
{
    fn type_name(&self) -> &'static str {
        L::KIND.type_name
    }

    fn schema(&self) -> Schema {
        config_schema(L::PLURAL, L::KIND.type_name, Item::<L>::TAGGABLE)
    }

    async fn list(
        &self,
        ctx: &Context,
        req: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics> {
        let filter = NameFilter::from_config(&req.config)?;
        let kafka = self.shared.kafka()?;
        let instance_id = filter.instance_id.as_str();
        let items = ctx
            .run(
                kafka
                    .lists::<L::Query>()
                    .get(&L::instance_list(instance_id)),
            )
            .await?
            .map_err(|e| {
                let summary = format!("Cannot list the {} of instance {instance_id}", L::PLURAL);
                read_error(summary, &e, kafka.region(), &["instance_id"])
            })?;
        let adoption = L::adoption(ctx, &kafka, instance_id).await;
        let base =
            support::object_with(&self.resource, &[("instance_id", Value::from(instance_id))]);
        for item in items.iter() {
            let name = L::name(item);
            if !filter.keeps(name, item.tags()) {
                continue;
            }
            let state = L::adopted_state(&base, item, kafka.scope(), &adoption);
            if !sink.send(ListItem::new(name, state)).await {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_block_is_sound_and_documented() {
        let schema = config_schema("topics", "alikafka_topic", true);
        support::assert_sound_and_documented(&schema);
        assert!(schema.attribute("instance_id").is_some_and(|a| a.required));
        assert!(schema.attribute("tags").is_some());
        assert!(schema.block.description.text.contains("`alikafka_topic`"));
        let untagged = config_schema("SASL users", "alikafka_sasl_user", false);
        support::assert_sound_and_documented(&untagged);
        assert!(untagged.attribute("tags").is_none());
        assert!(untagged.attribute("name_regex").is_some());
    }
}
