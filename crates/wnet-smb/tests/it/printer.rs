//! Printer ports: a print share connected to `LPT1:` is the write-only file `<root>/LPT1`; each
//! open is a job, and what a job wrote arrives at the server's printer whole.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use wnet_core::{
    AddConnection, ConnectFlags, ConnectionName, LocalName, NetworkProvider, ResourceType, Secret,
    UncPath,
};
use wnet_smb::SmbProvider;
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, PRINTER, Samba};

/// How long a submitted job may take to reach the printed directory on a loaded machine.
const PRINTED: Duration = Duration::from_secs(20);

struct Fixture {
    samba: Samba,
    provider: SmbProvider,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let samba = Samba::start_with_printer();
        let (provider, root, dir) =
            crate::provider::provider_in_tempdir(wnet_smb::provider::DFS_MAX_TTL);
        Fixture {
            samba,
            provider,
            root,
            _dir: dir,
        }
    }

    fn add(&self, local: Option<&str>, share: &str, t: ResourceType) -> wnet_core::Result<()> {
        self.provider
            .add_connection(&AddConnection {
                resource_type: t,
                local: local.map(|l| LocalName::parse(l).unwrap()),
                remote: UncPath::parse(&self.samba.unc(share)).unwrap().into(),
                user: Some(DEFAULT_USER.into()),
                password: Some(Secret::new(DEFAULT_PASSWORD)),
                flags: ConnectFlags::empty(),
                ccache: None,
            })
            .map(|_| ())
    }

    fn code(&self, local: Option<&str>, share: &str, t: ResourceType) -> u32 {
        self.add(local, share, t)
            .map_or_else(|e| e.win_error().0, |()| 0)
    }

    fn lpt1(&self) -> PathBuf {
        self.add(Some("LPT1:"), PRINTER, ResourceType::Print)
            .unwrap();
        self.root.join("LPT1")
    }

    fn cancel(&self, name: &str, force: bool) -> wnet_core::Result<()> {
        self.provider
            .cancel_connection(&ConnectionName::parse(name).unwrap(), force)
    }

    fn open_job(&self, port: &std::path::Path) -> std::fs::File {
        std::fs::OpenOptions::new().write(true).open(port).unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.provider.shutdown();
    }
}

/// Bytes no text filter would leave alone: every byte value, CR LF, a NUL, 3 MiB.
fn document(seed: u8) -> Vec<u8> {
    (0..3 * 1024 * 1024 + 17)
        .map(|i: usize| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn lpt1_is_a_write_only_file_and_prints_byte_identical() {
    let f = Fixture::new();
    let port = f.lpt1();
    let md = std::fs::metadata(&port).unwrap();
    assert!(md.file_type().is_file(), "the port is a regular file");
    assert_eq!(md.permissions().mode() & 0o777, 0o200, "write-only");
    let c = f.provider.get_connection(LocalName::Lpt(1)).unwrap();
    assert_eq!(c.resource_type, ResourceType::Print);
    assert_eq!(c.remote.to_string(), f.samba.unc(PRINTER));

    let doc = document(1);
    let mut job = f.open_job(&port);
    for chunk in doc.chunks(70_000) {
        job.write_all(chunk).unwrap();
    }
    drop(job);
    let printed = f.samba.wait_printed(PRINTER, 1, PRINTED);
    assert_eq!(printed.len(), 1, "one job");
    assert!(printed[0] == doc, "the job arrived byte-identical");

    let read = std::fs::File::open(&port).map(|_| ()).unwrap_err();
    assert_eq!(
        read.raw_os_error(),
        Some(libc::EACCES),
        "a port is not read"
    );
    f.cancel("LPT1:", false).unwrap();
    assert!(!port.exists(), "the port file goes with the connection");
}

#[test]
fn shell_redirection_prints_a_job() {
    let f = Fixture::new();
    let port = f.lpt1();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("printf 'hello printer\\n' > \"$1\"")
        .arg("sh")
        .arg(&port)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        f.samba.wait_printed(PRINTER, 1, PRINTED),
        vec![b"hello printer\n".to_vec()]
    );
}

#[test]
fn two_jobs_open_at_once_print_separately() {
    let f = Fixture::new();
    let port = f.lpt1();
    let (a, b) = (document(2), document(3));
    let mut ja = f.open_job(&port);
    let mut jb = f.open_job(&port);
    let unc = UncPath::parse(&f.samba.unc(PRINTER)).unwrap();
    assert_eq!(
        f.provider.open_count(Some(LocalName::Lpt(1)), &unc),
        Some(2)
    );
    for (ca, cb) in a.chunks(100_000).zip(b.chunks(100_000)) {
        ja.write_all(ca).unwrap();
        jb.write_all(cb).unwrap();
    }
    drop(jb);
    drop(ja);
    let mut printed = f.samba.wait_printed(PRINTER, 2, PRINTED);
    assert_eq!(printed.len(), 2, "two jobs");
    printed.sort_by_key(|j| j.first().copied());
    let mut want = vec![a, b];
    want.sort_by_key(|j| j.first().copied());
    assert!(printed == want, "each job holds exactly its own bytes");
}

#[test]
fn an_open_job_refuses_a_non_forced_cancel_naming_its_holder() {
    let f = Fixture::new();
    let port = f.lpt1();
    let mut job = f.open_job(&port);
    job.write_all(b"page one\n").unwrap();
    let e = f.cancel("LPT1:", false).unwrap_err();
    assert_eq!(e.win_error().0, 2401);
    let holders: Vec<&str> = e.holders().collect();
    let me = format!("(pid {}, ", std::process::id());
    assert!(
        holders
            .iter()
            .any(|h| h.contains(&me) && h.contains("LPT1")),
        "{holders:?}"
    );
    // Still usable: the job goes on and is printed whole.
    job.write_all(b"page two\n").unwrap();
    drop(job);
    assert_eq!(
        f.samba.wait_printed(PRINTER, 1, PRINTED),
        vec![b"page one\npage two\n".to_vec()]
    );
    f.cancel("LPT1:", false).unwrap();
}

#[test]
fn a_forced_cancel_submits_what_was_written() {
    let f = Fixture::new();
    let port = f.lpt1();
    let mut job = f.open_job(&port);
    job.write_all(b"written before the cancel\n").unwrap();
    f.cancel("LPT1:", true).unwrap();
    assert_eq!(
        f.samba.wait_printed(PRINTER, 1, PRINTED),
        vec![b"written before the cancel\n".to_vec()]
    );
    let late = job.write_all(b"late").unwrap_err();
    assert_eq!(late.raw_os_error(), Some(libc::EIO), "{late}");
    drop(job);
    assert!(f.provider.connections().unwrap().is_empty());
}

#[test]
fn a_share_of_the_wrong_type_is_refused() {
    let f = Fixture::new();
    assert_eq!(
        f.code(Some("LPT1:"), "rw", ResourceType::Print),
        67,
        "a disk share on a printer port: no printer of that name"
    );
    assert_eq!(
        f.code(Some("Z:"), PRINTER, ResourceType::Disk),
        66,
        "a print share on a drive"
    );
    assert_eq!(f.code(None, PRINTER, ResourceType::Disk), 66);
    assert_eq!(f.code(None, "rw", ResourceType::Print), 67);
    assert!(f.provider.connections().unwrap().is_empty());
    assert!(!f.root.join("LPT1").exists() && !f.root.join("Z").exists());
    // Deviceless with any type: the print share as a port file of its own.
    assert_eq!(f.code(None, PRINTER, ResourceType::Any), 0);
    let unc = UncPath::parse(&f.samba.unc(PRINTER)).unwrap();
    let port = f.root.join(unc.deviceless_dir());
    assert!(std::fs::metadata(&port).unwrap().file_type().is_file());
    let mut job = f.open_job(&port);
    job.write_all(b"deviceless").unwrap();
    drop(job);
    assert_eq!(
        f.samba.wait_printed(PRINTER, 1, PRINTED),
        vec![b"deviceless".to_vec()]
    );
}
