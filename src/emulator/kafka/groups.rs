//! The group coordinator: consumer group membership and rebalances (JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup), in memory as a single broker keeps them. Committed offsets are
//! stored apart ([`super::offsets`]); membership is not kept across a restart, so consumers
//! rejoin (a member id the coordinator does not know is `UNKNOWN_MEMBER_ID`).
//!
//! Rebalances follow Kafka's classic protocol: a join moves the group to
//! PreparingRebalance; the join phase ends when every member has rejoined or the longest
//! rebalance timeout has passed (members that did not rejoin are dropped); the leader's
//! SyncGroup hands out the assignment. Unlike Kafka's default
//! `group.initial.rebalance.delay.ms` (3 s) the first join of an empty group completes at
//! once: the emulator is a test fixture and waits for nothing it does not have to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;

/// How often expired sessions are looked for.
pub const REAPER_PERIOD: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

/// What a JoinGroup asks.
pub struct JoinRequest {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
}

/// A JoinGroup answer.
#[derive(Debug, Clone, Default)]
pub struct JoinOutcome {
    pub error: i16,
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// The members and their metadata, for the leader only.
    pub members: Vec<(String, Option<String>, Bytes)>,
}

/// A SyncGroup answer.
#[derive(Debug, Clone, Default)]
pub struct SyncOutcome {
    pub error: i16,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

/// A member as DescribeGroups shows it.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub state: GroupState,
    pub protocol_type: String,
    pub protocol_name: String,
    pub members: Vec<MemberView>,
}

struct Member {
    group_instance_id: Option<String>,
    client_id: String,
    client_host: String,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    protocol_type: String,
    protocols: Vec<(String, Bytes)>,
    assignment: Bytes,
    last_heard: Instant,
    join_waiter: Option<oneshot::Sender<JoinOutcome>>,
    sync_waiter: Option<oneshot::Sender<SyncOutcome>>,
}

struct Group {
    state: GroupState,
    generation: i32,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    leader: Option<String>,
    /// In join order.
    members: Vec<(String, Member)>,
    /// Bumped by every rebalance, so a stale deadline timer does nothing.
    rebalance_epoch: u64,
}

impl Group {
    fn new() -> Group {
        Group {
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: Vec::new(),
            rebalance_epoch: 0,
        }
    }

    fn member(&mut self, id: &str) -> Option<&mut Member> {
        self.members
            .iter_mut()
            .find(|(m, _)| m == id)
            .map(|(_, m)| m)
    }

    fn has(&self, id: &str) -> bool {
        self.members.iter().any(|(m, _)| m == id)
    }

    fn remove(&mut self, id: &str) {
        if let Some(at) = self.members.iter().position(|(m, _)| m == id) {
            let (_, mut member) = self.members.remove(at);
            if let Some(waiter) = member.join_waiter.take() {
                let _ = waiter.send(JoinOutcome {
                    error: ResponseError::UnknownMemberId.code(),
                    member_id: id.to_string(),
                    ..JoinOutcome::default()
                });
            }
            if let Some(waiter) = member.sync_waiter.take() {
                let _ = waiter.send(SyncOutcome {
                    error: ResponseError::UnknownMemberId.code(),
                    ..SyncOutcome::default()
                });
            }
        }
        if self.leader.as_deref() == Some(id) {
            self.leader = None;
        }
    }

    /// The protocol every member supports, preferring the one most members list first
    /// (Kafka's vote).
    fn select_protocol(&self) -> Option<String> {
        let first = self.members.first()?;
        let candidates: Vec<&String> = first
            .1
            .protocols
            .iter()
            .map(|(name, _)| name)
            .filter(|name| {
                self.members
                    .iter()
                    .all(|(_, m)| m.protocols.iter().any(|(n, _)| n == *name))
            })
            .collect();
        candidates
            .iter()
            .max_by_key(|name| {
                let votes = self
                    .members
                    .iter()
                    .filter(|(_, m)| {
                        m.protocols
                            .iter()
                            .find(|(n, _)| candidates.contains(&n))
                            .is_some_and(|(n, _)| n == **name)
                    })
                    .count();
                // Ties go to the earliest in the first member's list.
                (
                    votes,
                    std::cmp::Reverse(candidates.iter().position(|c| c == *name)),
                )
            })
            .map(|name| (*name).clone())
    }
}

type GroupRef = Arc<Mutex<Group>>;

/// Every group of every instance.
#[derive(Default)]
pub struct Coordinator {
    groups: Mutex<HashMap<(String, String), GroupRef>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Coordinator {
    fn group(&self, instance_id: &str, group_id: &str) -> GroupRef {
        let mut groups = lock(&self.groups);
        groups
            .entry((instance_id.to_string(), group_id.to_string()))
            .or_insert_with(|| Arc::new(Mutex::new(Group::new())))
            .clone()
    }

    fn existing(&self, instance_id: &str, group_id: &str) -> Option<GroupRef> {
        lock(&self.groups)
            .get(&(instance_id.to_string(), group_id.to_string()))
            .cloned()
    }

    /// Whether the group has members (UpdateConsumerOffset is refused while it does).
    pub fn has_members(&self, instance_id: &str, group_id: &str) -> bool {
        self.existing(instance_id, group_id)
            .is_some_and(|g| !lock(&g).members.is_empty())
    }

    /// The group's state and generation, if the coordinator knows it.
    pub fn state(&self, instance_id: &str, group_id: &str) -> Option<(GroupState, i32)> {
        self.existing(instance_id, group_id).map(|g| {
            let g = lock(&g);
            (g.state, g.generation)
        })
    }

    /// Whether an offset commit from this member and generation may be written.
    pub fn validate_commit(
        &self,
        instance_id: &str,
        group_id: &str,
        member_id: &str,
        generation: i32,
    ) -> Result<(), i16> {
        // A commit outside group management (no member, no generation) is always taken.
        if generation < 0 && member_id.is_empty() {
            return Ok(());
        }
        let Some(group) = self.existing(instance_id, group_id) else {
            return Err(ResponseError::UnknownMemberId.code());
        };
        let mut g = lock(&group);
        if g.state == GroupState::CompletingRebalance {
            return Err(ResponseError::RebalanceInProgress.code());
        }
        let current = g.generation;
        let Some(member) = g.member(member_id) else {
            return Err(ResponseError::UnknownMemberId.code());
        };
        if generation != current {
            return Err(ResponseError::IllegalGeneration.code());
        }
        member.last_heard = Instant::now();
        Ok(())
    }

    pub async fn join(
        self: &Arc<Self>,
        instance_id: &str,
        group_id: &str,
        request: JoinRequest,
    ) -> JoinOutcome {
        let group = self.group(instance_id, group_id);
        let receiver = {
            let mut g = lock(&group);
            if request.protocols.is_empty()
                || g.protocol_type
                    .as_ref()
                    .is_some_and(|t| !g.members.is_empty() && *t != request.protocol_type)
                || (!g.members.is_empty()
                    && !request.protocols.iter().any(|(name, _)| {
                        g.members
                            .iter()
                            .all(|(_, m)| m.protocols.iter().any(|(n, _)| n == name))
                    }))
            {
                return JoinOutcome {
                    error: ResponseError::InconsistentGroupProtocol.code(),
                    member_id: request.member_id,
                    ..JoinOutcome::default()
                };
            }
            let member_id = if request.member_id.is_empty() {
                format!("{}-{}", request.client_id, uuid::Uuid::new_v4())
            } else if g.has(&request.member_id) {
                request.member_id.clone()
            } else {
                return JoinOutcome {
                    error: ResponseError::UnknownMemberId.code(),
                    member_id: request.member_id,
                    ..JoinOutcome::default()
                };
            };
            let (sender, receiver) = oneshot::channel();
            let changed = match g.member(&member_id) {
                Some(member) => {
                    let changed = member.protocols != request.protocols;
                    member.protocols = request.protocols;
                    member.session_timeout = request.session_timeout;
                    member.rebalance_timeout = request.rebalance_timeout;
                    member.last_heard = Instant::now();
                    member.join_waiter = Some(sender);
                    changed
                }
                None => {
                    g.members.push((
                        member_id.clone(),
                        Member {
                            group_instance_id: request.group_instance_id,
                            client_id: request.client_id,
                            client_host: request.client_host,
                            session_timeout: request.session_timeout,
                            rebalance_timeout: request.rebalance_timeout,
                            protocol_type: request.protocol_type.clone(),
                            protocols: request.protocols,
                            assignment: Bytes::new(),
                            last_heard: Instant::now(),
                            join_waiter: Some(sender),
                            sync_waiter: None,
                        },
                    ));
                    true
                }
            };
            g.protocol_type = Some(request.protocol_type);
            let is_leader = g.leader.as_deref() == Some(member_id.as_str());
            match g.state {
                GroupState::PreparingRebalance => {}
                GroupState::CompletingRebalance | GroupState::Stable if !changed && !is_leader => {
                    // A member that missed its join answer: the current generation again.
                    let outcome = join_outcome(&g, &member_id);
                    if let Some(member) = g.member(&member_id) {
                        member.join_waiter = None;
                    }
                    return outcome;
                }
                _ => self.prepare_rebalance(&group, &mut g),
            }
            self.try_complete_join(&mut g, false);
            receiver
        };
        match receiver.await {
            Ok(outcome) => outcome,
            Err(_) => JoinOutcome {
                error: ResponseError::RebalanceInProgress.code(),
                ..JoinOutcome::default()
            },
        }
    }

    fn prepare_rebalance(self: &Arc<Self>, group: &GroupRef, g: &mut Group) {
        if g.state == GroupState::CompletingRebalance {
            for (_, member) in &mut g.members {
                if let Some(waiter) = member.sync_waiter.take() {
                    let _ = waiter.send(SyncOutcome {
                        error: ResponseError::RebalanceInProgress.code(),
                        ..SyncOutcome::default()
                    });
                }
            }
        }
        g.state = GroupState::PreparingRebalance;
        g.rebalance_epoch += 1;
        let epoch = g.rebalance_epoch;
        let timeout = g
            .members
            .iter()
            .map(|(_, m)| m.rebalance_timeout)
            .max()
            .unwrap_or_default();
        let group = Arc::clone(group);
        let coordinator = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            let mut g = lock(&group);
            if g.state == GroupState::PreparingRebalance && g.rebalance_epoch == epoch {
                coordinator.try_complete_join(&mut g, true);
            }
        });
    }

    /// Ends the join phase once every member has rejoined (or, when `force`d by the
    /// deadline, without those that did not).
    fn try_complete_join(&self, g: &mut Group, force: bool) {
        if g.state != GroupState::PreparingRebalance {
            return;
        }
        let all_in = g.members.iter().all(|(_, m)| m.join_waiter.is_some());
        if !all_in && !force {
            return;
        }
        let missing: Vec<String> = g
            .members
            .iter()
            .filter(|(_, m)| m.join_waiter.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        for id in missing {
            g.remove(&id);
        }
        g.generation = g.generation.wrapping_add(1);
        if g.members.is_empty() {
            g.state = GroupState::Empty;
            g.protocol_name = None;
            g.leader = None;
            return;
        }
        g.protocol_name = g.select_protocol();
        if g.leader.as_ref().is_none_or(|l| !g.has(l)) {
            g.leader = g.members.first().map(|(id, _)| id.clone());
        }
        g.state = GroupState::CompletingRebalance;
        let ids: Vec<String> = g.members.iter().map(|(id, _)| id.clone()).collect();
        for id in ids {
            let outcome = join_outcome(g, &id);
            if let Some(member) = g.member(&id) {
                member.last_heard = Instant::now();
                member.assignment = Bytes::new();
                if let Some(waiter) = member.join_waiter.take() {
                    let _ = waiter.send(outcome);
                }
            }
        }
    }

    pub async fn sync(
        &self,
        instance_id: &str,
        group_id: &str,
        member_id: &str,
        generation: i32,
        assignments: Vec<(String, Bytes)>,
    ) -> SyncOutcome {
        let fail = |error: ResponseError| SyncOutcome {
            error: error.code(),
            ..SyncOutcome::default()
        };
        let Some(group) = self.existing(instance_id, group_id) else {
            return fail(ResponseError::UnknownMemberId);
        };
        let receiver = {
            let mut g = lock(&group);
            if !g.has(member_id) {
                return fail(ResponseError::UnknownMemberId);
            }
            if generation != g.generation {
                return fail(ResponseError::IllegalGeneration);
            }
            let (protocol_type, protocol_name) = (g.protocol_type.clone(), g.protocol_name.clone());
            match g.state {
                GroupState::Empty => return fail(ResponseError::UnknownMemberId),
                GroupState::PreparingRebalance => return fail(ResponseError::RebalanceInProgress),
                GroupState::Stable => {
                    let assignment = g
                        .member(member_id)
                        .map(|m| {
                            m.last_heard = Instant::now();
                            m.assignment.clone()
                        })
                        .unwrap_or_default();
                    return SyncOutcome {
                        error: 0,
                        protocol_type,
                        protocol_name,
                        assignment,
                    };
                }
                GroupState::CompletingRebalance => {}
            }
            let (sender, receiver) = oneshot::channel();
            if let Some(member) = g.member(member_id) {
                member.sync_waiter = Some(sender);
                member.last_heard = Instant::now();
            }
            if g.leader.as_deref() == Some(member_id) {
                let mut given: HashMap<String, Bytes> = assignments.into_iter().collect();
                for (id, member) in &mut g.members {
                    member.assignment = given.remove(id).unwrap_or_default();
                }
                g.state = GroupState::Stable;
                for (_, member) in &mut g.members {
                    if let Some(waiter) = member.sync_waiter.take() {
                        let _ = waiter.send(SyncOutcome {
                            error: 0,
                            protocol_type: protocol_type.clone(),
                            protocol_name: protocol_name.clone(),
                            assignment: member.assignment.clone(),
                        });
                    }
                }
            }
            receiver
        };
        receiver
            .await
            .unwrap_or_else(|_| fail(ResponseError::RebalanceInProgress))
    }

    pub fn heartbeat(
        &self,
        instance_id: &str,
        group_id: &str,
        member_id: &str,
        generation: i32,
    ) -> i16 {
        let Some(group) = self.existing(instance_id, group_id) else {
            return ResponseError::UnknownMemberId.code();
        };
        let mut g = lock(&group);
        let (state, current) = (g.state, g.generation);
        let Some(member) = g.member(member_id) else {
            return ResponseError::UnknownMemberId.code();
        };
        if state == GroupState::Empty {
            return ResponseError::UnknownMemberId.code();
        }
        if generation != current {
            return ResponseError::IllegalGeneration.code();
        }
        member.last_heard = Instant::now();
        if state == GroupState::PreparingRebalance {
            ResponseError::RebalanceInProgress.code()
        } else {
            0
        }
    }

    /// Removes members; returns each one's error code.
    pub fn leave(
        self: &Arc<Self>,
        instance_id: &str,
        group_id: &str,
        member_ids: &[String],
    ) -> Vec<i16> {
        let Some(group) = self.existing(instance_id, group_id) else {
            return vec![ResponseError::UnknownMemberId.code(); member_ids.len()];
        };
        let mut g = lock(&group);
        let codes = member_ids
            .iter()
            .map(|id| {
                if g.has(id) {
                    g.remove(id);
                    0
                } else {
                    ResponseError::UnknownMemberId.code()
                }
            })
            .collect::<Vec<_>>();
        if codes.contains(&0) {
            self.after_departure(&group, &mut g);
        }
        codes
    }

    fn after_departure(self: &Arc<Self>, group: &GroupRef, g: &mut Group) {
        match g.state {
            GroupState::PreparingRebalance => self.try_complete_join(g, false),
            GroupState::Stable | GroupState::CompletingRebalance => {
                if g.members.is_empty() {
                    g.state = GroupState::Empty;
                    g.generation = g.generation.wrapping_add(1);
                    g.leader = None;
                    g.protocol_name = None;
                } else {
                    self.prepare_rebalance(group, g);
                }
            }
            GroupState::Empty => {}
        }
    }

    /// Drops members whose session timed out (members waiting in a join are exempt, as
    /// the rebalance deadline handles them).
    pub fn expire_sessions(self: &Arc<Self>, now: Instant) {
        let groups: Vec<GroupRef> = lock(&self.groups).values().cloned().collect();
        for group in groups {
            let mut g = lock(&group);
            let expired: Vec<String> = g
                .members
                .iter()
                .filter(|(_, m)| {
                    m.join_waiter.is_none()
                        && now.saturating_duration_since(m.last_heard) > m.session_timeout
                })
                .map(|(id, _)| id.clone())
                .collect();
            if expired.is_empty() {
                continue;
            }
            for id in &expired {
                tracing::info!(group = %id, "kafka group member session expired");
                g.remove(id);
            }
            self.after_departure(&group, &mut g);
        }
    }

    pub fn describe(&self, instance_id: &str, group_id: &str) -> Option<GroupView> {
        let group = self.existing(instance_id, group_id)?;
        let g = lock(&group);
        let protocol_name = g.protocol_name.clone().unwrap_or_default();
        Some(GroupView {
            state: g.state,
            protocol_type: g.protocol_type.clone().unwrap_or_default(),
            protocol_name: protocol_name.clone(),
            members: g
                .members
                .iter()
                .map(|(id, m)| MemberView {
                    member_id: id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: m
                        .protocols
                        .iter()
                        .find(|(n, _)| *n == protocol_name)
                        .map(|(_, meta)| meta.clone())
                        .unwrap_or_default(),
                    assignment: m.assignment.clone(),
                })
                .collect(),
        })
    }

    /// Forgets every group (the control API's reset).
    pub fn clear(&self) {
        lock(&self.groups).clear();
    }
}

fn join_outcome(g: &Group, member_id: &str) -> JoinOutcome {
    let leader = g.leader.clone().unwrap_or_default();
    let protocol = g.protocol_name.clone();
    let members = if leader == member_id {
        g.members
            .iter()
            .map(|(id, m)| {
                let metadata = m
                    .protocols
                    .iter()
                    .find(|(n, _)| Some(n) == protocol.as_ref())
                    .map(|(_, meta)| meta.clone())
                    .unwrap_or_default();
                (id.clone(), m.group_instance_id.clone(), metadata)
            })
            .collect()
    } else {
        Vec::new()
    };
    JoinOutcome {
        error: 0,
        generation: g.generation,
        protocol_type: g
            .members
            .iter()
            .find(|(id, _)| id == member_id)
            .map(|(_, m)| m.protocol_type.clone())
            .or_else(|| g.protocol_type.clone()),
        protocol_name: protocol,
        leader,
        member_id: member_id.to_string(),
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(member_id: &str, client: &str) -> JoinRequest {
        JoinRequest {
            member_id: member_id.to_string(),
            group_instance_id: None,
            client_id: client.to_string(),
            client_host: "/127.0.0.1".into(),
            session_timeout: Duration::from_millis(300),
            rebalance_timeout: Duration::from_millis(500),
            protocol_type: "consumer".into(),
            protocols: vec![("range".into(), Bytes::from_static(b"m"))],
        }
    }

    #[tokio::test]
    async fn two_members_rebalance_and_one_takes_over_after_the_other_leaves() {
        let c = Arc::new(Coordinator::default());
        let first = c.join("i", "g", request("", "a")).await;
        assert_eq!((first.error, first.generation), (0, 1));
        assert_eq!(first.leader, first.member_id, "alone, it leads");
        let synced = c
            .sync(
                "i",
                "g",
                &first.member_id,
                1,
                vec![(first.member_id.clone(), Bytes::from_static(b"all"))],
            )
            .await;
        assert_eq!(synced.assignment, Bytes::from_static(b"all"));
        assert_eq!(c.heartbeat("i", "g", &first.member_id, 1), 0);

        // A second member joins: the first hears of the rebalance and rejoins.
        let c2 = Arc::clone(&c);
        let second = tokio::spawn(async move { c2.join("i", "g", request("", "b")).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            c.heartbeat("i", "g", &first.member_id, 1),
            ResponseError::RebalanceInProgress.code()
        );
        let rejoined = c.join("i", "g", request(&first.member_id, "a")).await;
        let second = second.await.unwrap();
        assert_eq!((rejoined.generation, second.generation), (2, 2));
        assert_eq!(rejoined.members.len(), 2, "the leader sees both");
        assert!(second.members.is_empty());
        assert!(c.has_members("i", "g"));

        // The second leaves: the first rebalances alone.
        assert_eq!(
            c.leave("i", "g", std::slice::from_ref(&second.member_id)),
            vec![0]
        );
        assert_eq!(c.state("i", "g").unwrap().0, GroupState::PreparingRebalance);
        let alone = c.join("i", "g", request(&first.member_id, "a")).await;
        assert_eq!((alone.generation, alone.members.len()), (3, 1));
    }

    #[tokio::test]
    async fn silent_members_expire_and_missing_rejoins_are_dropped() {
        let c = Arc::new(Coordinator::default());
        let only = c.join("i", "g", request("", "a")).await;
        c.sync("i", "g", &only.member_id, only.generation, vec![])
            .await;
        c.expire_sessions(Instant::now() + Duration::from_secs(1));
        assert!(!c.has_members("i", "g"));
        assert_eq!(c.state("i", "g").unwrap().0, GroupState::Empty);

        let a = c.join("i", "g", request("", "a")).await;
        c.sync("i", "g", &a.member_id, a.generation, vec![]).await;
        // b joins; a never rejoins: after the rebalance timeout b is alone.
        let b = c.join("i", "g", request("", "b")).await;
        assert_eq!(b.error, 0);
        assert_eq!(b.leader, b.member_id);
        assert_eq!(c.describe("i", "g").unwrap().members.len(), 1);
    }

    #[tokio::test]
    async fn commits_are_checked_against_membership() {
        let c = Arc::new(Coordinator::default());
        assert_eq!(c.validate_commit("i", "g", "", -1), Ok(()));
        assert_eq!(
            c.validate_commit("i", "g", "nobody", 1),
            Err(ResponseError::UnknownMemberId.code())
        );
        let a = c.join("i", "g", request("", "a")).await;
        assert_eq!(
            c.validate_commit("i", "g", &a.member_id, a.generation),
            Err(ResponseError::RebalanceInProgress.code()),
            "between join and sync"
        );
        c.sync("i", "g", &a.member_id, a.generation, vec![]).await;
        assert_eq!(
            c.validate_commit("i", "g", &a.member_id, a.generation),
            Ok(())
        );
        assert_eq!(
            c.validate_commit("i", "g", &a.member_id, a.generation + 1),
            Err(ResponseError::IllegalGeneration.code())
        );
    }
}
