//! `Router`: the multiple provider router (MPR) over the configured network providers.
//!
//! MPR does not know what a name means: it hands the name the caller gave (a [`RemoteName`](crate::RemoteName),
//! normalised, not parsed) to each provider in the configured order (Windows' `ProviderOrder`
//! registry value; here [`Router::ordered`], from the profile's `provider_order`, default SMB
//! then WebDAV) and each provider decides whether the name is its own. Microsoft's guidelines
//! for providers ("Implementing a Network Provider", routing): a provider that does not own a
//! name answers `WN_BAD_NETNAME` (67) or another "not mine" code *quickly*, and MPR then asks
//! the next one; the first error that is not "not mine" is what the caller gets if nobody
//! accepts. A name both providers could own (`\\host@8080\x`: our SMB port form and
//! WebClient's HTTP port form) is therefore tried by SMB first; when the server there does not
//! speak SMB, SMB answers 53/67 and WebDAV gets it (ADR 0018).
//!
//! Rules (WNET-SPEC.md §4):
//! - No providers at all → `ERROR_NO_NETWORK` (1222).
//! - `lpProvider` given → only that provider (names compare case-insensitively); an unknown name
//!   → `ERROR_BAD_PROVIDER` (1204); its answer is returned as is.
//! - An answer a provider marks [`Error::authoritative`] (its server answered at the endpoint
//!   the name names) ends the routing at once, whatever its code: `\\host@4455\nosuch` on an
//!   SMB server is 67 without WebDAV trying HTTP on an SMB port (where an SMB server keeps the
//!   connection open, waiting for the rest of a message that never comes).
//! - Otherwise the providers are asked in configured order until one accepts. "Not mine" answers
//!   (53, 67, 87, 124, and 2250 for operations on an existing connection) are passed over; the
//!   **first significant error** is remembered and returned if nobody accepts. If every answer
//!   was "not mine": the same code from every provider is returned as is (so the one SMB
//!   provider's 53 "network path not found" or 67 "network name cannot be found" reaches the
//!   user, as on Windows); different codes give `ERROR_NO_NET_OR_BAD_PATH` (1203) for paths,
//!   `ERROR_NOT_CONNECTED` (2250) for connection names.
//! - A provider without the capability an operation needs is never called; if no provider has
//!   it (or the named one lacks it) the router answers `ERROR_NOT_SUPPORTED` (50) itself.
//! - Context (operation, provider) is added to errors here, once.

use std::sync::Arc;

use crate::provider::ProviderStatus;
use crate::{
    AddConnection, Capability, Connection, ConnectionName, Error, ErrorKind, LocalName,
    NetResource, NetworkProvider, ProviderInfo, ResourceType, Result, Scope, UniversalName, Usage,
    WinError,
};

/// The "not mine" answers for operations on a path.
const NOT_MINE_PATH: &[WinError] = &[
    WinError::ERROR_BAD_NETPATH,
    WinError::ERROR_BAD_NET_NAME,
    WinError::ERROR_INVALID_PARAMETER,
    WinError::ERROR_INVALID_LEVEL,
];

/// The "not mine" answers for operations on an existing connection.
const NOT_MINE_CONNECTION: &[WinError] = &[
    WinError::ERROR_BAD_NETPATH,
    WinError::ERROR_BAD_NET_NAME,
    WinError::ERROR_INVALID_PARAMETER,
    WinError::ERROR_INVALID_LEVEL,
    WinError::ERROR_NOT_CONNECTED,
];

/// How one operation is routed.
struct Route {
    operation: &'static str,
    capability: Capability,
    not_mine: &'static [WinError],
    nobody: ErrorKind,
}

const ADD: Route = Route {
    operation: "add_connection",
    capability: Capability::AddConnection,
    not_mine: NOT_MINE_PATH,
    nobody: ErrorKind::NoNetOrBadPath,
};
const RESTORE: Route = Route {
    operation: "restore",
    capability: Capability::AddConnection,
    not_mine: NOT_MINE_PATH,
    nobody: ErrorKind::NoNetOrBadPath,
};
const CANCEL: Route = Route {
    operation: "cancel_connection",
    capability: Capability::CancelConnection,
    not_mine: NOT_MINE_CONNECTION,
    nobody: ErrorKind::NotConnected,
};
const GET_CONNECTION: Route = Route {
    operation: "get_connection",
    capability: Capability::GetConnections,
    not_mine: NOT_MINE_CONNECTION,
    nobody: ErrorKind::NotConnected,
};
const UNIVERSAL_NAME: Route = Route {
    operation: "get_universal_name",
    capability: Capability::GetConnections,
    not_mine: NOT_MINE_CONNECTION,
    nobody: ErrorKind::NotConnected,
};
const GET_USER: Route = Route {
    operation: "get_user",
    capability: Capability::GetUser,
    not_mine: NOT_MINE_CONNECTION,
    nobody: ErrorKind::NotConnected,
};
const RESOURCE_INFORMATION: Route = Route {
    operation: "get_resource_information",
    capability: Capability::ResourceInformation,
    not_mine: NOT_MINE_PATH,
    nobody: ErrorKind::NoNetOrBadPath,
};
const RESOURCE_PARENT: Route = Route {
    operation: "get_resource_parent",
    capability: Capability::ResourceParent,
    not_mine: NOT_MINE_PATH,
    nobody: ErrorKind::NoNetOrBadPath,
};
const ENUM_GLOBAL: Route = Route {
    operation: "open_enum",
    capability: Capability::EnumGlobal,
    not_mine: NOT_MINE_PATH,
    nobody: ErrorKind::NoNetOrBadPath,
};

/// The router over providers in their configured order.
#[derive(Clone, Default)]
pub struct Router {
    providers: Vec<Arc<dyn NetworkProvider>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.providers.iter().map(|p| &p.info().name))
            .finish()
    }
}

impl Router {
    /// A router over `providers`, asked in this order (`ProviderOrder`).
    pub fn new(providers: Vec<Arc<dyn NetworkProvider>>) -> Self {
        Router { providers }
    }

    /// A router over `providers` (given in the default order) reordered by `order`, a list of
    /// provider names (`ProviderOrder`, compared case-insensitively): the named providers first,
    /// in that order, then the others in their default order. Unknown names are ignored.
    pub fn ordered(mut providers: Vec<Arc<dyn NetworkProvider>>, order: &[String]) -> Self {
        let rank = |p: &Arc<dyn NetworkProvider>| {
            order
                .iter()
                .position(|n| n.eq_ignore_ascii_case(&p.info().name))
                .unwrap_or(order.len())
        };
        // A stable sort keeps the default order among the providers `order` does not name.
        providers.sort_by_key(rank);
        Router { providers }
    }

    /// Restores a remembered connection through the provider that made it (`provider`, the
    /// profile's `ProviderName`): [`NetworkProvider::restore`].
    pub fn restore(&self, provider: &str, request: &AddConnection) -> Result<Connection> {
        self.route(&RESTORE, Some(provider), |p| p.restore(request))
    }

    /// Shuts every provider down, in order ([`NetworkProvider::shutdown`]).
    pub fn shutdown(&self) {
        for p in &self.providers {
            p.shutdown();
        }
    }

    /// Every provider's [`NetworkProvider::status`], in order.
    pub fn status(&self) -> Vec<ProviderStatus> {
        self.providers.iter().map(|p| p.status()).collect()
    }

    /// The providers' names and types, in order.
    pub fn providers(&self) -> Vec<ProviderInfo> {
        self.providers.iter().map(|p| p.info().clone()).collect()
    }

    /// The provider of that name (case-insensitive): 1222 with no providers, 1204 if unknown.
    pub fn provider(&self, name: &str) -> Result<&Arc<dyn NetworkProvider>> {
        if self.providers.is_empty() {
            return Err(Error::from_kind(ErrorKind::NoNetwork));
        }
        self.providers
            .iter()
            .find(|p| p.info().name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::BadProvider,
                    format!("no network provider named {name:?}"),
                )
            })
    }

    /// The first provider whose net type has the same high word as `net_type`
    /// (`WNetGetProviderName`): 1222 with no providers, 1204 if none matches.
    pub fn provider_by_net_type(&self, net_type: u32) -> Result<&ProviderInfo> {
        if self.providers.is_empty() {
            return Err(Error::from_kind(ErrorKind::NoNetwork));
        }
        self.providers
            .iter()
            .map(|p| p.info())
            .find(|info| info.net_type >> 16 == net_type >> 16)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::BadProvider,
                    format!("no provider of net type {net_type:#x}"),
                )
            })
    }

    fn route<T>(
        &self,
        route: &Route,
        provider: Option<&str>,
        mut call: impl FnMut(&dyn NetworkProvider) -> Result<T>,
    ) -> Result<T> {
        let tag = |e: Error, p: &dyn NetworkProvider| {
            e.with_context("operation", route.operation)
                .with_context("provider", p.info().name.clone())
        };
        if let Some(name) = provider {
            let p = self
                .provider(name)
                .map_err(|e| e.with_context("operation", route.operation))?;
            if !p.capabilities().has(route.capability) {
                return Err(tag(not_supported(route), p.as_ref()));
            }
            return call(p.as_ref()).map_err(|e| tag(e, p.as_ref()));
        }
        if self.providers.is_empty() {
            return Err(
                Error::from_kind(ErrorKind::NoNetwork).with_context("operation", route.operation)
            );
        }
        let mut capable = self
            .providers
            .iter()
            .filter(|p| p.capabilities().has(route.capability))
            .peekable();
        if capable.peek().is_none() {
            return Err(not_supported(route).with_context("operation", route.operation));
        }
        let mut first_significant: Option<Error> = None;
        // "Not mine" answers; if every provider gave the same one, that one is the answer.
        let mut not_mine: Vec<Error> = Vec::new();
        for p in capable {
            match call(p.as_ref()) {
                Ok(value) => return Ok(value),
                Err(e) if e.is_authoritative() => return Err(tag(e, p.as_ref())),
                Err(e) if route.not_mine.contains(&e.win_error()) => {
                    not_mine.push(tag(e, p.as_ref()))
                }
                Err(e) => {
                    if first_significant.is_none() {
                        first_significant = Some(tag(e, p.as_ref()));
                    }
                }
            }
        }
        if let Some(e) = first_significant {
            return Err(e);
        }
        let unanimous = not_mine
            .windows(2)
            .all(|w| w[0].win_error() == w[1].win_error());
        match not_mine.into_iter().next() {
            Some(e) if unanimous => Err(e),
            _ => Err(Error::from_kind(route.nobody).with_context("operation", route.operation)),
        }
    }

    /// Routes `NPAddConnection3`: the first provider that accepts makes the connection.
    pub fn add_connection(
        &self,
        provider: Option<&str>,
        request: &AddConnection,
    ) -> Result<Connection> {
        self.route(&ADD, provider, |p| p.add_connection(request))
    }

    /// Routes `NPCancelConnection`.
    pub fn cancel_connection(&self, name: &ConnectionName, force: bool) -> Result<()> {
        self.route(&CANCEL, None, |p| p.cancel_connection(name, force))
    }

    /// Routes `NPGetConnection`.
    pub fn get_connection(&self, local: LocalName) -> Result<Connection> {
        self.route(&GET_CONNECTION, None, |p| p.get_connection(local))
    }

    /// Routes `NPGetUniversalName`.
    pub fn get_universal_name(&self, local: LocalName, rest: &str) -> Result<UniversalName> {
        self.route(&UNIVERSAL_NAME, None, |p| p.get_universal_name(local, rest))
    }

    /// Routes `NPGetUser`: a connection's user, or (`None`) the first provider's default user.
    pub fn get_user(&self, name: Option<&ConnectionName>) -> Result<String> {
        self.route(&GET_USER, None, |p| p.get_user(name))
    }

    /// Routes `NPGetResourceInformation`.
    pub fn get_resource_information(
        &self,
        provider: Option<&str>,
        resource: &NetResource,
    ) -> Result<(NetResource, String)> {
        self.route(&RESOURCE_INFORMATION, provider, |p| {
            p.get_resource_information(resource)
        })
    }

    /// Routes `NPGetResourceParent`; the provider name is required (1204 if unknown).
    pub fn get_resource_parent(
        &self,
        provider: &str,
        resource: &NetResource,
    ) -> Result<Option<NetResource>> {
        self.route(&RESOURCE_PARENT, Some(provider), |p| {
            p.get_resource_parent(resource)
        })
    }

    /// Every live connection of every provider that can list them, in provider order
    /// (`RESOURCE_CONNECTED`). 1222 with no providers.
    pub fn connections(&self) -> Result<Vec<Connection>> {
        if self.providers.is_empty() {
            return Err(Error::from_kind(ErrorKind::NoNetwork));
        }
        let mut all = Vec::new();
        for p in self
            .providers
            .iter()
            .filter(|p| p.capabilities().has(Capability::EnumLocal))
        {
            all.extend(p.connections().map_err(|e| {
                e.with_context("operation", "connections")
                    .with_context("provider", p.info().name.clone())
            })?);
        }
        Ok(all)
    }

    /// `RESOURCE_GLOBALNET` enumeration. Without a container: one `RESOURCEDISPLAYTYPE_NETWORK`
    /// container per provider that can enumerate. With a container: its provider (by
    /// `lpProvider`, else routed by name) lists it.
    pub fn enumerate_global(
        &self,
        resource_type: ResourceType,
        usage: Usage,
        container: Option<&NetResource>,
    ) -> Result<Vec<NetResource>> {
        if self.providers.is_empty() {
            return Err(Error::from_kind(ErrorKind::NoNetwork));
        }
        let Some(container) = container else {
            return Ok(self
                .providers
                .iter()
                .filter(|p| p.capabilities().has(Capability::EnumGlobal))
                .map(|p| NetResource {
                    scope: Scope::GlobalNet,
                    resource_type: ResourceType::Any,
                    display_type: crate::DisplayType::Network,
                    usage: Usage::CONTAINER,
                    local_name: None,
                    remote_name: Some(p.info().name.clone()),
                    comment: None,
                    provider: Some(p.info().name.clone()),
                })
                .collect());
        };
        self.route(&ENUM_GLOBAL, container.provider.as_deref(), |p| {
            p.open_enum(Scope::GlobalNet, resource_type, usage, Some(container))
        })
    }
}

fn not_supported(route: &Route) -> Error {
    Error::new(
        ErrorKind::NotSupported,
        format!("no network provider supports {}", route.operation),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{Capabilities, ConnectFlags, ConnectionStatus, RemoteName};

    /// A provider that answers every call with a fixed code (0 = success) and records calls.
    struct Fixed {
        info: ProviderInfo,
        caps: Capabilities,
        answer: u32,
        calls: Arc<Mutex<Vec<String>>>,
    }

    impl Fixed {
        fn capable(
            name: &str,
            answer: u32,
            calls: &Arc<Mutex<Vec<String>>>,
        ) -> Arc<dyn NetworkProvider> {
            let caps = Capabilities::none()
                .with(Capability::AddConnection)
                .with(Capability::CancelConnection)
                .with(Capability::GetConnections)
                .with(Capability::EnumLocal);
            Self::with_caps(name, answer, caps, calls)
        }

        fn with_caps(
            name: &str,
            answer: u32,
            caps: Capabilities,
            calls: &Arc<Mutex<Vec<String>>>,
        ) -> Arc<dyn NetworkProvider> {
            Arc::new(Fixed {
                info: ProviderInfo {
                    name: name.into(),
                    net_type: 0x20000,
                },
                caps,
                answer,
                calls: calls.clone(),
            })
        }

        fn answer(&self) -> Result<()> {
            self.calls.lock().unwrap().push(self.info.name.clone());
            match self.answer {
                0 => Ok(()),
                code => Err(Error::from(WinError(code))),
            }
        }

        fn connection(&self) -> Connection {
            connection(RemoteName::parse(r"\\s\x").unwrap(), &self.info.name)
        }
    }

    /// A live deviceless disk connection of `provider` to `remote`.
    fn connection(remote: RemoteName, provider: &str) -> Connection {
        Connection {
            local: None,
            remote,
            user: "u".into(),
            provider: provider.into(),
            status: ConnectionStatus::Ok,
            logon: None,
            reason: None,
            dfs_target: None,
            open_handles: 0,
            resource_type: ResourceType::Disk,
            mount_dir: None,
        }
    }

    impl NetworkProvider for Fixed {
        fn info(&self) -> &ProviderInfo {
            &self.info
        }
        fn capabilities(&self) -> Capabilities {
            self.caps
        }
        fn add_connection(&self, _: &AddConnection) -> Result<Connection> {
            self.answer().map(|()| self.connection())
        }
        fn cancel_connection(&self, _: &ConnectionName, _: bool) -> Result<()> {
            self.answer()
        }
        fn get_connection(&self, _: LocalName) -> Result<Connection> {
            self.answer().map(|()| self.connection())
        }
        fn connections(&self) -> Result<Vec<Connection>> {
            self.answer().map(|()| vec![self.connection()])
        }
    }

    fn request() -> AddConnection {
        AddConnection {
            resource_type: ResourceType::Disk,
            local: Some(LocalName::Drive(b'Z')),
            remote: RemoteName::parse(r"\\s\x").unwrap(),
            user: None,
            password: None,
            flags: ConnectFlags::empty(),
            ccache: None,
        }
    }

    fn router(answers: &[(&str, u32)]) -> (Router, Arc<Mutex<Vec<String>>>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let providers = answers
            .iter()
            .map(|(n, a)| Fixed::capable(n, *a, &calls))
            .collect();
        (Router::new(providers), calls)
    }

    fn add_code(r: &Router, provider: Option<&str>) -> u32 {
        match r.add_connection(provider, &request()) {
            Ok(c) => {
                assert!(!c.provider.is_empty());
                0
            }
            Err(e) => e.win_error().0,
        }
    }

    fn permutations(items: &[u32]) -> Vec<Vec<u32>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let head = rest.remove(i);
            for mut tail in permutations(&rest) {
                tail.insert(0, head);
                out.push(tail);
            }
        }
        out
    }

    /// What MPR must answer for providers answering `codes` in order.
    fn expected(codes: &[u32], not_mine: &[u32], nobody: u32) -> u32 {
        if codes.contains(&0) {
            return 0;
        }
        if let Some(significant) = codes.iter().copied().find(|c| !not_mine.contains(c)) {
            return significant;
        }
        if codes.iter().all(|c| *c == codes[0]) {
            codes[0]
        } else {
            nobody
        }
    }

    #[test]
    fn first_significant_error_in_every_order_of_three_providers() {
        let sets: &[&[u32]] = &[
            &[67, 86, 1326],
            &[53, 5, 86],
            &[67, 53, 87],
            &[124, 87, 0],
            &[86, 67, 0],
            &[1219, 1326, 67],
            &[67, 67, 67],
            &[53, 53, 53],
            &[53, 53, 67],
        ];
        for set in sets {
            for order in permutations(set) {
                let named: Vec<(String, u32)> = order
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (format!("P{i}"), *c))
                    .collect();
                let answers: Vec<(&str, u32)> =
                    named.iter().map(|(n, c)| (n.as_str(), *c)).collect();
                let (r, _) = router(&answers);
                assert_eq!(
                    add_code(&r, None),
                    expected(&order, &[53, 67, 87, 124], 1203),
                    "{order:?}"
                );
            }
        }
    }

    #[test]
    fn the_significant_error_names_its_provider() {
        let (r, _) = router(&[("A", 67), ("B", 86), ("C", 1326)]);
        let e = r.add_connection(None, &request()).unwrap_err();
        assert_eq!(e.win_error().0, 86);
        assert!(e.context().contains(&("provider", "B".to_string())), "{e}");
        assert!(
            e.context()
                .contains(&("operation", "add_connection".to_string())),
            "{e}"
        );
    }

    #[test]
    fn the_first_provider_that_accepts_wins_and_later_ones_are_not_asked() {
        let (r, calls) = router(&[("A", 67), ("B", 0), ("C", 0)]);
        let c = r.add_connection(None, &request()).unwrap();
        assert_eq!(c.provider, "B");
        assert_eq!(*calls.lock().unwrap(), ["A", "B"]);
    }

    #[test]
    fn no_providers_is_1222() {
        let r = Router::new(Vec::new());
        assert_eq!(add_code(&r, None), 1222);
        assert_eq!(add_code(&r, Some("A")), 1222);
        assert_eq!(
            r.cancel_connection(&ConnectionName::parse("Z:").unwrap(), false)
                .unwrap_err()
                .win_error()
                .0,
            1222
        );
        assert_eq!(r.connections().unwrap_err().win_error().0, 1222);
        assert_eq!(
            r.provider_by_net_type(0x20000).unwrap_err().win_error().0,
            1222
        );
    }

    #[test]
    fn a_named_provider_is_the_only_one_asked() {
        let (r, calls) = router(&[("A", 0), ("B", 67)]);
        assert_eq!(add_code(&r, Some("b")), 67, "its answer is returned as is");
        assert_eq!(*calls.lock().unwrap(), ["B"]);
        assert_eq!(add_code(&r, Some("nope")), 1204);
        assert_eq!(
            calls.lock().unwrap().len(),
            1,
            "an unknown provider asks nobody"
        );
    }

    #[test]
    fn a_missing_capability_is_answered_by_the_router() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let no_add = Capabilities::none().with(Capability::CancelConnection);
        let r = Router::new(vec![Fixed::with_caps("A", 0, no_add, &calls)]);
        assert_eq!(add_code(&r, None), 50);
        assert_eq!(add_code(&r, Some("A")), 50);
        assert_eq!(r.get_user(None).unwrap_err().win_error().0, 50);
        assert!(
            calls.lock().unwrap().is_empty(),
            "a provider is never called without the capability"
        );
        // A capable provider later in the order is still found.
        let r = Router::new(vec![
            Fixed::with_caps("A", 0, no_add, &calls),
            Fixed::capable("B", 0, &calls),
        ]);
        assert_eq!(add_code(&r, None), 0);
        assert_eq!(*calls.lock().unwrap(), ["B"]);
    }

    #[test]
    fn cancel_treats_not_connected_as_not_mine() {
        let name = ConnectionName::parse("Z:").unwrap();
        for order in permutations(&[2250, 2401, 67]) {
            let named: Vec<(String, u32)> = order
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("P{i}"), *c))
                .collect();
            let answers: Vec<(&str, u32)> = named.iter().map(|(n, c)| (n.as_str(), *c)).collect();
            let (r, _) = router(&answers);
            assert_eq!(
                r.cancel_connection(&name, false).unwrap_err().win_error().0,
                2401,
                "{order:?}"
            );
        }
        let (r, _) = router(&[("A", 2250), ("B", 67)]);
        assert_eq!(
            r.cancel_connection(&name, false).unwrap_err().win_error().0,
            2250
        );
        let (r, _) = router(&[("A", 2250), ("B", 0)]);
        assert!(r.cancel_connection(&name, true).is_ok());
        let (r, _) = router(&[("A", 2250), ("B", 2250)]);
        assert_eq!(
            r.get_connection(LocalName::Drive(b'Q'))
                .unwrap_err()
                .win_error()
                .0,
            2250
        );
    }

    #[test]
    fn providers_by_name_and_type() {
        let (r, _) = router(&[("Microsoft Windows Network", 0)]);
        assert_eq!(
            r.provider("microsoft windows network").unwrap().info().name,
            "Microsoft Windows Network"
        );
        assert_eq!(
            r.provider_by_net_type(0x0002_0001).unwrap().name,
            "Microsoft Windows Network"
        );
        assert_eq!(
            r.provider_by_net_type(0x002E_0000)
                .unwrap_err()
                .win_error()
                .0,
            1204
        );
        assert_eq!(r.providers().len(), 1);
    }

    #[test]
    fn connections_are_merged_in_provider_order() {
        let (r, _) = router(&[("A", 0), ("B", 0)]);
        let names: Vec<String> = r
            .connections()
            .unwrap()
            .into_iter()
            .map(|c| c.provider)
            .collect();
        assert_eq!(names, ["A", "B"]);
    }

    #[test]
    fn global_enumeration_root_lists_capable_providers() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let enum_caps = Capabilities::none().with(Capability::EnumGlobal);
        let r = Router::new(vec![
            Fixed::with_caps("A", 0, enum_caps, &calls),
            Fixed::capable("B", 0, &calls),
        ]);
        let root = r
            .enumerate_global(ResourceType::Any, Usage::ALL, None)
            .unwrap();
        assert_eq!(root.len(), 1);
        assert_eq!(root[0].provider.as_deref(), Some("A"));
        assert_eq!(root[0].display_type, crate::DisplayType::Network);
    }

    /// A provider that judges each name (0 = accept, else the code), like a real one: SMB-like
    /// or WebDAV-like rules, recording the names it was asked about and whether it was shut down.
    struct Judging {
        info: ProviderInfo,
        judge: Box<dyn Fn(&RemoteName) -> u32 + Send + Sync>,
        calls: Arc<Mutex<Vec<String>>>,
    }

    impl Judging {
        fn provider(
            name: &str,
            net_type: u32,
            calls: &Arc<Mutex<Vec<String>>>,
            judge: impl Fn(&RemoteName) -> u32 + Send + Sync + 'static,
        ) -> Arc<dyn NetworkProvider> {
            Arc::new(Judging {
                info: ProviderInfo {
                    name: name.into(),
                    net_type,
                },
                judge: Box::new(judge),
                calls: calls.clone(),
            })
        }
    }

    impl NetworkProvider for Judging {
        fn info(&self) -> &ProviderInfo {
            &self.info
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::none().with(Capability::AddConnection)
        }
        fn add_connection(&self, r: &AddConnection) -> Result<Connection> {
            self.calls.lock().unwrap().push(self.info.name.clone());
            match (self.judge)(&r.remote) {
                0 => Ok(connection(r.remote.clone(), &self.info.name)),
                code => Err(Error::from(WinError(code))),
            }
        }
        fn shutdown(&self) {
            self.calls
                .lock()
                .unwrap()
                .push(format!("shutdown {}", self.info.name));
        }
    }

    /// SMB's rule: a name the UNC rules accept is its own; `smb_answer` is what the server
    /// says (0 = connected).
    fn smb(calls: &Arc<Mutex<Vec<String>>>, smb_answer: u32) -> Arc<dyn NetworkProvider> {
        Judging::provider("SMB", crate::WNNC_NET_LANMAN, calls, move |n| {
            if n.unc().is_err() { 67 } else { smb_answer }
        })
    }

    /// WebDAV's rule: URLs, WebClient marks and `@port` forms; `dav_answer` for those.
    fn dav(calls: &Arc<Mutex<Vec<String>>>, dav_answer: u32) -> Arc<dyn NetworkProvider> {
        Judging::provider("DAV", crate::WNNC_NET_DAV, calls, move |n| {
            let port_form = n
                .as_str()
                .trim_start_matches('\\')
                .split('\\')
                .next()
                .is_some_and(|s| s.contains('@'));
            if n.scheme().is_some() || n.has_webclient_marks() || port_form {
                dav_answer
            } else {
                67
            }
        })
    }

    fn add(r: &Router, name: &str) -> std::result::Result<String, u32> {
        let mut req = request();
        req.local = None;
        req.remote = RemoteName::parse(name).unwrap();
        r.add_connection(None, &req)
            .map(|c| c.provider)
            .map_err(|e| e.win_error().0)
    }

    #[test]
    fn each_name_reaches_the_provider_that_claims_it() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let r = Router::new(vec![smb(&calls, 0), dav(&calls, 0)]);
        assert_eq!(add(&r, r"\\files\team").unwrap(), "SMB");
        assert_eq!(
            add(&r, "https://cloud/remote.php/dav/files/alice").unwrap(),
            "DAV"
        );
        assert_eq!(add(&r, r"\\cloud@SSL@443\DavWWWRoot\x").unwrap(), "DAV");
        assert_eq!(
            *calls.lock().unwrap(),
            ["SMB", "SMB", "DAV", "SMB", "DAV"],
            "SMB is asked first and passes a URL and a WebClient name on"
        );
        assert_eq!(add(&r, r"\\h").unwrap_err(), 67, "nobody's: the shared 67");
    }

    #[test]
    fn the_ambiguous_port_form_goes_to_webdav_when_smb_finds_no_smb_server() {
        // `\\host@8080\x` is SMB's port form and WebClient's HTTP port form: SMB tries, the
        // server there does not speak SMB (53), WebDAV connects.
        for not_mine in [53, 67] {
            let calls = Arc::new(Mutex::new(Vec::new()));
            let r = Router::new(vec![smb(&calls, not_mine), dav(&calls, 0)]);
            assert_eq!(add(&r, r"\\h@8080\x").unwrap(), "DAV");
            assert_eq!(*calls.lock().unwrap(), ["SMB", "DAV"]);
        }
        // An SMB server that answers there wins.
        let calls = Arc::new(Mutex::new(Vec::new()));
        let r = Router::new(vec![smb(&calls, 0), dav(&calls, 0)]);
        assert_eq!(add(&r, r"\\h@8080\x").unwrap(), "SMB");
        assert_eq!(*calls.lock().unwrap(), ["SMB"]);
    }

    #[test]
    fn the_first_significant_error_wins_over_later_not_mine() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        // SMB's server refused the password (86); WebDAV finds nothing there (53).
        let r = Router::new(vec![smb(&calls, 86), dav(&calls, 53)]);
        assert_eq!(add(&r, r"\\h@8080\x").unwrap_err(), 86);
        // Not mine from SMB (53), a significant 1326 from WebDAV: 1326.
        let r = Router::new(vec![smb(&calls, 53), dav(&calls, 1326)]);
        assert_eq!(add(&r, r"\\h@8080\x").unwrap_err(), 1326);
        // Both not mine, different codes: 1203.
        let r = Router::new(vec![smb(&calls, 53), dav(&calls, 67)]);
        assert_eq!(add(&r, r"\\h@8080\x").unwrap_err(), 1203);
        // A significant error first, a later provider accepts: success.
        let r = Router::new(vec![smb(&calls, 5), dav(&calls, 0)]);
        assert_eq!(add(&r, r"\\h@8080\x").unwrap(), "DAV");
    }

    #[test]
    fn an_authoritative_not_mine_answer_ends_the_routing() {
        // An SMB server answered at `\\h@8080` that it has no share `x`: 67, final; WebDAV is
        // not asked to speak HTTP to an SMB server.
        let calls = Arc::new(Mutex::new(Vec::new()));
        let smb = Judging::provider("SMB", crate::WNNC_NET_LANMAN, &calls, |_| 67);
        struct Final(Arc<dyn NetworkProvider>);
        impl NetworkProvider for Final {
            fn info(&self) -> &ProviderInfo {
                self.0.info()
            }
            fn capabilities(&self) -> Capabilities {
                self.0.capabilities()
            }
            fn add_connection(&self, r: &AddConnection) -> Result<Connection> {
                self.0.add_connection(r).map_err(Error::authoritative)
            }
        }
        let r = Router::new(vec![Arc::new(Final(smb)), dav(&calls, 0)]);
        assert_eq!(add(&r, r"\\h@8080\x").unwrap_err(), 67);
        assert_eq!(*calls.lock().unwrap(), ["SMB"]);
    }

    #[test]
    fn provider_order_is_configurable() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let order = vec!["dav".to_string(), "no such provider".to_string()];
        let r = Router::ordered(vec![smb(&calls, 0), dav(&calls, 0)], &order);
        let names: Vec<String> = r.providers().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["DAV", "SMB"]);
        assert_eq!(add(&r, r"\\h@8080\x").unwrap(), "DAV", "WebDAV first now");
        assert_eq!(add(&r, r"\\files\team").unwrap(), "SMB");
        let r = Router::ordered(vec![smb(&calls, 0), dav(&calls, 0)], &[]);
        let names: Vec<String> = r.providers().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["SMB", "DAV"], "the default order");
    }

    #[test]
    fn restore_shutdown_and_status_are_provider_methods() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let r = Router::new(vec![smb(&calls, 0), dav(&calls, 0)]);
        let mut req = request();
        req.remote = RemoteName::parse(r"\\h@8080\x").unwrap();
        assert_eq!(r.restore("dav", &req).unwrap().provider, "DAV");
        assert_eq!(
            *calls.lock().unwrap(),
            ["DAV"],
            "only the remembered provider"
        );
        assert_eq!(r.restore("nope", &req).unwrap_err().win_error().0, 1204);
        r.shutdown();
        assert_eq!(
            calls.lock().unwrap()[1..],
            ["shutdown SMB".to_string(), "shutdown DAV".to_string()]
        );
        let status = r.status();
        assert_eq!(
            status.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["SMB", "DAV"]
        );
        assert_eq!(status[1].net_type, crate::WNNC_NET_DAV);
    }
}
