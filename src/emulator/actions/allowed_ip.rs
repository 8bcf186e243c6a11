//! IP allowlists: GetAllowedIpList, UpdateAllowedIp. An `add` stores its comma list as
//! one entry, as the service does (addresses already listed for the port range are left
//! out); a `delete` takes one address out of whichever entry holds it, keeping the others
//! (and the entry's description). Deleting an address that is not listed changes nothing.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::{caller_instance, require_running};
use crate::emulator::errors::ApiError;
use crate::emulator::params::Params;
use crate::emulator::response::Node;
use crate::emulator::state::{now_ms, App};
use crate::emulator::storage::access::{self, AllowedIpRecord};

type Fields = Vec<(&'static str, Node)>;

const VPC: &str = "vpc";
const INTERNET: &str = "internet";
/// PLAINTEXT, SASL_PLAINTEXT and SASL_SSL in the VPC.
const VPC_PORTS: [&str; 3] = ["9092/9092", "9094/9094", "9095/9095"];
/// SASL_SSL over the Internet.
const INTERNET_PORTS: [&str; 1] = ["9093/9093"];
/// Addresses per port range (unconfirmed: the SDK documents no limit).
const MAX_ADDRESSES: usize = 100;
const DESCRIPTION_MAX: usize = 256;
/// DeployType of an instance reachable from the Internet too.
const INTERNET_AND_VPC: i64 = 4;

/// An IPv4 address or CIDR block, as the service takes them.
fn valid_address(text: &str) -> bool {
    match text.split_once('/') {
        None => text.parse::<Ipv4Addr>().is_ok(),
        Some((ip, prefix)) => {
            ip.parse::<Ipv4Addr>().is_ok()
                && prefix.parse::<u8>().is_ok_and(|p| p <= 32)
                && !prefix.starts_with('+')
        }
    }
}

fn list_type(p: &Params<'_>) -> Result<&'static str, ApiError> {
    let raw = p.required("AllowedListType")?;
    [VPC, INTERNET]
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(raw))
        .ok_or_else(|| ApiError::invalid_parameter("AllowedListType"))
}

fn port_range<'a>(p: &Params<'a>, list: &str) -> Result<&'a str, ApiError> {
    let raw = p.required("PortRange")?;
    let own: &[&str] = if list == VPC {
        &VPC_PORTS
    } else {
        &INTERNET_PORTS
    };
    if own.contains(&raw) {
        return Ok(raw);
    }
    if VPC_PORTS.contains(&raw) || INTERNET_PORTS.contains(&raw) {
        return Err(ApiError::field_invalid(
            "PortRange",
            &format!("{raw} does not belong to the {list} allowlist"),
        ));
    }
    Err(ApiError::invalid_parameter("PortRange"))
}

pub async fn update(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let list = list_type(p)?;
    let port = port_range(p, list)?.to_owned();
    let add = match p.required("UpdateType")? {
        t if t.eq_ignore_ascii_case("add") => true,
        t if t.eq_ignore_ascii_case("delete") => false,
        _ => return Err(ApiError::invalid_parameter("UpdateType")),
    };
    let addresses: Vec<String> = p
        .required("AllowedListIp")?
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    if addresses.is_empty() || !addresses.iter().all(|a| valid_address(a)) {
        return Err(ApiError::field_invalid(
            "AllowedListIp",
            "each item must be an IPv4 address or CIDR block",
        ));
    }
    if !add && addresses.len() > 1 {
        return Err(ApiError::field_invalid(
            "AllowedListIp",
            "a delete takes one address at a time",
        ));
    }
    let description = p.optional("Description").unwrap_or("").to_owned();
    if description.chars().count() > DESCRIPTION_MAX || description.chars().any(char::is_control) {
        return Err(ApiError::field_invalid(
            "Description",
            "the value must be at most 256 characters without control characters",
        ));
    }
    if list == INTERNET && instance.config.deploy_type != INTERNET_AND_VPC {
        return Err(ApiError::field_invalid(
            "AllowedListType",
            "the instance is not reachable from the Internet",
        ));
    }
    require_running(instance)?;
    let instance_id = instance.id().to_owned();
    let delay = app.settings.visibility_delay_ms();
    app.db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            crate::emulator::storage::purge_gone(&tx, &instance_id, now)?;
            let live: Vec<AllowedIpRecord> = access::allowed_ips(&tx, &instance_id, now)?
                .into_iter()
                .filter(|e| !e.deleted && e.list_type == list && e.port_range == port)
                .collect();
            let visible_at = now.saturating_add(delay);
            if add {
                let listed: Vec<&str> = live.iter().flat_map(|e| e.addresses()).collect();
                let mut new: Vec<&str> = Vec::new();
                for a in &addresses {
                    if !listed.contains(&a.as_str()) && !new.contains(&a.as_str()) {
                        new.push(a);
                    }
                }
                if listed.len() + new.len() > MAX_ADDRESSES {
                    return Err(ApiError::field_invalid(
                        "AllowedListIp",
                        "a port range holds at most 100 addresses",
                    ));
                }
                if !new.is_empty() {
                    access::insert_allowed_ip(
                        &tx,
                        &instance_id,
                        list,
                        &port,
                        &new.join(","),
                        &description,
                        now,
                        visible_at,
                    )?;
                }
            } else if let Some(entry) = live
                .iter()
                .find(|e| e.addresses().any(|a| a == addresses[0]))
            {
                access::delete_allowed_ip(&tx, entry.id, now, visible_at)?;
                let rest: Vec<&str> = entry.addresses().filter(|a| *a != addresses[0]).collect();
                if !rest.is_empty() {
                    access::insert_allowed_ip(
                        &tx,
                        &instance_id,
                        list,
                        &port,
                        &rest.join(","),
                        &entry.description,
                        now,
                        visible_at,
                    )?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Vec::new())
}

fn port_range_node(entries: &[AllowedIpRecord], list: &str, port: &str) -> Node {
    let mine: Vec<&AllowedIpRecord> = entries
        .iter()
        .filter(|e| e.visible && e.list_type == list && e.port_range == port)
        .collect();
    Node::Obj(vec![
        ("PortRange", Node::str(port)),
        (
            "AllowedIpList",
            Node::List(mine.iter().map(|e| Node::str(e.entry.as_str())).collect()),
        ),
        (
            "AllowedIpGroup",
            Node::Map(
                mine.iter()
                    .map(|e| (e.entry.clone(), Node::str(e.description.as_str())))
                    .collect(),
            ),
        ),
    ])
}

/// GetAllowedIpList: one item per documented port range of each list (the Internet list
/// only on instances reachable from the Internet), each entry as stored.
pub async fn list(app: &Arc<App>, caller: &str, p: &Params<'_>) -> Result<Fields, ApiError> {
    let instance = caller_instance(app, caller, p, false)?;
    let instance_id = instance.id().to_owned();
    let entries = app
        .db
        .run(move |conn| Ok(access::allowed_ips(conn, &instance_id, now_ms())?))
        .await?;
    let vpc = VPC_PORTS
        .iter()
        .map(|port| port_range_node(&entries, VPC, port))
        .collect();
    let internet = if instance.config.deploy_type == INTERNET_AND_VPC {
        INTERNET_PORTS
            .iter()
            .map(|port| port_range_node(&entries, INTERNET, port))
            .collect()
    } else {
        Vec::new()
    };
    Ok(vec![(
        "AllowedList",
        Node::Obj(vec![
            ("DeployType", Node::Int(instance.config.deploy_type)),
            ("VpcList", Node::List(vpc)),
            ("InternetList", Node::List(internet)),
        ]),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_blocks() {
        for ok in ["10.0.0.1", "0.0.0.0/0", "192.168.0.0/16", "10.1.2.3/32"] {
            assert!(valid_address(ok), "{ok}");
        }
        for bad in [
            "10.0.0",
            "10.0.0.1/33",
            "10.0.0.1/",
            "::1",
            "host",
            "10.0.0.1/+8",
            "1.2.3.4 ",
        ] {
            assert!(!valid_address(bad), "{bad}");
        }
    }
}
