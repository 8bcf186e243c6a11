//! Data source `alikafka_sasl_users`: the SASL users of one instance, filtered by name.
//! Reads the shared user list the `alikafka_sasl_user` resources read. DescribeSaslUsers
//! answers passwords: none of them goes into any attribute (or any log).

use async_trait::async_trait;

use super::data_source_common::{
    filter_attributes, instance_id_attribute, list_result, read_error, NameFilter,
};
use super::lists::SaslUsersOf;
use super::Shared;
use crate::api::SaslUser;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct SaslUsersDataSource {
    shared: Shared,
}

impl SaslUsersDataSource {
    pub fn new(shared: Shared) -> SaslUsersDataSource {
        SaslUsersDataSource { shared }
    }
}

fn user_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("username", Type::String),
        ("type", Type::String),
        ("mechanism", Type::String),
    ])
}

/// One listed user: its name, type and mechanism, never its password.
fn user_value(filter: &NameFilter, u: &SaslUser) -> Value {
    let user_type = if u.user_type.is_empty() {
        "plain".to_string()
    } else {
        u.user_type.to_ascii_lowercase()
    };
    Value::object([
        ("id", Value::from(filter.id_of(&u.username))),
        ("username", Value::from(u.username.as_str())),
        ("type", Value::from(user_type)),
        (
            "mechanism",
            Value::from(u.mechanism.clone().filter(|m| !m.is_empty())),
        ),
    ])
}

fn result(config: &Value, filter: &NameFilter, all: &[SaslUser]) -> Value {
    list_result(
        config,
        filter,
        all,
        |u| &u.username,
        "users",
        |u| user_value(filter, u),
    )
}

#[async_trait]
impl DataSource for SaslUsersDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_sasl_users"
    }

    fn schema(&self) -> Schema {
        let mut attributes = vec![instance_id_attribute("whose SASL users are listed")];
        attributes.extend(filter_attributes(
            "users",
            "username",
            "<instance_id>:<username>",
        ));
        attributes.push(
            Attribute::new("users", Type::list(user_type()))
                .computed()
                .markdown_description(
                    "The users found, in the service's order: `id` \
                     (`<instance_id>:<username>`, the import ID of an `alikafka_sasl_user`), \
                     `username`, `type` (`plain` or `scram`) and `mechanism` (serverless \
                     instances' SCRAM users, else null). Never a password.",
                ),
        );
        Schema::new(attributes).description(Description::markdown(
            "Lists the SASL users of a Message Queue for Apache Kafka instance (never their \
             passwords), optionally filtered by name.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let filter = NameFilter::from_config(config)?;
        let kafka = self.shared.kafka()?;
        let query = SaslUsersOf(filter.instance_id.clone());
        let all = ctx
            .run(kafka.lists::<SaslUsersOf>().get(&query))
            .await?
            .map_err(|e| {
                read_error(
                    format!(
                        "Cannot list the SASL users of instance {}",
                        filter.instance_id
                    ),
                    &e,
                    kafka.region(),
                    &["instance_id"],
                )
            })?;
        Ok(result(config, &filter, &all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SecretString;

    fn user(name: &str, t: &str, password: &str) -> SaslUser {
        SaslUser {
            username: name.into(),
            password: SecretString::new(password),
            user_type: t.into(),
            mechanism: None,
        }
    }

    #[test]
    fn users_are_listed_without_their_passwords() {
        let ds = SaslUsersDataSource::new(Shared::default());
        let schema = ds.schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let config = Value::object([
            ("instance_id", Value::from("i-1")),
            ("name_regex", Value::from("^svc-")),
            ("ids", Value::Null),
            ("names", Value::Null),
            ("users", Value::Null),
        ]);
        let filter = NameFilter::from_config(&config).unwrap();
        let all = [
            user("svc-orders", "plain", "pw-orders-1"),
            user("admin", "scram", "pw-admin-2"),
            user("svc-billing", "SCRAM", "pw-billing-3"),
        ];
        let v = result(&config, &filter, &all);
        v.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            v.attr("names"),
            &Value::List(vec!["svc-orders".into(), "svc-billing".into()])
        );
        let users = v.attr("users").as_elements().unwrap();
        assert_eq!(users[1].attr("type"), &Value::from("scram"));
        assert_eq!(users[0].attr("id"), &Value::from("i-1:svc-orders"));
        assert!(users[0].attr("mechanism").is_null());
        let shown = format!("{v:?}");
        assert!(!shown.contains("pw-"), "{shown}");
    }
}
