//! SASL user actions: CreateSaslUser, DeleteSaslUser, DescribeSaslUsers.
//!
//! Passwords are [`SecretString`]s: `Debug` and `Display` print `***`, in requests and
//! answers alike. DescribeSaslUsers answers every user's password (as the service does),
//! so its answers are never quoted in errors.

use serde::{Deserialize, Deserializer};
use tokio::time::Instant;

use super::{lenient, param, push_opt, Action, EmptyResponse, Param};
use crate::api::{ApiError, Client, SecretString};

/// The kind of SASL user (`Type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SaslUserType {
    /// PLAIN (the service's default).
    #[default]
    Plain,
    /// SCRAM (SCRAM-SHA-256 on reserved instances; see `mechanism` on serverless ones).
    Scram,
    /// Confluent instances only.
    Ldap,
}

impl SaslUserType {
    /// The value sent as `Type`.
    pub fn as_str(self) -> &'static str {
        match self {
            SaslUserType::Plain => "plain",
            SaslUserType::Scram => "scram",
            SaslUserType::Ldap => "LDAP",
        }
    }
}

/// `SCRAM-SHA-512` (the default) or `SCRAM-SHA-256`: serverless instances only.
pub const SCRAM_MECHANISMS: [&str; 2] = ["SCRAM-SHA-512", "SCRAM-SHA-256"];

/// Creates a user, or sets the password of an existing one (same username and type).
/// Repeatable: a resend sets the same password again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateSaslUserRequest {
    pub instance_id: String,
    pub username: String,
    pub password: SecretString,
    /// `None` sends nothing (the service's default is plain).
    pub user_type: Option<SaslUserType>,
    /// Serverless instances only, see [`SCRAM_MECHANISMS`].
    pub mechanism: Option<String>,
}

impl Action for CreateSaslUserRequest {
    const NAME: &'static str = "CreateSaslUser";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Username", self.username.as_str()),
            param("Password", self.password.expose()),
        ];
        push_opt(
            &mut params,
            "Type",
            self.user_type.map(SaslUserType::as_str),
        );
        push_opt(&mut params, "Mechanism", self.mechanism.as_ref());
        params
    }

    fn secret_values(&self) -> Vec<&str> {
        vec![self.password.expose()]
    }
}

/// Deletes one user (of one type and, on serverless instances, one mechanism).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteSaslUserRequest {
    pub instance_id: String,
    pub username: String,
    pub user_type: Option<SaslUserType>,
    pub mechanism: Option<String>,
}

impl Action for DeleteSaslUserRequest {
    const NAME: &'static str = "DeleteSaslUser";
    type Response = EmptyResponse;

    fn params(&self) -> Vec<Param> {
        let mut params = vec![
            param("InstanceId", self.instance_id.as_str()),
            param("Username", self.username.as_str()),
        ];
        push_opt(
            &mut params,
            "Type",
            self.user_type.map(SaslUserType::as_str),
        );
        push_opt(&mut params, "Mechanism", self.mechanism.as_ref());
        params
    }
}

/// Lists an instance's SASL users, with their passwords.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeSaslUsersRequest {
    pub instance_id: String,
}

impl Action for DescribeSaslUsersRequest {
    const NAME: &'static str = "DescribeSaslUsers";
    type Response = DescribeSaslUsersResponse;
    const ANSWER_HAS_SECRETS: bool = true;

    fn params(&self) -> Vec<Param> {
        vec![param("InstanceId", self.instance_id.as_str())]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSaslUsersResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub request_id: String,
    #[serde(default, rename = "SaslUserList", deserialize_with = "sasl_user_vo")]
    pub users: Vec<SaslUser>,
}

fn sasl_user_vo<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SaslUser>, D::Error> {
    lenient::wrapped_list(d, "SaslUserVO")
}

/// One `SaslUserVO`. `Debug` shows the password as `***`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SaslUser {
    #[serde(default, deserialize_with = "lenient::string")]
    pub username: String,
    /// The password as the service answers it: use only to compare, never to show.
    #[serde(default, deserialize_with = "lenient::secret")]
    pub password: SecretString,
    /// `plain`, `scram` or `LDAP`, as the service spells it.
    #[serde(default, rename = "Type", deserialize_with = "lenient::string")]
    pub user_type: String,
    /// Serverless instances only.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mechanism: Option<String>,
}

impl Client {
    pub async fn create_sasl_user(
        &self,
        req: &CreateSaslUserRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn delete_sasl_user(
        &self,
        req: &DeleteSaslUserRequest,
        deadline: Option<Instant>,
    ) -> Result<EmptyResponse, ApiError> {
        self.call(req, deadline).await
    }

    pub async fn describe_sasl_users(
        &self,
        req: &DescribeSaslUsersRequest,
        deadline: Option<Instant>,
    ) -> Result<DescribeSaslUsersResponse, ApiError> {
        self.call(req, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        let req = CreateSaslUserRequest {
            instance_id: "i".into(),
            username: "svc".into(),
            password: SecretString::new("hunter2-secret"),
            user_type: Some(SaslUserType::Scram),
            mechanism: None,
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(req.secret_values(), ["hunter2-secret"]);
        let params: Vec<(String, String)> = req
            .params()
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect();
        assert!(params.contains(&("Password".into(), "hunter2-secret".into())));
        assert!(params.contains(&("Type".into(), "scram".into())));

        let body = r#"{"RequestId":"R","SaslUserList":{"SaslUserVO":[
            {"Username":"svc","Password":"hunter2-secret","Type":"scram"},
            {"Username":"n","Password":12345,"Type":"plain","Mechanism":"SCRAM-SHA-256"},
            {"Username":"bare"}]}}"#;
        let parsed: DescribeSaslUsersResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(parsed.users.len(), 3);
        assert_eq!(parsed.users[0].password.expose(), "hunter2-secret");
        assert_eq!(parsed.users[0].user_type, "scram");
        assert_eq!(parsed.users[1].password.expose(), "12345");
        assert_eq!(parsed.users[1].mechanism.as_deref(), Some("SCRAM-SHA-256"));
        assert!(parsed.users[2].password.is_empty());
        let shown = format!("{parsed:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("12345"),
            "{shown}"
        );
        const { assert!(DescribeSaslUsersRequest::ANSWER_HAS_SECRETS) };
    }

    #[test]
    fn delete_parameters() {
        let req = DeleteSaslUserRequest {
            instance_id: "i".into(),
            username: "svc".into(),
            user_type: Some(SaslUserType::Plain),
            mechanism: Some("SCRAM-SHA-256".into()),
        };
        let names: Vec<String> = req
            .params()
            .into_iter()
            .map(|(n, _)| n.into_owned())
            .collect();
        assert_eq!(names, ["InstanceId", "Username", "Type", "Mechanism"]);
        assert_eq!(SaslUserType::Ldap.as_str(), "LDAP");
    }
}
