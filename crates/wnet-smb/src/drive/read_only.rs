//! The READONLY attribute in the way of a delete or a replace. `chmod a-w` sets it (the only
//! mode bits SMB keeps), and the server then refuses to delete the file or directory
//! (`STATUS_CANNOT_DELETE`) or to replace it by a rename (`ACCESS_DENIED`), where POSIX lets
//! the owner of the directory do both. As Linux's cifs does, the drive clears the attribute
//! and tries once more, and puts the attribute back if that fails too.

use super::core::Core;
use std::future::Future;
use wnet_smb2::NtStatus;
use wnet_smb2::msg::fscc::{FileBasicInformation, attr};

/// Whether `e` may be the READONLY attribute's refusal.
fn refused_as_read_only(e: &wnet_smb2::Error) -> bool {
    matches!(
        e,
        wnet_smb2::Error::Status { status, .. }
            if *status == NtStatus::CANNOT_DELETE || *status == NtStatus::ACCESS_DENIED
    )
}

/// Basic information that changes only the attributes to `bits`.
fn attributes(bits: u32) -> FileBasicInformation {
    FileBasicInformation {
        attributes: if bits == 0 { attr::NORMAL } else { bits },
        ..FileBasicInformation::default()
    }
}

impl Core {
    /// Runs `op` (a delete of `path`, or a rename onto it); when the server refuses it and
    /// `path` has the READONLY attribute, clears the attribute and runs `op` once more,
    /// restoring the attribute if the second attempt fails as well. Returns the outcome of
    /// the last attempt (the first one's when no retry was made).
    pub(crate) async fn despite_read_only<T, F, Fut>(
        &self,
        path: &str,
        op: F,
    ) -> wnet_smb2::Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = wnet_smb2::Result<T>>,
    {
        let first = op().await;
        match &first {
            Err(e) if refused_as_read_only(e) => {}
            _ => return first,
        }
        let stat = self.on(path, |t, p| async move { t.stat(&p).await });
        let Ok(info) = stat.await else {
            return first;
        };
        if info.attributes & attr::READONLY == 0 {
            return first;
        }
        let writable = attributes(info.attributes & !attr::READONLY);
        let writable = &writable;
        let set = self.on(path, |t, p| async move { t.set_basic(&p, writable).await });
        if let Err(e) = set.await {
            tracing::debug!(path, error = %e, "clearing READONLY before a delete failed");
            return first;
        }
        let again = op().await;
        if again.is_err() {
            let back = &attributes(info.attributes);
            let set = self.on(path, |t, p| async move { t.set_basic(&p, back).await });
            if let Err(e) = set.await {
                tracing::warn!(path, error = %e, "could not set READONLY back");
            }
        }
        again
    }
}
