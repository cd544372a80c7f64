//! File-system control structures (MS-FSCC): FILETIME, attributes, access masks and the
//! information classes the engine uses.

use super::DecodeError;
use super::wire::{Put, u8_at, u32_at, u64_at, utf16, utf16_at, walk_chain};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A Windows FILETIME: 100 ns ticks since 1601-01-01 UTC; 0 means "not given".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileTime(pub u64);

/// 100 ns ticks between 1601-01-01 and 1970-01-01.
const UNIX_EPOCH_TICKS: u64 = 116_444_736_000_000_000;

impl FileTime {
    /// Converts to a `SystemTime` (times before 1970 clamp to the epoch).
    pub fn to_system_time(self) -> SystemTime {
        let ticks = self.0.saturating_sub(UNIX_EPOCH_TICKS);
        UNIX_EPOCH + Duration::from_nanos(ticks.saturating_mul(100))
    }

    /// Converts from a `SystemTime`.
    pub fn from_system_time(t: SystemTime) -> Self {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        FileTime(UNIX_EPOCH_TICKS + (d.as_nanos() / 100) as u64)
    }
}

/// File attributes (MS-FSCC §2.6).
pub mod attr {
    /// Read-only.
    pub const READONLY: u32 = 0x01;
    /// Hidden.
    pub const HIDDEN: u32 = 0x02;
    /// System.
    pub const SYSTEM: u32 = 0x04;
    /// Directory.
    pub const DIRECTORY: u32 = 0x10;
    /// Archive.
    pub const ARCHIVE: u32 = 0x20;
    /// Normal (no other attribute).
    pub const NORMAL: u32 = 0x80;
}

/// Access mask bits (MS-SMB2 §2.2.13.1).
pub mod access {
    /// Read data / list directory.
    pub const READ_DATA: u32 = 0x0000_0001;
    /// Write data / add file.
    pub const WRITE_DATA: u32 = 0x0000_0002;
    /// Append data / add subdirectory.
    pub const APPEND_DATA: u32 = 0x0000_0004;
    /// Read extended attributes.
    pub const READ_EA: u32 = 0x0000_0008;
    /// Write extended attributes.
    pub const WRITE_EA: u32 = 0x0000_0010;
    /// Delete a child.
    pub const DELETE_CHILD: u32 = 0x0000_0040;
    /// Read attributes.
    pub const READ_ATTRIBUTES: u32 = 0x0000_0080;
    /// Write attributes.
    pub const WRITE_ATTRIBUTES: u32 = 0x0000_0100;
    /// Delete.
    pub const DELETE: u32 = 0x0001_0000;
    /// Read the security descriptor.
    pub const READ_CONTROL: u32 = 0x0002_0000;
    /// Synchronize.
    pub const SYNCHRONIZE: u32 = 0x0010_0000;
    /// Maximum allowed.
    pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
    /// Generic all.
    pub const GENERIC_ALL: u32 = 0x1000_0000;
    /// Generic write.
    pub const GENERIC_WRITE: u32 = 0x4000_0000;
    /// Generic read.
    pub const GENERIC_READ: u32 = 0x8000_0000;
}

/// InfoType of QUERY_INFO / SET_INFO.
pub mod info_type {
    /// File information.
    pub const FILE: u8 = 1;
    /// File-system information.
    pub const FILESYSTEM: u8 = 2;
    /// Security descriptor.
    pub const SECURITY: u8 = 3;
}

/// File information classes (MS-FSCC §2.4).
pub mod file_class {
    /// FileDirectoryInformation.
    pub const DIRECTORY: u8 = 1;
    /// FileBasicInformation.
    pub const BASIC: u8 = 4;
    /// FileStandardInformation.
    pub const STANDARD: u8 = 5;
    /// FileInternalInformation (the file's 64-bit id, its IndexNumber).
    pub const INTERNAL: u8 = 6;
    /// FileRenameInformation.
    pub const RENAME: u8 = 10;
    /// FileDispositionInformation.
    pub const DISPOSITION: u8 = 13;
    /// FileAllInformation.
    pub const ALL: u8 = 18;
    /// FileAllocationInformation.
    pub const ALLOCATION: u8 = 19;
    /// FileEndOfFileInformation.
    pub const END_OF_FILE: u8 = 20;
    /// FileNetworkOpenInformation.
    pub const NETWORK_OPEN: u8 = 34;
    /// FileIdBothDirectoryInformation.
    pub const ID_BOTH_DIRECTORY: u8 = 37;
}

/// File-system information classes (MS-FSCC §2.5).
pub mod fs_class {
    /// FileFsSizeInformation.
    pub const SIZE: u8 = 3;
    /// FileFsAttributeInformation.
    pub const ATTRIBUTE: u8 = 5;
    /// FileFsFullSizeInformation.
    pub const FULL_SIZE: u8 = 7;
}

fn ft(b: &[u8], off: usize, what: &'static str) -> Result<FileTime, DecodeError> {
    Ok(FileTime(u64_at(b, off, what)?))
}

/// FileBasicInformation (40 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileBasicInformation {
    /// Creation time.
    pub creation_time: FileTime,
    /// Last access time.
    pub last_access_time: FileTime,
    /// Last write time.
    pub last_write_time: FileTime,
    /// Change time.
    pub change_time: FileTime,
    /// Attributes (0 in a SET_INFO means "leave unchanged").
    pub attributes: u32,
}

impl FileBasicInformation {
    /// Decodes from an output buffer.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        const W: &str = "FileBasicInformation";
        Ok(FileBasicInformation {
            creation_time: ft(b, 0, W)?,
            last_access_time: ft(b, 8, W)?,
            last_write_time: ft(b, 16, W)?,
            change_time: ft(b, 24, W)?,
            attributes: u32_at(b, 32, W)?,
        })
    }

    /// Encodes for SET_INFO.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(40);
        v.put_u64(self.creation_time.0);
        v.put_u64(self.last_access_time.0);
        v.put_u64(self.last_write_time.0);
        v.put_u64(self.change_time.0);
        v.put_u32(self.attributes);
        v.put_u32(0);
        v
    }
}

/// FileStandardInformation (24 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStandardInformation {
    /// Allocation size.
    pub allocation_size: u64,
    /// End of file (the size).
    pub end_of_file: u64,
    /// Number of links.
    pub number_of_links: u32,
    /// Delete pending.
    pub delete_pending: bool,
    /// Is a directory.
    pub directory: bool,
}

impl FileStandardInformation {
    /// Decodes from an output buffer.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        const W: &str = "FileStandardInformation";
        Ok(FileStandardInformation {
            allocation_size: u64_at(b, 0, W)?,
            end_of_file: u64_at(b, 8, W)?,
            number_of_links: u32_at(b, 16, W)?,
            delete_pending: u8_at(b, 20, W)? != 0,
            directory: u8_at(b, 21, W)? != 0,
        })
    }
}

/// FileNetworkOpenInformation (56 bytes): what a stat needs, in one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileNetworkOpenInformation {
    /// Creation time.
    pub creation_time: FileTime,
    /// Last access time.
    pub last_access_time: FileTime,
    /// Last write time.
    pub last_write_time: FileTime,
    /// Change time.
    pub change_time: FileTime,
    /// Allocation size.
    pub allocation_size: u64,
    /// End of file (the size).
    pub end_of_file: u64,
    /// Attributes.
    pub attributes: u32,
}

impl FileNetworkOpenInformation {
    /// Decodes from an output buffer.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        const W: &str = "FileNetworkOpenInformation";
        Ok(FileNetworkOpenInformation {
            creation_time: ft(b, 0, W)?,
            last_access_time: ft(b, 8, W)?,
            last_write_time: ft(b, 16, W)?,
            change_time: ft(b, 24, W)?,
            allocation_size: u64_at(b, 32, W)?,
            end_of_file: u64_at(b, 40, W)?,
            attributes: u32_at(b, 48, W)?,
        })
    }

    /// Whether the directory attribute is set.
    pub fn is_directory(&self) -> bool {
        self.attributes & attr::DIRECTORY != 0
    }
}

/// FileRenameInformation (SMB2 form, MS-FSCC §2.4.37.2).
pub fn encode_rename(new_name: &str, replace_if_exists: bool) -> Vec<u8> {
    let name = utf16(new_name);
    let mut v = Vec::with_capacity(20 + name.len());
    v.put_u8(replace_if_exists as u8);
    v.extend_from_slice(&[0; 7]);
    v.put_u64(0); // RootDirectory
    v.put_u32(name.len() as u32);
    v.extend_from_slice(&name);
    v
}

/// FileDispositionInformation.
pub fn encode_disposition(delete_pending: bool) -> Vec<u8> {
    vec![delete_pending as u8]
}

/// FileEndOfFileInformation.
pub fn encode_end_of_file(eof: u64) -> Vec<u8> {
    eof.to_le_bytes().to_vec()
}

/// One entry of a directory listing (FileIdBothDirectoryInformation or FileDirectoryInformation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The name (no path).
    pub name: String,
    /// Creation time.
    pub creation_time: FileTime,
    /// Last access time.
    pub last_access_time: FileTime,
    /// Last write time.
    pub last_write_time: FileTime,
    /// Change time.
    pub change_time: FileTime,
    /// End of file (the size).
    pub end_of_file: u64,
    /// Allocation size.
    pub allocation_size: u64,
    /// Attributes.
    pub attributes: u32,
    /// The server's file id (0 for FileDirectoryInformation).
    pub file_id: u64,
}

impl DirEntry {
    /// Whether the directory attribute is set.
    pub fn is_directory(&self) -> bool {
        self.attributes & attr::DIRECTORY != 0
    }

    /// Parses a QUERY_DIRECTORY output buffer of class `class`.
    pub fn parse_list(b: &[u8], class: u8) -> Result<Vec<DirEntry>, DecodeError> {
        const W: &str = "directory entry";
        let (name_len_off, name_off, id_off) = match class {
            file_class::ID_BOTH_DIRECTORY => (60, 104, Some(96)),
            file_class::DIRECTORY => (60, 64, None),
            _ => return Err(DecodeError("directory entry: unsupported class")),
        };
        // Entries are 8-byte aligned (MS-FSCC §2.4).
        walk_chain(b, 8, W, |e| {
            let name_len = u32_at(e, name_len_off, W)? as usize;
            Ok(DirEntry {
                name: utf16_at(e, name_off, name_len, W)?,
                creation_time: ft(e, 8, W)?,
                last_access_time: ft(e, 16, W)?,
                last_write_time: ft(e, 24, W)?,
                change_time: ft(e, 32, W)?,
                end_of_file: u64_at(e, 40, W)?,
                allocation_size: u64_at(e, 48, W)?,
                attributes: u32_at(e, 56, W)?,
                file_id: match id_off {
                    Some(o) => u64_at(e, o, W)?,
                    None => 0,
                },
            })
        })
    }
}

/// Decodes FileInternalInformation: the server's 64-bit id of the file (MS-FSCC §2.4.22).
pub fn decode_internal(b: &[u8]) -> Result<u64, DecodeError> {
    u64_at(b, 0, "internal information")
}

/// File-system size (FileFsFullSizeInformation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsSizeInformation {
    /// Total allocation units.
    pub total_units: u64,
    /// Units available to the caller.
    pub caller_available_units: u64,
    /// Units actually free.
    pub actual_available_units: u64,
    /// Sectors per unit.
    pub sectors_per_unit: u32,
    /// Bytes per sector.
    pub bytes_per_sector: u32,
}

impl FsSizeInformation {
    /// Decodes FileFsFullSizeInformation.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        const W: &str = "FileFsFullSizeInformation";
        Ok(FsSizeInformation {
            total_units: u64_at(b, 0, W)?,
            caller_available_units: u64_at(b, 8, W)?,
            actual_available_units: u64_at(b, 16, W)?,
            sectors_per_unit: u32_at(b, 24, W)?,
            bytes_per_sector: u32_at(b, 28, W)?,
        })
    }

    /// Bytes per allocation unit.
    pub fn unit_size(&self) -> u64 {
        self.sectors_per_unit as u64 * self.bytes_per_sector as u64
    }
}

/// FileFsAttributeInformation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsAttributeInformation {
    /// FileSystemAttributes flags.
    pub attributes: u32,
    /// Longest component name.
    pub max_component_name_length: u32,
    /// File-system name (e.g. "NTFS").
    pub name: String,
}

impl FsAttributeInformation {
    /// Decodes from an output buffer.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        const W: &str = "FileFsAttributeInformation";
        let n = u32_at(b, 8, W)? as usize;
        Ok(FsAttributeInformation {
            attributes: u32_at(b, 0, W)?,
            max_component_name_length: u32_at(b, 4, W)?,
            name: utf16_at(b, 12, n, W)?,
        })
    }
}

/// CompletionFilter bits of CHANGE_NOTIFY (MS-SMB2 §2.2.35).
pub mod notify_filter {
    /// A name changed (create, delete, rename) of a file.
    pub const FILE_NAME: u32 = 0x001;
    /// A name changed of a directory.
    pub const DIR_NAME: u32 = 0x002;
    /// Attributes changed.
    pub const ATTRIBUTES: u32 = 0x004;
    /// Size changed.
    pub const SIZE: u32 = 0x008;
    /// Last write time changed.
    pub const LAST_WRITE: u32 = 0x010;
}

/// Action values of FILE_NOTIFY_INFORMATION.
pub mod notify_action {
    /// Added.
    pub const ADDED: u32 = 1;
    /// Removed.
    pub const REMOVED: u32 = 2;
    /// Modified.
    pub const MODIFIED: u32 = 3;
    /// Renamed: the old name.
    pub const RENAMED_OLD_NAME: u32 = 4;
    /// Renamed: the new name.
    pub const RENAMED_NEW_NAME: u32 = 5;
}

/// One FILE_NOTIFY_INFORMATION record (MS-FSCC §2.7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNotifyInformation {
    /// `notify_action`.
    pub action: u32,
    /// The name relative to the watched directory.
    pub name: String,
}

impl FileNotifyInformation {
    /// Parses a CHANGE_NOTIFY output buffer.
    pub fn parse_list(b: &[u8]) -> Result<Vec<Self>, DecodeError> {
        const W: &str = "FILE_NOTIFY_INFORMATION";
        if b.is_empty() {
            return Ok(Vec::new());
        }
        // Records are 4-byte aligned (MS-FSCC §2.7.1; Windows and Samba pad to 4).
        walk_chain(b, 4, W, |e| {
            let len = u32_at(e, 8, W)? as usize;
            Ok(FileNotifyInformation {
                action: u32_at(e, 4, W)?,
                name: utf16_at(e, 12, len, W)?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_epoch() {
        assert_eq!(FileTime(UNIX_EPOCH_TICKS).to_system_time(), UNIX_EPOCH);
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(FileTime::from_system_time(t).to_system_time(), t);
        assert_eq!(FileTime(0).to_system_time(), UNIX_EPOCH);
    }

    fn entry(name: &str, next: u32, attrs: u32) -> Vec<u8> {
        let n = utf16(name);
        let mut e = Vec::new();
        e.put_u32(next);
        e.put_u32(0);
        for t in 1..=4u64 {
            e.put_u64(t);
        }
        e.put_u64(100); // eof
        e.put_u64(4096);
        e.put_u32(attrs);
        e.put_u32(n.len() as u32);
        e.put_u32(0); // EaSize
        e.put_u8(0);
        e.put_u8(0);
        e.extend_from_slice(&[0; 24]);
        e.put_u16(0);
        e.put_u64(42);
        e.extend_from_slice(&n);
        e
    }

    #[test]
    fn id_both_directory_list() {
        let mut a = entry(".", 0, attr::DIRECTORY);
        let first_len = (a.len() + 7) & !7;
        a.resize(first_len, 0);
        a.set_u32(0, first_len as u32);
        a.extend_from_slice(&entry("hello.txt", 0, attr::ARCHIVE));
        let l = DirEntry::parse_list(&a, file_class::ID_BOTH_DIRECTORY).unwrap();
        assert_eq!(l.len(), 2);
        assert!(l[0].is_directory());
        assert_eq!(l[1].name, "hello.txt");
        assert_eq!(l[1].end_of_file, 100);
        assert_eq!(l[1].allocation_size, 4096);
        assert_eq!(l[1].file_id, 42);
        assert_eq!(l[1].last_write_time, FileTime(3));
        for n in 0..a.len() {
            let _ = DirEntry::parse_list(&a[..n], file_class::ID_BOTH_DIRECTORY);
        }
        // A self-referencing NextEntryOffset must not loop forever: offset 0 ends the list,
        // any other offset advances.
        let mut bad = a.clone();
        bad.set_u32(0, u32::MAX);
        assert!(DirEntry::parse_list(&bad, file_class::ID_BOTH_DIRECTORY).is_err());
    }

    #[test]
    fn notify_records() {
        let mut b = Vec::new();
        let n = utf16("a.txt");
        b.put_u32(24);
        b.put_u32(notify_action::ADDED);
        b.put_u32(n.len() as u32);
        b.extend_from_slice(&n);
        b.resize(24, 0);
        b.put_u32(0);
        b.put_u32(notify_action::REMOVED);
        b.put_u32(2);
        b.extend_from_slice(&utf16("b"));
        let l = FileNotifyInformation::parse_list(&b).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[0],
            FileNotifyInformation {
                action: 1,
                name: "a.txt".into()
            }
        );
        assert_eq!(l[1].name, "b");
        for k in 0..b.len() {
            let _ = FileNotifyInformation::parse_list(&b[..k]);
        }
    }

    /// Regression (issue 12): overlapping entries, each naming the rest of the buffer, made
    /// each entry copy a name to the end: quadratic memory (1 GB for a 192 KiB reply).
    #[test]
    fn overlapping_entries_are_refused_not_copied() {
        let mut b = vec![0u8; 192 * 1024];
        let mut off = 0;
        while off + 12 <= b.len() {
            b.set_u32(off, 8); // next: 8 bytes on, inside this entry's own name
            b.set_u32(off + 8, (b.len() - off - 12) as u32 & !1); // name: the rest
            off += 8;
        }
        assert!(FileNotifyInformation::parse_list(&b).is_err());
        let mut d = vec![0u8; 192 * 1024];
        let mut off = 0;
        while off + 104 <= d.len() {
            d.set_u32(off, 8);
            d.set_u32(off + 60, (d.len() - off - 104) as u32 & !1);
            off += 8;
        }
        assert!(DirEntry::parse_list(&d, file_class::ID_BOTH_DIRECTORY).is_err());
        assert!(DirEntry::parse_list(&d, file_class::DIRECTORY).is_err());
    }

    #[test]
    fn chains_are_aligned_inside_the_buffer_and_capped() {
        // Misaligned next offset.
        let mut b = Vec::new();
        b.put_u32(14);
        b.put_u32(notify_action::ADDED);
        b.put_u32(2);
        b.extend_from_slice(&utf16("a"));
        b.put_u32(0);
        b.put_u32(notify_action::ADDED);
        b.put_u32(0);
        assert!(FileNotifyInformation::parse_list(&b).is_err());
        // Many tiny valid entries: capped.
        let n = super::super::wire::MAX_CHAIN_ENTRIES + 1;
        let mut many = Vec::with_capacity(n * 12);
        for i in 0..n {
            many.put_u32(if i + 1 == n { 0 } else { 12 });
            many.put_u32(notify_action::ADDED);
            many.put_u32(0);
        }
        assert!(FileNotifyInformation::parse_list(&many).is_err());
        assert_eq!(
            FileNotifyInformation::parse_list(&many[12..])
                .unwrap()
                .len(),
            n - 1
        );
    }

    #[test]
    fn infos_decode() {
        let mut b = Vec::new();
        for t in 1..=4u64 {
            b.put_u64(t);
        }
        b.put_u64(8192);
        b.put_u64(5000);
        b.put_u32(attr::DIRECTORY);
        b.put_u32(0);
        let n = FileNetworkOpenInformation::decode(&b).unwrap();
        assert_eq!(n.end_of_file, 5000);
        assert!(n.is_directory());
        assert!(FileNetworkOpenInformation::decode(&b[..50]).is_err());
        let r = encode_rename("a\\b", true);
        assert_eq!(r[0], 1);
        assert_eq!(r[16..20], [6, 0, 0, 0]);
        assert_eq!(r.len(), 26);
        let basic = FileBasicInformation {
            attributes: 0x20,
            ..Default::default()
        };
        assert_eq!(
            FileBasicInformation::decode(&basic.encode()).unwrap(),
            basic
        );
    }
}
