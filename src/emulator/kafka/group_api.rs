//! The group APIs on the wire: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
//! LeaveGroup, DescribeGroups, ListGroups, over [`super::groups::Coordinator`]. The
//! coordinator of every group is the instance's single node.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{
    BrokerId, DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, GroupId, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::conn::Ctx;
use super::groups::{GroupState, JoinRequest};
use super::offsets::{auto_create_groups, group_usable};
use super::security::{Operation, Resource};
use super::NODE_ID;
use crate::emulator::state::now_ms;
use crate::emulator::storage::groups;

/// Session timeouts a member may ask for (Kafka's broker defaults).
const MIN_SESSION: Duration = Duration::from_secs(6);
const MAX_SESSION: Duration = Duration::from_secs(1800);

fn text(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

/// Whether the connection may use the group, creating it when the instance allows.
async fn usable(ctx: &Ctx, group: &str) -> bool {
    if !ctx.allowed(Operation::Read, Resource::Group(group)) {
        return false;
    }
    let (instance_id, group, auto) = (
        ctx.instance_id().to_string(),
        group.to_string(),
        auto_create_groups(ctx),
    );
    ctx.app
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let usable = group_usable(&tx, &instance_id, &group, auto)?;
            tx.commit()?;
            Ok(usable)
        })
        .await
        .unwrap_or(false)
}

pub async fn find_coordinator(
    ctx: &Ctx,
    version: i16,
    request: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let mut response = FindCoordinatorResponse::default();
    let error = if request.key_type == 1 {
        Some((
            ResponseError::TransactionalIdAuthorizationFailed,
            "transactions are not supported by the emulator",
        ))
    } else if !ctx.allowed(Operation::Read, Resource::Group(request.key.as_str())) {
        Some((
            ResponseError::GroupAuthorizationFailed,
            "the SASL user has no Read ACL on this consumer group",
        ))
    } else if !usable(ctx, request.key.as_str()).await {
        Some((
            ResponseError::GroupAuthorizationFailed,
            "unknown consumer group: create it with the CreateConsumerGroup API (or Terraform)",
        ))
    } else {
        None
    };
    match error {
        Some((code, message)) => {
            response.error_code = code.code();
            response.node_id = BrokerId(-1);
            response.port = -1;
            if version >= 1 {
                response.error_message = Some(StrBytes::from_static_str(message));
            }
        }
        None => {
            response.node_id = BrokerId(NODE_ID);
            response.host = text(ctx.listener.advertised.ip().to_string());
            response.port = i32::from(ctx.listener.advertised.port());
        }
    }
    response
}

fn millis(ms: i32) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

pub async fn join(ctx: &Ctx, version: i16, request: JoinGroupRequest) -> JoinGroupResponse {
    let mut response = JoinGroupResponse::default();
    let group = request.group_id.0.to_string();
    response.member_id = request.member_id.clone();
    let session = millis(request.session_timeout_ms);
    if !usable(ctx, &group).await {
        response.error_code = ResponseError::GroupAuthorizationFailed.code();
        return response;
    }
    if !(MIN_SESSION..=MAX_SESSION).contains(&session) {
        response.error_code = ResponseError::InvalidSessionTimeout.code();
        return response;
    }
    let rebalance = if version >= 1 {
        millis(request.rebalance_timeout_ms)
    } else {
        session
    };
    let outcome = ctx
        .app
        .kafka
        .groups
        .join(
            ctx.instance_id(),
            &group,
            JoinRequest {
                member_id: request.member_id.to_string(),
                group_instance_id: request.group_instance_id.map(|g| g.to_string()),
                client_id: ctx.client_id.clone(),
                client_host: format!("/{}", ctx.peer.ip()),
                session_timeout: session,
                rebalance_timeout: rebalance,
                protocol_type: request.protocol_type.to_string(),
                protocols: request
                    .protocols
                    .into_iter()
                    .map(|p| (p.name.to_string(), p.metadata))
                    .collect(),
            },
        )
        .await;
    response.error_code = outcome.error;
    response.generation_id = outcome.generation;
    if version >= 7 {
        response.protocol_type = outcome.protocol_type.map(text);
    }
    response.protocol_name = Some(text(outcome.protocol_name.unwrap_or_default()));
    response.leader = text(outcome.leader);
    response.member_id = text(outcome.member_id);
    response.members = outcome
        .members
        .into_iter()
        .map(|(id, instance, metadata)| {
            let mut m = JoinGroupResponseMember::default();
            m.member_id = text(id);
            m.group_instance_id = instance.map(text);
            m.metadata = metadata;
            m
        })
        .collect();
    response
}

pub async fn sync(ctx: &Ctx, version: i16, request: SyncGroupRequest) -> SyncGroupResponse {
    let outcome = ctx
        .app
        .kafka
        .groups
        .sync(
            ctx.instance_id(),
            request.group_id.0.as_str(),
            request.member_id.as_str(),
            request.generation_id,
            request
                .assignments
                .into_iter()
                .map(|a| (a.member_id.to_string(), a.assignment))
                .collect(),
        )
        .await;
    let mut response = SyncGroupResponse::default();
    response.error_code = outcome.error;
    if version >= 5 {
        response.protocol_type = outcome.protocol_type.map(text);
        response.protocol_name = outcome.protocol_name.map(text);
    }
    response.assignment = outcome.assignment;
    response
}

pub fn heartbeat(ctx: &Ctx, request: HeartbeatRequest) -> HeartbeatResponse {
    let mut response = HeartbeatResponse::default();
    response.error_code = ctx.app.kafka.groups.heartbeat(
        ctx.instance_id(),
        request.group_id.0.as_str(),
        request.member_id.as_str(),
        request.generation_id,
    );
    response
}

pub fn leave(ctx: &Ctx, version: i16, request: LeaveGroupRequest) -> LeaveGroupResponse {
    let group = request.group_id.0.to_string();
    let ids: Vec<String> = if version >= 3 {
        request
            .members
            .iter()
            .map(|m| m.member_id.to_string())
            .collect()
    } else {
        vec![request.member_id.to_string()]
    };
    let codes = ctx.app.kafka.groups.leave(ctx.instance_id(), &group, &ids);
    let mut response = LeaveGroupResponse::default();
    if version >= 3 {
        response.members = request
            .members
            .into_iter()
            .zip(&codes)
            .map(|(m, code)| {
                let mut r = MemberResponse::default();
                r.member_id = m.member_id;
                r.group_instance_id = m.group_instance_id;
                r.error_code = *code;
                r
            })
            .collect();
    } else {
        response.error_code = codes.first().copied().unwrap_or(0);
    }
    response
}

pub async fn describe(
    ctx: &Ctx,
    _version: i16,
    request: DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let mut response = DescribeGroupsResponse::default();
    for group_id in request.groups {
        let name = group_id.0.to_string();
        let mut described = DescribedGroup::default();
        described.group_id = group_id;
        if !ctx.allowed(Operation::Describe, Resource::Group(&name)) || !usable(ctx, &name).await {
            described.error_code = ResponseError::GroupAuthorizationFailed.code();
            described.group_state = text("Dead");
            response.groups.push(described);
            continue;
        }
        match ctx.app.kafka.groups.describe(ctx.instance_id(), &name) {
            Some(view) => {
                described.group_state = text(view.state.name());
                described.protocol_type = text(view.protocol_type);
                described.protocol_data = text(view.protocol_name);
                described.members = view
                    .members
                    .into_iter()
                    .map(|m| {
                        let mut d = DescribedGroupMember::default();
                        d.member_id = text(m.member_id);
                        d.group_instance_id = m.group_instance_id.map(text);
                        d.client_id = text(m.client_id);
                        d.client_host = text(m.client_host);
                        d.member_metadata = m.metadata;
                        d.member_assignment = m.assignment;
                        d
                    })
                    .collect();
            }
            None => described.group_state = text(GroupState::Empty.name()),
        }
        response.groups.push(described);
    }
    response
}

pub async fn list(ctx: &Ctx, request: ListGroupsRequest) -> ListGroupsResponse {
    let instance_id = ctx.instance_id().to_string();
    let names = ctx
        .app
        .db
        .run(move |conn| {
            let now = now_ms();
            Ok(groups::list_visible(conn, &instance_id, now)?
                .into_iter()
                .filter(|g| !g.is_deleted())
                .map(|g| g.consumer_id)
                .collect::<Vec<_>>())
        })
        .await
        .unwrap_or_default();
    let coordinator = Arc::clone(&ctx.app.kafka.groups);
    let mut response = ListGroupsResponse::default();
    response.groups = names
        .into_iter()
        .filter(|name| ctx.allowed(Operation::Describe, Resource::Group(name)))
        .filter_map(|name| {
            let view = coordinator.describe(ctx.instance_id(), &name);
            let state = view.as_ref().map_or(GroupState::Empty, |v| v.state);
            if !request.states_filter.is_empty()
                && !request
                    .states_filter
                    .iter()
                    .any(|s| s.as_str() == state.name())
            {
                return None;
            }
            let mut listed = ListedGroup::default();
            listed.group_id = GroupId(text(name));
            listed.protocol_type = text(view.map(|v| v.protocol_type).unwrap_or_default());
            listed.group_state = text(state.name());
            Some(listed)
        })
        .collect();
    response
}
