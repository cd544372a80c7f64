//! [`Apache`]: a private Apache httpd with `mod_dav_fs`, the reference WebDAV server, on a free
//! loopback port, over HTTP or HTTPS (a throwaway CA the test trusts; HTTP/2 offered by ALPN
//! beside HTTP/1.1, as a Debian server with `mod_http2` does), with Basic, Digest or no
//! authentication.
//!
//! Runs as root (httpd's children switch to `www-data`, which owns the served directory), like
//! the rest of the kit. Each instance has its own configuration, lock database, logs and
//! certificates in a temporary directory; it is stopped and removed on drop.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::port::free_port;
use crate::process::{self, Proc};
use crate::workdir::WorkDir;

const HTTPD: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";
/// The user httpd's children run as (Debian's).
const RUN_USER: &str = "www-data";
/// The DAV user the kit creates when authentication is on.
pub const DAV_USER: &str = "davuser";
/// Its password.
pub const DAV_PASSWORD: &str = "Dav-Pass-1!";
/// The Digest realm.
pub const DAV_REALM: &str = "wnet-dav";
const START_BOUND: Duration = Duration::from_secs(20);
const STOP_BOUND: Duration = Duration::from_secs(10);

/// How clients must authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DavAuth {
    /// Anyone may read and write.
    None,
    /// `AuthType Basic` with [`DAV_USER`] / [`DAV_PASSWORD`].
    Basic,
    /// `AuthType Digest` (MD5, realm [`DAV_REALM`]) with [`DAV_USER`] / [`DAV_PASSWORD`].
    Digest,
}

/// A running Apache httpd serving one WebDAV tree at `/`.
#[derive(Debug)]
pub struct Apache {
    port: u16,
    tls: bool,
    root: PathBuf,
    ca: Option<PathBuf>,
    child: Option<Child>,
    proc: Option<Proc>,
    dir: Option<WorkDir>,
}

impl Apache {
    /// Starts httpd with WebDAV at `/` on `127.0.0.1`, over TLS when `tls`.
    ///
    /// Panics with the reason (httpd missing, the config refused, no listen in time): a test
    /// cannot go on without its server.
    pub fn start(tls: bool, auth: DavAuth) -> Apache {
        match Self::try_start(tls, auth) {
            Ok(a) => a,
            Err(e) => panic!("wnet-testkit: cannot start Apache httpd: {e}"),
        }
    }

    fn try_start(tls: bool, auth: DavAuth) -> io::Result<Apache> {
        if !Path::new(HTTPD).exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{HTTPD} is missing: install the Debian package apache2 (.ci/run does)"),
            ));
        }
        let dir = WorkDir::create()?;
        let base = dir.path().to_path_buf();
        let root = base.join("dav");
        let run = base.join("run");
        let lock = base.join("davlock");
        for d in [&root, &run, &lock] {
            fs::create_dir(d)?;
        }
        chown_to(RUN_USER, &[&root, &lock, &run])?;
        let ca = if tls {
            Some(make_certificates(&base)?)
        } else {
            None
        };
        let auth_conf = write_auth(&base, auth)?;
        let port = free_port();
        let conf = base.join("httpd.conf");
        fs::write(&conf, config(&base, port, tls, &auth_conf))?;
        let log = fs::File::create(base.join("httpd.stdout"))?;
        let child = Command::new(HTTPD)
            .process_group(0)
            .args(["-DFOREGROUND", "-f"])
            .arg(&conf)
            .env("APACHE_RUN_DIR", &run)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let proc = Proc::of(child.id());
        let mut apache = Apache {
            port,
            tls,
            root,
            ca,
            child: Some(child),
            proc,
            dir: Some(dir),
        };
        apache.wait_listening(&base)?;
        Ok(apache)
    }

    fn wait_listening(&mut self, base: &Path) -> io::Result<()> {
        let child = self
            .child
            .as_mut()
            .ok_or_else(|| io::Error::other("no child"))?;
        crate::listen::wait_listening("httpd", child, self.proc, self.port, START_BOUND, || {
            logs(base)
        })
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's root URL: `http://127.0.0.1:PORT/` (or `https://localhost:PORT/`, the name
    /// the certificate carries).
    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}/", self.port)
        } else {
            format!("http://127.0.0.1:{}/", self.port)
        }
    }

    /// The WebClient UNC name of the server root: `\\127.0.0.1@PORT\DavWWWRoot` (or
    /// `\\localhost@SSL@PORT\DavWWWRoot`).
    pub fn unc(&self) -> String {
        if self.tls {
            format!(r"\\localhost@SSL@{}\DavWWWRoot", self.port)
        } else {
            format!(r"\\127.0.0.1@{}\DavWWWRoot", self.port)
        }
    }

    /// The served directory on disk (writable by httpd's children; tests may seed it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes a file into the served tree as the server's user would own it.
    pub fn seed(&self, rel: &str, content: &[u8]) {
        self.seed_modified(rel, content, None);
    }

    /// [`Apache::seed`], the file's modification time set to `modified` (when given) before
    /// it takes the name: a replacement of the same size gets another ETag (Apache's is
    /// size and time) from its first instant.
    pub fn seed_modified(
        &self,
        rel: &str,
        content: &[u8],
        modified: Option<std::time::SystemTime>,
    ) {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("seed dir");
            chown_to(RUN_USER, &[parent]).expect("chown seed dir");
        }
        // Written beside and renamed over, as a server's own PUT does: a request served
        // while the file is replaced reads the old file or the new one, never a mix of both
        // under the old one's ETag (an in-place rewrite could give that, and no client can
        // detect it).
        let tmp = path.with_file_name(format!(
            ".{}.seeding",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        fs::write(&tmp, content).expect("seed file");
        if let Some(t) = modified {
            fs::File::options()
                .write(true)
                .open(&tmp)
                .and_then(|f| f.set_modified(t))
                .expect("seed file's time");
        }
        chown_to(RUN_USER, &[&tmp]).expect("chown seed file");
        fs::rename(&tmp, &path).expect("seed file in place");
    }

    /// The requests served so far, a line each: `METHOD DEPTH PATH STATUS` (`-` for no
    /// `Depth` header), from the server's own access log (written as each request ends).
    pub fn requests(&self) -> Vec<String> {
        self.log_lines("access.log")
    }

    /// [`Apache::requests`] with the time the server took (µs, from reading the request to
    /// sending the last byte of the answer) and the client's `User-Agent` after the status
    /// (`GET - /f 200 183 wnet/0.1.0`), from a log of its own.
    pub fn requests_by_agent(&self) -> Vec<String> {
        self.log_lines("agents.log")
    }

    /// The lines of the server's log `name` so far.
    fn log_lines(&self, name: &str) -> Vec<String> {
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        fs::read_to_string(dir.path().join(name))
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The PEM file of the throwaway CA that signed the server's certificate (TLS only).
    pub fn ca_pem(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// Stops httpd (SIGTERM, then SIGKILL after a bound) and reaps it.
    pub fn stop(&mut self) {
        if let Some(proc) = self.proc.take() {
            let mut procs = vec![proc];
            procs.extend(proc.descendants());
            process::terminate(&procs, STOP_BOUND);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

fn logs(base: &Path) -> String {
    let mut s = String::new();
    for f in ["httpd.stdout", "error.log"] {
        if let Ok(t) = fs::read_to_string(base.join(f)) {
            let tail: Vec<&str> = t.lines().rev().take(20).collect();
            for l in tail.into_iter().rev() {
                s.push_str(l);
                s.push('\n');
            }
        }
    }
    s
}

fn chown_to(user: &str, paths: &[&Path]) -> io::Result<()> {
    let status = Command::new("chown")
        .arg(format!("{user}:{user}"))
        .args(paths)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("chown {user} failed: {status}")))
    }
}

fn run(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// A CA and a server certificate for `localhost` and `127.0.0.1` signed by it (P-256, 2 days);
/// returns the CA's PEM path.
fn make_certificates(base: &Path) -> io::Result<PathBuf> {
    let p = |n: &str| base.join(n);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(Command::new("openssl")
        .args(["req", "-x509"])
        .args(ec)
        .args(["-days", "2", "-subj", "/CN=wnet test CA", "-keyout"])
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")))?;
    run(Command::new("openssl")
        .arg("req")
        .args(ec)
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(p("server.key"))
        .arg("-out")
        .arg(p("server.csr")))?;
    fs::write(
        p("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )?;
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-in"])
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-CAcreateserial")
        .arg("-extfile")
        .arg(p("ext.cnf"))
        .arg("-out")
        .arg(p("server.pem")))?;
    fs::set_permissions(p("server.key"), fs::Permissions::from_mode(0o600))?;
    Ok(p("ca.pem"))
}

/// Writes the user file for `auth`; returns the `<Location>` lines.
fn write_auth(base: &Path, auth: DavAuth) -> io::Result<String> {
    match auth {
        DavAuth::None => Ok("Require all granted".into()),
        DavAuth::Basic => {
            let file = base.join("htpasswd");
            run(Command::new("htpasswd")
                .args(["-c", "-b", "-B", "-C", "4"])
                .arg(&file)
                .args([DAV_USER, DAV_PASSWORD]))?;
            Ok(format!(
                "AuthType Basic\nAuthName \"{DAV_REALM}\"\nAuthBasicProvider file\n\
                 AuthUserFile {}\nRequire valid-user",
                file.display()
            ))
        }
        DavAuth::Digest => {
            let file = base.join("htdigest");
            let ha1 = md5_hex(&format!("{DAV_USER}:{DAV_REALM}:{DAV_PASSWORD}"));
            fs::write(&file, format!("{DAV_USER}:{DAV_REALM}:{ha1}\n"))?;
            Ok(format!(
                "AuthType Digest\nAuthName \"{DAV_REALM}\"\nAuthDigestProvider file\n\
                 AuthUserFile {}\nRequire valid-user",
                file.display()
            ))
        }
    }
}

fn md5_hex(s: &str) -> String {
    use md5::Digest as _;
    md5::Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn config(base: &Path, port: u16, tls: bool, auth: &str) -> String {
    let b = base.display();
    let mut modules = vec![
        "mpm_event",
        "authz_core",
        "authn_core",
        "authn_file",
        "auth_basic",
        "auth_digest",
        "authz_user",
        "dav",
        "dav_fs",
    ];
    if tls {
        modules.extend(["ssl", "socache_shmcb", "http2"]);
    }
    let mut c = String::new();
    for m in modules {
        c.push_str(&format!("LoadModule {m}_module {MODULES}/mod_{m}.so\n"));
    }
    let server_name = if tls { "localhost" } else { "127.0.0.1" };
    c.push_str(&format!(
        "ServerRoot {b}\nServerName {server_name}\nListen 127.0.0.1:{port}\n\
         PidFile {b}/run/httpd.pid\nDefaultRuntimeDir {b}/run\nMutex file:{b}/run default\n\
         ErrorLog {b}/error.log\nLogLevel warn\n\
         LogFormat \"%m %{{Depth}}i %U %>s\" wnet\nCustomLog {b}/access.log wnet\n\
         LogFormat \"%m %{{Depth}}i %U %>s %D %{{User-Agent}}i\" agent\nCustomLog {b}/agents.log agent\nUser {RUN_USER}\nGroup {RUN_USER}\n\
         StartServers 1\nServerLimit 2\nThreadsPerChild 16\nMaxRequestWorkers 32\n\
         KeepAlive On\nMaxKeepAliveRequests 0\nKeepAliveTimeout 30\n\
         DavLockDB {b}/davlock/lockdb\nDocumentRoot {b}/dav\n\
         <Directory {b}/dav>\n  Options None\n  AllowOverride None\n</Directory>\n\
         <Location />\n  Dav On\n  {auth}\n</Location>\n"
    ));
    if tls {
        c.push_str(&format!(
            "SSLEngine on\nSSLCertificateFile {b}/server.pem\nSSLCertificateKeyFile {b}/server.key\n\
             SSLSessionCache shmcb:{b}/run/ssl_scache(512000)\nProtocols h2 http/1.1\n"
        ));
    }
    c
}
