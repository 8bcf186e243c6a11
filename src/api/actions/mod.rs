//! Typed actions: one request struct, one response struct and one client method each.
//!
//! Responses decode liberally (see [`super::lenient`]): missing optional fields, numbers
//! and booleans sent as strings, and unknown fields are all fine.

mod consumer_group;
mod instance;
mod topic;

pub use consumer_group::*;
pub use instance::*;
pub use topic::*;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::lenient;

/// The developer guide's API version.
pub const VERSION_2018_10_15: &str = "2018-10-15";
/// The version adding ModifyTopicRemark, ModifyPartitionNum and the optional parameters
/// (PartitionNum/LocalTopic/CompactTopic, group Remark, topic paging and filter).
pub const VERSION_2019_09_16: &str = "2019-09-16";

/// An API action: its name, version and business parameters. The client adds the common
/// parameters (including `RegionId`), signs and sends it.
pub trait Action {
    const NAME: &'static str;
    type Response: DeserializeOwned;

    /// The API version to send; actions pick the newer one only when they use what it adds.
    fn version(&self) -> &'static str {
        VERSION_2018_10_15
    }

    /// The action's own parameters (not the common ones).
    fn params(&self) -> Vec<(&'static str, String)>;

    /// Whether sending the call again after an attempt that may have been carried out is
    /// harmless. It is not for relative changes (ModifyPartitionNum adds partitions): the
    /// client then returns the uncertain error instead of retrying, and the caller looks.
    const REPEATABLE: bool = true;
}

/// The answer of actions that return nothing but the common fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EmptyResponse {
    #[serde(default, rename = "RequestId", deserialize_with = "lenient::string")]
    pub request_id: String,
}

fn push_opt<T: ToString>(
    params: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<T>,
) {
    if let Some(value) = value {
        params.push((name, value.to_string()));
    }
}
