//! `NetResource` and its enumerations: scope, type, display type and usage (`NETRESOURCE`).

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, LocalName};

fn invalid(what: &str, value: u32) -> Error {
    Error::new(
        ErrorKind::InvalidParameter,
        format!("{value:#x} is not a valid {what}"),
    )
}

macro_rules! u32_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $( $(#[$vdoc:meta])* $variant:ident = $value:literal, )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $name {
            /// The raw `DWORD` value.
            pub fn to_u32(self) -> u32 {
                match self { $( $name::$variant => $value, )* }
            }

            /// Parses a raw value; an unknown one gives `ERROR_INVALID_PARAMETER` (87).
            pub fn from_u32(value: u32) -> Result<Self, Error> {
                match value {
                    $( $value => Ok($name::$variant), )*
                    other => Err(invalid($what, other)),
                }
            }
        }
    };
}

u32_enum! {
    /// `dwScope` (`RESOURCE_*`): what an enumeration lists.
    Scope, "resource scope" {
        /// `RESOURCE_CONNECTED` (1): current connections.
        Connected = 1,
        /// `RESOURCE_GLOBALNET` (2): the whole network.
        GlobalNet = 2,
        /// `RESOURCE_REMEMBERED` (3): the profile's remembered connections.
        Remembered = 3,
        /// `RESOURCE_RECENT` (4): recent connections.
        Recent = 4,
        /// `RESOURCE_CONTEXT` (5): the caller's network context.
        Context = 5,
    }
}

u32_enum! {
    /// `dwType` (`RESOURCETYPE_*`).
    ResourceType, "resource type" {
        /// `RESOURCETYPE_ANY` (0).
        Any = 0,
        /// `RESOURCETYPE_DISK` (1).
        Disk = 1,
        /// `RESOURCETYPE_PRINT` (2).
        Print = 2,
        /// `RESOURCETYPE_RESERVED` (8).
        Reserved = 8,
        /// `RESOURCETYPE_UNKNOWN` (0xFFFFFFFF).
        Unknown = 0xFFFF_FFFF,
    }
}

impl ResourceType {
    /// `RESOURCETYPE_DISK`: the default of records written before connections had a type.
    pub fn disk() -> Self {
        ResourceType::Disk
    }
}

u32_enum! {
    /// `dwDisplayType` (`RESOURCEDISPLAYTYPE_*`): how a browser shows the resource.
    DisplayType, "display type" {
        /// GENERIC (0).
        Generic = 0,
        /// DOMAIN (1).
        Domain = 1,
        /// SERVER (2).
        Server = 2,
        /// SHARE (3).
        Share = 3,
        /// FILE (4).
        File = 4,
        /// GROUP (5).
        Group = 5,
        /// NETWORK (6).
        Network = 6,
        /// ROOT (7).
        Root = 7,
        /// SHAREADMIN (8).
        ShareAdmin = 8,
        /// DIRECTORY (9).
        Directory = 9,
        /// TREE (0xA).
        Tree = 0xA,
        /// NDSCONTAINER (0xB).
        NdsContainer = 0xB,
    }
}

/// `dwUsage` (`RESOURCEUSAGE_*` bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Usage(u32);

impl Usage {
    /// `RESOURCEUSAGE_CONNECTABLE`: can be connected to.
    pub const CONNECTABLE: Usage = Usage(0x1);
    /// `RESOURCEUSAGE_CONTAINER`: can be enumerated.
    pub const CONTAINER: Usage = Usage(0x2);
    /// `RESOURCEUSAGE_NOLOCALDEVICE`: needs no local device.
    pub const NOLOCALDEVICE: Usage = Usage(0x4);
    /// `RESOURCEUSAGE_SIBLING`.
    pub const SIBLING: Usage = Usage(0x8);
    /// `RESOURCEUSAGE_ATTACHED`: must be attached (authenticated) to enumerate.
    pub const ATTACHED: Usage = Usage(0x10);
    /// `RESOURCEUSAGE_ALL` (CONNECTABLE | CONTAINER | ATTACHED).
    pub const ALL: Usage = Usage(0x13);
    /// `RESOURCEUSAGE_RESERVED`.
    pub const RESERVED: Usage = Usage(0x8000_0000);
    const DEFINED: u32 = 0x1F | 0x8000_0000;

    /// Validates raw bits; unknown bits give 87.
    pub fn from_bits(bits: u32) -> Result<Self, Error> {
        if bits & !Self::DEFINED != 0 {
            return Err(invalid("resource usage", bits));
        }
        Ok(Usage(bits))
    }

    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// `true` if every bit of `other` is set.
    pub fn contains(self, other: Usage) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Usage {
    type Output = Usage;
    fn bitor(self, rhs: Usage) -> Usage {
        Usage(self.0 | rhs.0)
    }
}

/// `NETRESOURCE`: a network resource as the WNet functions take and return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetResource {
    /// `dwScope`.
    pub scope: Scope,
    /// `dwType`.
    pub resource_type: ResourceType,
    /// `dwDisplayType`.
    pub display_type: DisplayType,
    /// `dwUsage`.
    pub usage: Usage,
    /// `lpLocalName`: the redirected device, if any.
    pub local_name: Option<LocalName>,
    /// `lpRemoteName`: `\\server\share`, `\\server`, or a provider/network name for containers.
    pub remote_name: Option<String>,
    /// `lpComment`.
    pub comment: Option<String>,
    /// `lpProvider`: the owning provider's name.
    pub provider: Option<String>,
}

impl NetResource {
    /// A connection (or remembered connection) of type `resource_type`, as enumerations
    /// report it.
    pub fn share(
        scope: Scope,
        resource_type: ResourceType,
        local: Option<LocalName>,
        remote: &str,
        provider: &str,
    ) -> Self {
        NetResource {
            resource_type,
            ..NetResource::disk_share(scope, local, remote, provider)
        }
    }

    /// A disk share resource as connections and enumerations report it.
    pub fn disk_share(
        scope: Scope,
        local: Option<LocalName>,
        remote: &str,
        provider: &str,
    ) -> Self {
        NetResource {
            scope,
            resource_type: ResourceType::Disk,
            display_type: DisplayType::Share,
            usage: Usage::CONNECTABLE,
            local_name: local,
            remote_name: Some(remote.to_owned()),
            comment: None,
            provider: Some(provider.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_reject_unknown() {
        for v in 1..=5 {
            assert_eq!(Scope::from_u32(v).unwrap().to_u32(), v);
        }
        assert_eq!(Scope::from_u32(0).unwrap_err().win_error().0, 87);
        assert_eq!(Scope::from_u32(6).unwrap_err().win_error().0, 87);
        for v in [0, 1, 2, 8, 0xFFFF_FFFF] {
            assert_eq!(ResourceType::from_u32(v).unwrap().to_u32(), v);
        }
        assert_eq!(ResourceType::from_u32(3).unwrap_err().win_error().0, 87);
        for v in 0..=0xB {
            assert_eq!(DisplayType::from_u32(v).unwrap().to_u32(), v);
        }
        assert!(DisplayType::from_u32(0xC).is_err());
    }

    #[test]
    fn usage_bits() {
        assert_eq!(Usage::from_bits(0x13).unwrap(), Usage::ALL);
        assert!(Usage::ALL.contains(Usage::ATTACHED));
        assert_eq!(Usage::CONNECTABLE | Usage::CONTAINER, Usage(3));
        assert_eq!(Usage::from_bits(0x20).unwrap_err().win_error().0, 87);
        assert!(Usage::from_bits(0x8000_0000).is_ok());
    }
}
